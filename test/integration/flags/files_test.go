package flags

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/programming-kubernetes/cnat/test/integration/framework"
	"github.com/programming-kubernetes/cnat/test/internal/encryptionconfig"
	"github.com/programming-kubernetes/cnat/test/internal/gobuild"
	"github.com/programming-kubernetes/cnat/test/internal/pki"
)

// fileCase is cnat-apiserver started with flags naming configuration files: refused with a last line that
// holds every one of refusal, or, when refusal is empty, started.
type fileCase struct {
	name    string
	flags   []string
	refusal []string
}

// TestConfigurationFiles: a configuration file of the wrong kind, with unknown fields, empty, missing, or a
// certificate without its key, expired, or not matching it, is refused at start with a line naming the flag;
// a good one of each kind starts the server.
func TestConfigurationFiles(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	root, err := gobuild.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	goodAdmission := filepath.Join(root, "artifacts", "admission", "admission-config.yaml")
	goodEncryption := write("encryption.yaml", encryptionconfig.For(true, "key1"))
	missing := filepath.Join(dir, "missing.yaml")
	empty := write("empty.yaml", "")
	garbage := write("garbage.pem", "not PEM, not YAML: [\n")
	admissionWith := func(name, atPolicy string) string {
		return write(name, `apiVersion: apiserver.config.k8s.io/v1
kind: AdmissionConfiguration
plugins:
  - name: AtPolicy
    configuration:
`+indent(atPolicy, "      "))
	}
	ca, err := pki.NewCA(dir, "ca", "test-ca")
	if err != nil {
		t.Fatal(err)
	}
	serving, err := ca.Issue(dir, "serving", "localhost", nil, pki.Server, "127.0.0.1", "localhost")
	if err != nil {
		t.Fatal(err)
	}
	other, err := ca.Issue(dir, "other", "localhost", nil, pki.Server, "127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	// Self-signed certificates serve as well as any (the server does not check its own chain).
	expired, err := pki.NewCAValidBetween(dir, "expired", "localhost", time.Now().Add(-48*time.Hour), time.Now().Add(-24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	notYet, err := pki.NewCAValidBetween(dir, "not-yet", "localhost", time.Now().Add(24*time.Hour), time.Now().Add(48*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	kubeconfig := writeKubeconfig(t, "https://127.0.0.1:1")
	kubeconfigWithoutContext := write("no-context.kubeconfig", "apiVersion: v1\nkind: Config\nclusters: []\n")
	// Aggregated mode (a cluster that is not there): the flags of delegated authentication are read.
	aggregated := func(flags ...string) []string { return append([]string{"--kubeconfig", kubeconfig}, flags...) }

	cases := []fileCase{
		// --admission-control-config-file, with AtPolicy's configuration in it.
		{"admission: good", []string{"--admission-control-config-file", goodAdmission}, nil},
		{"admission: missing", []string{"--admission-control-config-file", missing}, []string{"--admission-control-config-file", "no such file"}},
		{"admission: empty", []string{"--admission-control-config-file", empty}, []string{"--admission-control-config-file", "empty"}},
		{"admission: an EncryptionConfiguration", []string{"--admission-control-config-file", goodEncryption},
			[]string{"--admission-control-config-file", "EncryptionConfiguration"}},
		{"admission: no apiVersion", []string{"--admission-control-config-file", write("admission-no-version.yaml", "kind: Foo\n")},
			[]string{"--admission-control-config-file", "apiVersion"}},
		{"admission: unknown field", []string{"--admission-control-config-file", write("admission-unknown.yaml",
			"apiVersion: apiserver.config.k8s.io/v1\nkind: AdmissionConfiguration\npluginz: []\n")},
			[]string{"--admission-control-config-file", "pluginz"}},
		{"admission: AtPolicy unknown field", []string{"--admission-control-config-file", admissionWith("atpolicy-unknown.yaml",
			"apiVersion: admission.cnat.programming-kubernetes.info/v1alpha1\nkind: AtPolicyConfiguration\ndefaultImagee: alpine\n")},
			[]string{"--admission-control-config-file", "defaultImagee"}},
		{"admission: AtPolicy wrong kind", []string{"--admission-control-config-file", admissionWith("atpolicy-kind.yaml",
			"apiVersion: apiserver.config.k8s.io/v1\nkind: EncryptionConfiguration\nresources: []\n")},
			[]string{"--admission-control-config-file", "AtPolicyConfiguration"}},
		{"admission: AtPolicy invalid value", []string{"--admission-control-config-file", admissionWith("atpolicy-invalid.yaml",
			"apiVersion: admission.cnat.programming-kubernetes.info/v1alpha1\nkind: AtPolicyConfiguration\nmaxScheduleAhead: forever\n")},
			[]string{"--admission-control-config-file", "maxScheduleAhead"}},

		// --encryption-provider-config.
		{"encryption: good", []string{"--encryption-provider-config", goodEncryption}, nil},
		{"encryption: missing", []string{"--encryption-provider-config", missing}, []string{"--encryption-provider-config", "no such file"}},
		{"encryption: empty", []string{"--encryption-provider-config", empty}, []string{"--encryption-provider-config", "empty"}},
		{"encryption: an AdmissionConfiguration", []string{"--encryption-provider-config", goodAdmission},
			[]string{"--encryption-provider-config", "EncryptionConfiguration"}},
		{"encryption: no providers", []string{"--encryption-provider-config", write("encryption-invalid.yaml",
			"apiVersion: apiserver.config.k8s.io/v1\nkind: EncryptionConfiguration\nresources:\n- resources: [ats.cnat.programming-kubernetes.info]\n  providers: []\n")},
			[]string{"--encryption-provider-config", "providers"}},

		// --tls-cert-file and --tls-private-key-file.
		{"tls: good pair", []string{"--tls-cert-file", serving.CertFile, "--tls-private-key-file", serving.KeyFile}, nil},
		{"tls: certificate without its key", []string{"--tls-cert-file", serving.CertFile}, []string{"--tls-cert-file", "--tls-private-key-file"}},
		{"tls: key without its certificate", []string{"--tls-private-key-file", serving.KeyFile}, []string{"--tls-private-key-file", "--tls-cert-file"}},
		{"tls: mismatched pair", []string{"--tls-cert-file", serving.CertFile, "--tls-private-key-file", other.KeyFile},
			[]string{"--tls-cert-file", "does not match"}},
		{"tls: expired", []string{"--tls-cert-file", expired.CertFile, "--tls-private-key-file", expired.KeyFile}, []string{"--tls-cert-file", "expired"}},
		{"tls: not valid yet", []string{"--tls-cert-file", notYet.CertFile, "--tls-private-key-file", notYet.KeyFile},
			[]string{"--tls-cert-file", "not valid before"}},
		{"tls: garbage certificate", []string{"--tls-cert-file", garbage, "--tls-private-key-file", serving.KeyFile}, []string{"--tls-cert-file"}},
		{"tls-sni-cert-key: mismatched pair", []string{"--tls-sni-cert-key", serving.CertFile + "," + other.KeyFile},
			[]string{"--tls-sni-cert-key", "does not match"}},

		// Client CAs: read in aggregated mode, refused standalone (which trusts only its own CA).
		{"client-ca-file: garbage, aggregated", aggregated("--client-ca-file", garbage), []string{"--client-ca-file"}},
		{"client-ca-file: standalone", []string{"--client-ca-file", ca.CertFile}, []string{"--client-ca-file", "aggregated mode"}},
		{"requestheader-client-ca-file: empty, aggregated", aggregated("--requestheader-client-ca-file", empty),
			[]string{"--requestheader-client-ca-file", "empty"}},
		{"requestheader-client-ca-file: a key, aggregated", aggregated("--requestheader-client-ca-file", serving.KeyFile),
			[]string{"--requestheader-client-ca-file"}},

		// --kubeconfig.
		{"kubeconfig: missing", []string{"--kubeconfig", missing}, []string{"--kubeconfig", "no such file"}},
		{"kubeconfig: empty", []string{"--kubeconfig", empty}, []string{"--kubeconfig", "empty"}},
		{"kubeconfig: garbage", []string{"--kubeconfig", garbage}, []string{"--kubeconfig"}},
		{"kubeconfig: no context", []string{"--kubeconfig", kubeconfigWithoutContext}, []string{"--kubeconfig"}},

		// --audit-policy-file.
		{"audit policy: good", []string{"--audit-policy-file", write("audit.yaml", "apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n- level: Metadata\n"),
			"--audit-log-path", filepath.Join(dir, "audit.log")}, nil},
		{"audit policy: an AdmissionConfiguration", []string{"--audit-policy-file", goodAdmission}, []string{"--audit-policy-file"}},

		// etcd's client certificates.
		{"etcd-cafile: garbage", []string{"--etcd-cafile", garbage}, []string{"--etcd-cafile"}},
		{"etcd-certfile without etcd-keyfile", []string{"--etcd-certfile", serving.CertFile}, []string{"--etcd-certfile", "--etcd-keyfile"}},
		{"etcd-keyfile: not the certificate's", []string{"--etcd-certfile", serving.CertFile, "--etcd-keyfile", other.KeyFile},
			[]string{"--etcd-certfile", "does not match"}},
	}
	runs := make([]func() result, len(cases))
	for i, c := range cases {
		port, err := framework.FreePort()
		if err != nil {
			t.Fatal(err)
		}
		args := append([]string{"--data-dir", t.TempDir(), "--secure-port", strconv.Itoa(port), "--etcd-servers", etcdURL}, c.flags...)
		runs[i] = func() result { return runBinary(binary("cnat-apiserver"), apiserverStarted, args) }
	}
	results := runAll(runs)
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := results[i]
			if r.crashed() {
				t.Fatalf("crashed:\n%s", tail(r.output))
			}
			if c.refusal == nil {
				if r.outcome != accepted {
					t.Fatalf("%v, want started:\n%s", r.outcome, tail(r.output))
				}
				return
			}
			if r.outcome != refused {
				t.Fatalf("%v, want refused:\n%s", r.outcome, tail(r.output))
			}
			for _, part := range c.refusal {
				if !strings.Contains(r.lastLine(), part) {
					t.Errorf("the last line does not say %q:\n%s", part, r.lastLine())
				}
			}
		})
	}
}

// indent puts prefix before every line of s.
func indent(s, prefix string) string {
	return prefix + strings.ReplaceAll(strings.TrimSuffix(s, "\n"), "\n", "\n"+prefix) + "\n"
}
