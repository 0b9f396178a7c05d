package intercept_test

import (
	"crypto/x509"
	"os"
	"path/filepath"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/otnsim/otnsim/intercept"
)

var _ = Describe("Authority", func() {
	var a *intercept.Authority
	BeforeEach(func() {
		var err error
		a, err = intercept.NewAuthority(time.Hour)
		Expect(err).NotTo(HaveOccurred())
	})

	It("mints a certificate whose chain verifies for each Graph host, and caches it", func() {
		for _, host := range intercept.GraphHosts {
			c, err := a.Leaf(host)
			Expect(err).NotTo(HaveOccurred())
			_, err = c.Leaf.Verify(x509.VerifyOptions{DNSName: host, Roots: a.Pool(), KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}})
			Expect(err).NotTo(HaveOccurred(), host)
			Expect(c.Certificate).To(HaveLen(2), "the leaf and the authority")
			again, err := a.Leaf(host)
			Expect(err).NotTo(HaveOccurred())
			Expect(again).To(BeIdenticalTo(c))
		}
		c, err := a.Leaf("GRAPH.facebook.com.")
		Expect(err).NotTo(HaveOccurred())
		Expect(c.Leaf.DNSNames).To(Equal([]string{"graph.facebook.com"}))
	})

	It("mints nothing for other hosts, and its name constraints keep it to the Graph hosts", func() {
		_, err := a.Leaf("example.com")
		Expect(err).To(MatchError(ContainSubstring("only the Graph API hosts")))
		ca := a.Certificate()
		Expect(ca.IsCA).To(BeTrue())
		Expect(ca.PermittedDNSDomainsCritical).To(BeTrue())
		Expect(ca.PermittedDNSDomains).To(ConsistOf(intercept.GraphHosts))
		c, err := a.Leaf("graph.facebook.com")
		Expect(err).NotTo(HaveOccurred())
		_, err = c.Leaf.Verify(x509.VerifyOptions{DNSName: "www.facebook.com", Roots: a.Pool()})
		Expect(err).To(HaveOccurred())
	})

	It("saves its key with mode 0600 and loads it back", func() {
		dir := filepath.Join(GinkgoT().TempDir(), "ca")
		Expect(a.Save(dir)).To(Succeed())
		st, err := os.Stat(filepath.Join(dir, intercept.KeyFileName))
		Expect(err).NotTo(HaveOccurred())
		Expect(st.Mode().Perm()).To(Equal(os.FileMode(0o600)))
		st, err = os.Stat(dir)
		Expect(err).NotTo(HaveOccurred())
		Expect(st.Mode().Perm()).To(Equal(os.FileMode(0o700)))
		// A year-long authority, as --ca-dir keeps, loads; this one expires
		// within the hour, which LoadAuthority refuses.
		_, err = intercept.LoadAuthority(dir)
		Expect(err).To(MatchError(ContainSubstring("expires")))

		kept := filepath.Join(GinkgoT().TempDir(), "kept")
		first, err := intercept.LoadOrCreateAuthority(kept)
		Expect(err).NotTo(HaveOccurred())
		second, err := intercept.LoadOrCreateAuthority(kept)
		Expect(err).NotTo(HaveOccurred())
		Expect(second.CertPEM()).To(Equal(first.CertPEM()))
	})

	It("refuses a key file others may read", func() {
		dir := GinkgoT().TempDir()
		_, err := intercept.LoadOrCreateAuthority(dir)
		Expect(err).NotTo(HaveOccurred())
		Expect(os.Chmod(filepath.Join(dir, intercept.KeyFileName), 0o644)).To(Succeed())
		_, err = intercept.LoadAuthority(dir)
		Expect(err).To(MatchError(ContainSubstring("chmod 600")))
	})

	It("says so of a folder without an authority, and of files that are not one", func() {
		dir := GinkgoT().TempDir()
		_, err := intercept.LoadAuthority(dir)
		Expect(err).To(MatchError(intercept.ErrNoAuthority))
		Expect(os.WriteFile(filepath.Join(dir, intercept.KeyFileName), []byte("junk"), 0o600)).To(Succeed())
		Expect(os.WriteFile(filepath.Join(dir, intercept.CertFileName), []byte("junk"), 0o644)).To(Succeed())
		_, err = intercept.LoadAuthority(dir)
		Expect(err).To(MatchError(ContainSubstring("not PEM files")))
	})
})
