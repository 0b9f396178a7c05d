package intercept

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"math/big"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// File names of an authority in its folder.
const (
	CertFileName = "ca.pem"     // the authority's certificate, for the bot to trust
	KeyFileName  = "ca-key.pem" // its private key, mode 0600
)

// Lifetimes: a per-run authority lives a day, one kept in a --ca-dir a
// year; a leaf never outlives its authority, nor a day.
const (
	runLifetime  = 24 * time.Hour
	keptLifetime = 365 * 24 * time.Hour
	leafLifetime = 24 * time.Hour
	backdate     = time.Hour // tolerance for a bot's clock a little behind
)

// Authority is a certificate authority that mints TLS server certificates
// for the Graph hosts. Its certificate carries name constraints, so even a
// client that trusts it accepts it for GraphHosts only. Safe for
// concurrent use.
type Authority struct {
	cert    *x509.Certificate
	certPEM []byte
	key     *ecdsa.PrivateKey
	leafKey *ecdsa.PrivateKey // shared by every leaf it mints

	mu     sync.Mutex
	leaves map[string]*tls.Certificate
}

// NewAuthority generates an authority valid for lifetime from now.
func NewAuthority(lifetime time.Duration) (*Authority, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("intercept: generate the authority's key: %w", err)
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:                serial(),
		Subject:                     pkix.Name{CommonName: "otnsim intercept CA " + now.UTC().Format(time.RFC3339), Organization: []string{"otnsim"}},
		NotBefore:                   now.Add(-backdate),
		NotAfter:                    now.Add(lifetime),
		IsCA:                        true,
		BasicConstraintsValid:       true,
		MaxPathLenZero:              true,
		KeyUsage:                    x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
		PermittedDNSDomainsCritical: true,
		PermittedDNSDomains:         GraphHosts,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, fmt.Errorf("intercept: sign the authority's certificate: %w", err)
	}
	return fromParts(der, key)
}

// fromParts completes an authority from its certificate and key.
func fromParts(der []byte, key *ecdsa.PrivateKey) (*Authority, error) {
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("intercept: parse the authority's certificate: %w", err)
	}
	leafKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("intercept: generate the leaf key: %w", err)
	}
	return &Authority{
		cert: cert, key: key, leafKey: leafKey,
		certPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		leaves:  map[string]*tls.Certificate{},
	}, nil
}

func serial() *big.Int {
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return big.NewInt(time.Now().UnixNano())
	}
	return n.Add(n, big.NewInt(1))
}

// Certificate returns the authority's certificate.
func (a *Authority) Certificate() *x509.Certificate { return a.cert }

// CertPEM returns the authority's certificate, PEM-encoded.
func (a *Authority) CertPEM() []byte { return append([]byte(nil), a.certPEM...) }

// Pool returns a pool holding the authority's certificate alone.
func (a *Authority) Pool() *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(a.cert)
	return p
}

// Leaf returns a server certificate for host, one of GraphHosts, minted on
// first use and cached.
func (a *Authority) Leaf(host string) (*tls.Certificate, error) {
	host = normalHost(host)
	if !IsGraphHost(host) {
		return nil, fmt.Errorf("intercept: no certificate for %q: only the Graph API hosts are intercepted", host)
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if c, ok := a.leaves[host]; ok && time.Now().Before(c.Leaf.NotAfter) {
		return c, nil
	}
	now := time.Now()
	notAfter := now.Add(leafLifetime)
	if a.cert.NotAfter.Before(notAfter) {
		notAfter = a.cert.NotAfter
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial(),
		Subject:      pkix.Name{CommonName: host},
		DNSNames:     []string{host},
		NotBefore:    now.Add(-backdate),
		NotAfter:     notAfter,
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, a.cert, &a.leafKey.PublicKey, a.key)
	if err != nil {
		return nil, fmt.Errorf("intercept: sign a certificate for %s: %w", host, err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("intercept: parse the certificate for %s: %w", host, err)
	}
	c := &tls.Certificate{Certificate: [][]byte{der, a.cert.Raw}, PrivateKey: a.leafKey, Leaf: leaf}
	a.leaves[host] = c
	return c, nil
}

// Save writes the authority to dir: CertFileName (mode 0644) and
// KeyFileName (mode 0600, created only by this call; an existing one is
// replaced). dir is created with mode 0700 when missing.
func (a *Authority) Save(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("intercept: create %s: %w", dir, err)
	}
	der, err := x509.MarshalECPrivateKey(a.key)
	if err != nil {
		return fmt.Errorf("intercept: encode the authority's key: %w", err)
	}
	keyPath := filepath.Join(dir, KeyFileName)
	_ = os.Remove(keyPath) // so that the mode below is the file's, whatever it was
	if err := writeNew(keyPath, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: der}), 0o600); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, CertFileName), a.certPEM, 0o644); err != nil {
		return fmt.Errorf("intercept: write the authority's certificate: %w", err)
	}
	return nil
}

