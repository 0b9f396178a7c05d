package scenariofuzz_test

import (
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

func TestScenarioFuzz(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "Scenario Fuzz Suite")
}
