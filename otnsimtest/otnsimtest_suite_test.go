package otnsimtest_test

import (
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

func TestOTNSimTest(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "otnsimtest")
}
