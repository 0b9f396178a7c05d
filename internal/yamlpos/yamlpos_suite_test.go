package yamlpos_test

import (
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

func TestYAMLPos(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "yamlpos")
}
