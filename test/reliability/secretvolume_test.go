package reliability

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/programming-kubernetes/cnat/test/internal/pki"
)

// secretVolume is a directory laid out as kubelet lays out a Secret volume (its AtomicWriter): each file is a
// symlink into ..data, itself a symlink to a directory of this version's files. An update writes a new
// directory, swaps ..data with one rename and removes the old directory: a reader never sees a certificate
// with the key of another, which is how cert-manager's renewals reach a Pod.
type secretVolume struct{ dir string }

// Keys of a kubernetes.io/tls Secret, as cert-manager writes them.
const (
	tlsCert = "tls.crt"
	tlsKey  = "tls.key"
)

func newSecretVolume(t *testing.T, dir string, files map[string][]byte) secretVolume {
	t.Helper()
	v := secretVolume{dir: dir}
	if err := v.update(files); err != nil {
		t.Fatal(err)
	}
	return v
}

func (v secretVolume) path(name string) string { return filepath.Join(v.dir, name) }

// update replaces the volume's content atomically.
func (v secretVolume) update(files map[string][]byte) error {
	if err := os.MkdirAll(v.dir, 0o700); err != nil {
		return err
	}
	version, err := os.MkdirTemp(v.dir, ".."+time.Now().UTC().Format("2006_01_02_15_04_05."))
	if err != nil {
		return err
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(version, name), content, 0o600); err != nil {
			return err
		}
	}
	data := filepath.Join(v.dir, "..data")
	old, _ := os.Readlink(data)
	next := filepath.Join(v.dir, "..data_tmp")
	_ = os.Remove(next)
	if err := os.Symlink(filepath.Base(version), next); err != nil {
		return err
	}
	if err := os.Rename(next, data); err != nil {
		return err
	}
	for name := range files {
		link := v.path(name)
		if _, err := os.Lstat(link); os.IsNotExist(err) {
			if err := os.Symlink(filepath.Join("..data", name), link); err != nil {
				return err
			}
		}
	}
	if old != "" {
		return os.RemoveAll(filepath.Join(v.dir, old))
	}
	return nil
}

// pairFiles reads a certificate and its key as a TLS Secret's files.
func pairFiles(t *testing.T, p pki.Pair) map[string][]byte {
	t.Helper()
	return map[string][]byte{tlsCert: readFile(t, p.CertFile), tlsKey: readFile(t, p.KeyFile)}
}

func readFile(t *testing.T, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// replaceFile writes a file in place the way an operator's tooling does (a new file renamed over the old
// one): a reader sees either the old content or the new, never a part.
func replaceFile(t *testing.T, name string, content []byte) {
	t.Helper()
	tmp := name + ".new"
	if err := os.WriteFile(tmp, content, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, name); err != nil {
		t.Fatal(err)
	}
}

// renewProxyClient issues the aggregator's client certificate (front-proxy-client) anew from ca and writes it
// over kube-apiserver's --proxy-client-key-file and --proxy-client-cert-file, key first: kube-apiserver
// ignores a certificate that does not match its key, and loads the pair at the second file event.
func renewProxyClient(t *testing.T, ca *pki.CA, dir string, generation int, proxyClient pki.Pair) {
	t.Helper()
	pair, err := ca.Issue(dir, fmt.Sprintf("front-proxy-client-%d", generation), "front-proxy-client", nil, pki.Client)
	if err != nil {
		t.Fatal(err)
	}
	replaceFile(t, proxyClient.KeyFile, readFile(t, pair.KeyFile))
	replaceFile(t, proxyClient.CertFile, readFile(t, pair.CertFile))
}
