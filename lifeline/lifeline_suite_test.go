package lifeline_test

import (
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

func TestLifeline(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "Lifeline Suite")
}
