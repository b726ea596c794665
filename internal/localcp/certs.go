package localcp

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"
)

// certValidity is how long the generated certificates are valid.
const certValidity = 365 * 24 * time.Hour

// pkiFiles are the paths of the key material written by writePKI.
type pkiFiles struct {
	caCert, caKey           string // cluster CA: signs the serving cert, trusted by clients
	servingCert, servingKey string // kube-apiserver serving certificate
	saKey, saPub            string // service-account token signing key pair
	// The front-proxy CA and client certificate let kube-apiserver forward
	// requests to aggregated API servers, which trust the requestheader CA.
	frontProxyCACert, frontProxyCAKey         string
	frontProxyClientCert, frontProxyClientKey string
	caPEM                                     []byte // caCert's content, for rest.Config and kubeconfig
}

// frontProxyClientName is the common name kube-apiserver uses when it
// forwards requests to an aggregated API server.
const frontProxyClientName = "front-proxy-client"

// writePKI generates a CA, a kube-apiserver serving certificate signed by
// it, a front-proxy CA and client certificate, and a service-account signing
// key pair, and writes them as PEM files to dir.
func writePKI(dir string) (*pkiFiles, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create pki dir: %w", err)
	}
	path := func(name string) string { return filepath.Join(dir, name) }
	f := &pkiFiles{
		caCert: path("ca.crt"), caKey: path("ca.key"),
		servingCert: path("apiserver.crt"), servingKey: path("apiserver.key"),
		saKey: path("sa.key"), saPub: path("sa.pub"),
		frontProxyCACert: path("front-proxy-ca.crt"), frontProxyCAKey: path("front-proxy-ca.key"),
		frontProxyClientCert: path("front-proxy-client.crt"), frontProxyClientKey: path("front-proxy-client.key"),
	}
	ca, err := writeCA("berth-localcp-ca", f.caCert, f.caKey)
	if err != nil {
		return nil, err
	}
	f.caPEM = pemBlock("CERTIFICATE", ca.cert.Raw)
	if err := ca.writeLeaf(servingTemplate, f.servingCert, f.servingKey); err != nil {
		return nil, err
	}
	frontProxyCA, err := writeCA("berth-localcp-front-proxy-ca", f.frontProxyCACert, f.frontProxyCAKey)
	if err != nil {
		return nil, err
	}
	if err := frontProxyCA.writeLeaf(frontProxyClientTemplate, f.frontProxyClientCert, f.frontProxyClientKey); err != nil {
		return nil, err
	}
	if err := writeServiceAccountKeys(f.saKey, f.saPub); err != nil {
		return nil, err
	}
	return f, nil
}

// authority is a CA that signs leaf certificates.
type authority struct {
	cert *x509.Certificate
	key  crypto.Signer
}

// writeCA creates a self-signed CA and writes its certificate and key.
func writeCA(commonName, certPath, keyPath string) (*authority, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("generate %s key: %w", commonName, err)
	}
	tmpl, err := certTemplate(commonName)
	if err != nil {
		return nil, err
	}
	tmpl.IsCA = true
	tmpl.BasicConstraintsValid = true
	tmpl.KeyUsage = x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		return nil, fmt.Errorf("create %s certificate: %w", commonName, err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("parse %s certificate: %w", commonName, err)
	}
	if err := writeCertAndKey(certPath, keyPath, der, key); err != nil {
		return nil, err
	}
	return &authority{cert: cert, key: key}, nil
}

// writeLeaf creates a key and a certificate from newTemplate signed by the
// CA, and writes both.
func (a *authority) writeLeaf(newTemplate func() (*x509.Certificate, error), certPath, keyPath string) error {
	tmpl, err := newTemplate()
	if err != nil {
		return err
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return fmt.Errorf("generate %s key: %w", tmpl.Subject.CommonName, err)
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, a.cert, key.Public(), a.key)
	if err != nil {
		return fmt.Errorf("create %s certificate: %w", tmpl.Subject.CommonName, err)
	}
	return writeCertAndKey(certPath, keyPath, der, key)
}

// servingTemplate is kube-apiserver's serving certificate, valid for the
// loopback address and the in-cluster names of the kubernetes Service.
func servingTemplate() (*x509.Certificate, error) {
	tmpl, err := certTemplate("kube-apiserver")
	if err != nil {
		return nil, err
	}
	tmpl.KeyUsage = x509.KeyUsageDigitalSignature
	tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
	tmpl.DNSNames = []string{
		"localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc",
		"kubernetes.default.svc.cluster.local",
	}
	tmpl.IPAddresses = []net.IP{net.ParseIP("127.0.0.1"), net.IPv6loopback, net.ParseIP(kubernetesServiceIP)}
	return tmpl, nil
}

// frontProxyClientTemplate is the client certificate kube-apiserver presents
// to aggregated API servers.
func frontProxyClientTemplate() (*x509.Certificate, error) {
	tmpl, err := certTemplate(frontProxyClientName)
	if err != nil {
		return nil, err
	}
	tmpl.KeyUsage = x509.KeyUsageDigitalSignature
	tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}
	return tmpl, nil
}

// certTemplate returns a certificate template with a random serial number.
func certTemplate(commonName string) (*x509.Certificate, error) {
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return nil, fmt.Errorf("generate serial number: %w", err)
	}
	now := time.Now()
	return &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: commonName},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(certValidity),
	}, nil
}

// writeCertAndKey writes a DER certificate and an ECDSA key as PEM files.
func writeCertAndKey(certPath, keyPath string, certDER []byte, key *ecdsa.PrivateKey) error {
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return fmt.Errorf("marshal key for %s: %w", keyPath, err)
	}
	if err := os.WriteFile(certPath, pemBlock("CERTIFICATE", certDER), 0o600); err != nil {
		return fmt.Errorf("write certificate: %w", err)
	}
	if err := os.WriteFile(keyPath, pemBlock("EC PRIVATE KEY", keyDER), 0o600); err != nil {
		return fmt.Errorf("write key: %w", err)
	}
	return nil
}

// writeServiceAccountKeys writes an RSA key pair for signing service-account
// tokens (RS256 is what every Kubernetes client accepts).
func writeServiceAccountKeys(keyPath, pubPath string) error {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return fmt.Errorf("generate service-account key: %w", err)
	}
	pubDER, err := x509.MarshalPKIXPublicKey(key.Public())
	if err != nil {
		return fmt.Errorf("marshal service-account public key: %w", err)
	}
	if err := os.WriteFile(keyPath, pemBlock("RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(key)), 0o600); err != nil {
		return fmt.Errorf("write service-account key: %w", err)
	}
	if err := os.WriteFile(pubPath, pemBlock("PUBLIC KEY", pubDER), 0o600); err != nil {
		return fmt.Errorf("write service-account public key: %w", err)
	}
	return nil
}

func pemBlock(typ string, der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der})
}

// randomToken returns a random hex string suitable as a bearer token.
func randomToken() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("generate token: %w", err)
	}
	return hex.EncodeToString(b), nil
}
