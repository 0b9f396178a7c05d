package external_test

import (
	"os/exec"
	"path/filepath"
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

func TestExternal(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "external")
}

// crasher is the path of the built crashing bot.
var crasher string

var _ = BeforeSuite(func() {
	crasher = filepath.Join(GinkgoT().TempDir(), "crasher")
	cmd := exec.Command("go", "build", "-o", crasher, "./testdata/crasher")
	cmd.Stderr = GinkgoWriter
	Expect(cmd.Run()).To(Succeed())
})
