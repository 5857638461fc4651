package main

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"
)

// pki is the set of files the server and its clients need, all under one directory. The files are created
// once per data directory and reused on restart, so a restarted server keeps accepting the kubeconfig and
// the service-account tokens issued before.
type pki struct {
	dir string
}

func (p pki) path(name string) string { return filepath.Join(p.dir, name) }

// Paths of the files, as the kube-apiserver flags and the kubeconfig need them.
func (p pki) caCert() string            { return p.path("ca.crt") }
func (p pki) servingCert() string       { return p.path("apiserver.crt") }
func (p pki) servingKey() string        { return p.path("apiserver.key") }
func (p pki) adminCert() string         { return p.path("admin.crt") }
func (p pki) adminKey() string          { return p.path("admin.key") }
func (p pki) frontProxyCACert() string  { return p.path("front-proxy-ca.crt") }
func (p pki) frontProxyCert() string    { return p.path("front-proxy-client.crt") }
func (p pki) frontProxyKey() string     { return p.path("front-proxy-client.key") }
func (p pki) serviceAccountKey() string { return p.path("sa.key") }
func (p pki) serviceAccountPub() string { return p.path("sa.pub") }
func (p pki) webhookCert() string       { return p.path("webhook.crt") }
func (p pki) webhookKey() string        { return p.path("webhook.key") }

// frontProxyClientName is the common name the aggregator presents to aggregated API servers; they trust
// the X-Remote-* headers only from a client certificate with this name signed by the front-proxy CA.
const frontProxyClientName = "front-proxy-client"

// ensure generates whatever is missing. The last file written is the service-account public key, so its
// presence means a previous run completed; otherwise everything is generated afresh.
func (p pki) ensure(serviceIP net.IP) error {
	if _, err := os.Stat(p.serviceAccountPub()); err == nil {
		return nil
	}
	if err := os.MkdirAll(p.dir, 0o700); err != nil {
		return err
	}

	ca, err := newCA("switchboard-test-ca")
	if err != nil {
		return err
	}
	if err := ca.writeCert(p.caCert()); err != nil {
		return err
	}
	serving := &x509.Certificate{
		Subject:     pkix.Name{CommonName: "kube-apiserver"},
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback, serviceIP},
		DNSNames: []string{
			"localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc",
			"kubernetes.default.svc.cluster.local",
		},
	}
	if err := ca.issue(serving, p.servingCert(), p.servingKey()); err != nil {
		return err
	}
	// system:masters is bound to cluster-admin by the bootstrap RBAC policy.
	admin := &x509.Certificate{
		Subject:     pkix.Name{CommonName: "switchboard-admin", Organization: []string{"system:masters"}},
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	if err := ca.issue(admin, p.adminCert(), p.adminKey()); err != nil {
		return err
	}

	// For tests that serve an admission webhook (or an aggregated API) on the loopback interface: the
	// server trusts it when the webhook configuration's caBundle is ca.crt.
	webhook := &x509.Certificate{
		Subject:     pkix.Name{CommonName: "switchboard-test-webhook"},
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
		DNSNames:    []string{"localhost"},
	}
	if err := ca.issue(webhook, p.webhookCert(), p.webhookKey()); err != nil {
		return err
	}

	// A separate CA for the aggregation layer, as kubeadm sets it up: a client certificate signed by the
	// main CA must never be able to assert a user through request headers.
	frontProxyCA, err := newCA("front-proxy-ca")
	if err != nil {
		return err
	}
	if err := frontProxyCA.writeCert(p.frontProxyCACert()); err != nil {
		return err
	}
	frontProxy := &x509.Certificate{
		Subject:     pkix.Name{CommonName: frontProxyClientName},
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	if err := frontProxyCA.issue(frontProxy, p.frontProxyCert(), p.frontProxyKey()); err != nil {
		return err
	}

	// Service-account tokens are signed with ES256.
	saKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	if err := writeKey(p.serviceAccountKey(), saKey); err != nil {
		return err
	}
	pub, err := x509.MarshalPKIXPublicKey(saKey.Public())
	if err != nil {
		return err
	}
	return writePEM(p.serviceAccountPub(), "PUBLIC KEY", pub, 0o644)
}

// certAuthority signs leaf certificates.
type certAuthority struct {
	cert *x509.Certificate
	key  crypto.Signer
}

// validity is long enough that a developer's long-lived .switchboard/ never meets an expired certificate.
const validity = 10 * 365 * 24 * time.Hour

func newCA(name string) (*certAuthority, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	serial, err := randomSerial()
	if err != nil {
		return nil, err
	}
	now := time.Now()
	template := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: name},
		NotBefore:             now.Add(-time.Hour), // tolerate a little clock skew
		NotAfter:              now.Add(validity),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, template, template, key.Public(), key)
	if err != nil {
		return nil, err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	return &certAuthority{cert: cert, key: key}, nil
}

func (ca *certAuthority) writeCert(path string) error {
	return writePEM(path, "CERTIFICATE", ca.cert.Raw, 0o644)
}

// issue completes template (serial, validity, key usage), signs it with a fresh key and writes both.
func (ca *certAuthority) issue(template *x509.Certificate, certPath, keyPath string) error {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	serial, err := randomSerial()
	if err != nil {
		return err
	}
	template.SerialNumber = serial
	template.NotBefore = ca.cert.NotBefore
	template.NotAfter = ca.cert.NotAfter
	template.KeyUsage = x509.KeyUsageDigitalSignature
	template.BasicConstraintsValid = true
	der, err := x509.CreateCertificate(rand.Reader, template, ca.cert, key.Public(), ca.key)
	if err != nil {
		return fmt.Errorf("signing %s: %w", template.Subject.CommonName, err)
	}
	if err := writeKey(keyPath, key); err != nil {
		return err
	}
	return writePEM(certPath, "CERTIFICATE", der, 0o644)
}

func randomSerial() (*big.Int, error) {
	return rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
}

func writeKey(path string, key *ecdsa.PrivateKey) error {
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return err
	}
	return writePEM(path, "PRIVATE KEY", der, 0o600)
}

func writePEM(path, blockType string, der []byte, mode fs.FileMode) error {
	data := pem.EncodeToMemory(&pem.Block{Type: blockType, Bytes: der})
	if data == nil {
		return errors.New("encoding PEM for " + path)
	}
	return os.WriteFile(path, data, mode)
}
