package intercept_test

import (
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

func TestIntercept(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "intercept")
}
