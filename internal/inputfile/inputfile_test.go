package inputfile_test

import (
	"os"
	"path/filepath"
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/otnsim/otnsim/internal/inputfile"
)

func TestInputFile(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "inputfile Suite")
}

var _ = Describe("Read", func() {
	It("reads a file up to its limit and refuses one over it", func() {
		dir := GinkgoT().TempDir()
		path := filepath.Join(dir, "f")
		Expect(os.WriteFile(path, []byte("12345"), 0o644)).To(Succeed())
		Expect(inputfile.Read(path, 5)).To(Equal([]byte("12345")))
		_, err := inputfile.Read(path, 4)
		Expect(err).To(MatchError(inputfile.ErrTooBig))
		_, err = inputfile.Read(filepath.Join(dir, "none"), 4)
		Expect(err).To(MatchError(os.ErrNotExist))
	})
})
