package redisstore

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// testServerName is the only name in the test server's certificate, so a
// client that checks the address 127.0.0.1 instead rejects it.
const testServerName = "redis.test"

// writeTestPKI writes a new certificate authority and a server certificate
// for testServerName that it signs, and returns their files and a client
// config that trusts the authority.
func writeTestPKI(t *testing.T) *serverTLS {
	t.Helper()
	dir := t.TempDir()

	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	caTemplate := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "redisstore test CA"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		KeyUsage:              x509.KeyUsageCertSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTemplate, caTemplate, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	caCert, err := x509.ParseCertificate(caDER)
	if err != nil {
		t.Fatal(err)
	}

	serverKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	serverTemplate := &x509.Certificate{
		SerialNumber: big.NewInt(2),
		Subject:      pkix.Name{CommonName: testServerName},
		DNSNames:     []string{testServerName},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	serverDER, err := x509.CreateCertificate(rand.Reader, serverTemplate, caCert, &serverKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	serverKeyDER, err := x509.MarshalECPrivateKey(serverKey)
	if err != nil {
		t.Fatal(err)
	}

	files := &serverTLS{
		caFile:   filepath.Join(dir, "ca.pem"),
		certFile: filepath.Join(dir, "server.pem"),
		keyFile:  filepath.Join(dir, "server-key.pem"),
	}
	writePEM(t, files.caFile, "CERTIFICATE", caDER)
	writePEM(t, files.certFile, "CERTIFICATE", serverDER)
	writePEM(t, files.keyFile, "EC PRIVATE KEY", serverKeyDER)

	roots := x509.NewCertPool()
	roots.AddCert(caCert)
	files.client = &tls.Config{RootCAs: roots, ServerName: testServerName}
	return files
}

func writePEM(t *testing.T, path, blockType string, der []byte) {
	t.Helper()
	data := pem.EncodeToMemory(&pem.Block{Type: blockType, Bytes: der})
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestTLS(t *testing.T) {
	pki := writeTestPKI(t)
	srv := startServer(t, serverConfig{password: secret, tls: pki})
	ctx := testContext(t)
	tlsURL := "rediss://:" + secret + "@" + srv.addr + "/0"

	// wantErr is part of the error, or empty when any error will do. A
	// TLS port drops a plain client without a Redis reply, so that error
	// depends on timing.
	tests := []struct {
		name    string
		cfg     Config
		wantOK  bool
		wantErr string
	}{
		{"CAFile and ServerName", Config{URL: tlsURL, CAFile: pki.caFile, ServerName: testServerName}, true, ""},
		{"system roots", Config{URL: tlsURL, ServerName: testServerName}, false, "certificate signed by unknown authority"},
		{"address not in certificate", Config{URL: tlsURL, CAFile: pki.caFile}, false, "doesn't contain any IP SANs"},
		{"wrong ServerName", Config{URL: tlsURL, CAFile: pki.caFile, ServerName: "other.test"}, false, "not other.test"},
		{"plain connection", Config{URL: "redis://:" + secret + "@" + srv.addr + "/0"}, false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			store := newTestStore(t, tt.cfg)
			err := store.Ping(ctx)

			if tt.wantOK {
				if err != nil {
					t.Fatalf("Ping with %s error = %v, want nil", tt.name, err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Ping with %s error = nil, want an error", tt.name)
			}
			if !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("Ping with %s error = %q, want it to contain %q", tt.name, err, tt.wantErr)
			}
			if strings.Contains(err.Error(), secret) {
				t.Errorf("Ping with %s error = %q, which contains the password", tt.name, err)
			}
		})
	}
}
