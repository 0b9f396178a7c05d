package compliance_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

func TestCompliance(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "compliance")
}

// botDir holds the test bots, built once for the suite.
var botDir string

var _ = BeforeSuite(func() {
	botDir = GinkgoT().TempDir()
	cmd := exec.Command("go", "build", "-o", botDir+string(filepath.Separator), "./testdata/bots/...")
	cmd.Stderr = GinkgoWriter
	Expect(cmd.Run()).To(Succeed(), "building the test bots")
	entries, err := os.ReadDir(botDir)
	Expect(err).NotTo(HaveOccurred())
	Expect(len(entries)).To(BeNumerically(">=", 6))
})