// writeNew creates path with mode perm (failing if it exists) and writes data.
func writeNew(path string, data []byte, perm fs.FileMode) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
	if err != nil {
		return fmt.Errorf("intercept: create %s: %w", path, err)
	}
	if _, err := f.Write(data); err != nil {
		_ = f.Close()
		return fmt.Errorf("intercept: write %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("intercept: write %s: %w", path, err)
	}
	return nil
}

// ErrNoAuthority is what LoadAuthority returns for a folder without one.
var ErrNoAuthority = errors.New("intercept: no authority in the folder")

// LoadAuthority reads the authority Save wrote to dir. It refuses a key
// file that others than its owner may read, and an authority that has
// expired or expires within a day.
func LoadAuthority(dir string) (*Authority, error) {
	keyPath := filepath.Join(dir, KeyFileName)
	st, err := os.Stat(keyPath)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, ErrNoAuthority
	}
	if err != nil {
		return nil, fmt.Errorf("intercept: %w", err)
	}
	if st.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("intercept: %s has mode %04o: others may read the authority's key; chmod 600 it (or delete the folder's authority)", keyPath, st.Mode().Perm())
	}
	keyPEM, err := os.ReadFile(keyPath)
	if err != nil {
		return nil, fmt.Errorf("intercept: %w", err)
	}
	certPEM, err := os.ReadFile(filepath.Join(dir, CertFileName))
	if err != nil {
		return nil, fmt.Errorf("intercept: %w", err)
	}
	kb, _ := pem.Decode(keyPEM)
	cb, _ := pem.Decode(certPEM)
	if kb == nil || cb == nil {
		return nil, fmt.Errorf("intercept: %s: not PEM files of an otnsim authority", dir)
	}
	key, err := x509.ParseECPrivateKey(kb.Bytes)
	if err != nil {
		return nil, fmt.Errorf("intercept: %s: %w", keyPath, err)
	}
	a, err := fromParts(cb.Bytes, key)
	if err != nil {
		return nil, err
	}
	if pub, ok := a.cert.PublicKey.(*ecdsa.PublicKey); !ok || !pub.Equal(&key.PublicKey) {
		return nil, fmt.Errorf("intercept: %s: the key does not belong to the certificate", dir)
	}
	if time.Until(a.cert.NotAfter) < leafLifetime {
		return nil, fmt.Errorf("intercept: %s: the authority expires %s; delete its files for a new one", dir, a.cert.NotAfter.UTC().Format(time.RFC3339))
	}
	return a, nil
}

// LoadOrCreateAuthority loads the authority kept in dir, or creates one
// there (valid a year) when dir holds none.
func LoadOrCreateAuthority(dir string) (*Authority, error) {
	a, err := LoadAuthority(dir)
	if !errors.Is(err, ErrNoAuthority) {
		return a, err
	}
	if a, err = NewAuthority(keptLifetime); err != nil {
		return nil, err
	}
	if err := a.Save(dir); err != nil {
		return nil, err
	}
	return a, nil
}
