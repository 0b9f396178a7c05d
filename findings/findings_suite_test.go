package findings_test

import (
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

func TestFindings(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "Findings Suite")
}
