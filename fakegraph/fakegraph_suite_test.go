package fakegraph_test

import (
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

func TestFakegraph(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "Fakegraph Suite")
}
