package proctree_test

import (
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

func TestProctree(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "proctree")
}
