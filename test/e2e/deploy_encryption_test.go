package e2e

import (
	"bytes"
	"encoding/base64"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	apiserverv1 "k8s.io/apiserver/pkg/apis/apiserver/v1"
	"k8s.io/apiserver/pkg/server/options/encryptionconfig"
	"k8s.io/apiserver/pkg/storage/value"
	"sigs.k8s.io/yaml"
)

// Encryption at rest of Ats: the component artifacts/deploy/components/encryption-at-rest mounts the
// EncryptionConfiguration of a Secret into cnat-apiserver and points its flags at it.
const (
	deployEncryptionComponent = "components/encryption-at-rest"
	deployEncryptionSecret    = "cnat-encryption-config"
	deployEncryptionKey       = "encryption-config.yaml"
)

// checkEncryptionWiring: cnat-apiserver's --encryption-provider-config is the key of the Secret the
// component mounts (read-only, not readable by other users), and reloaded when it changes.
func checkEncryptionWiring(t *testing.T, objs []*unstructured.Unstructured) {
	t.Helper()
	deploy := findObject(t, objs, "Deployment", "cnat-apiserver")
	container := onlyContainer(t, deploy)
	checkSecretFile(t, deploy, container, "encryption-provider-config", deployEncryptionSecret, deployEncryptionKey)
	if v, _ := flag(t, containerArgs(container), "encryption-provider-config-automatic-reload"); v != "true" {
		t.Errorf("--encryption-provider-config-automatic-reload is %q, want true: a new key would need a restart", v)
	}
}

// checkEncryptionConfig: the configuration cnat-apiserver reads from the Secret (the file its flag names)
// is an EncryptionConfiguration, decoded strictly, for Ats alone, that encrypts with secretbox and a 32-byte
// key and still reads what was stored in the clear (identity last); k8s.io/apiserver loads it as the server
// will, and its transformer for ats encrypts with that key and reads back both what it wrote and plain data.
func checkEncryptionConfig(t *testing.T, objs []*unstructured.Unstructured) {
	t.Helper()
	deploy := findObject(t, objs, "Deployment", "cnat-apiserver")
	data := fileData(t, objs, deploy, onlyContainer(t, deploy), "encryption-provider-config")

	var cfg apiserverv1.EncryptionConfiguration
	if err := yaml.UnmarshalStrict(data, &cfg); err != nil {
		t.Fatalf("Secret %s: %s is no EncryptionConfiguration: %v", deployEncryptionSecret, deployEncryptionKey, err)
	}
	if cfg.Kind != "EncryptionConfiguration" || cfg.APIVersion != apiserverv1.SchemeGroupVersion.String() {
		t.Errorf("Secret %s holds a %s %s", deployEncryptionSecret, cfg.APIVersion, cfg.Kind)
	}
	ats := "ats." + deployGroup
	if len(cfg.Resources) != 1 || !slices.Equal(cfg.Resources[0].Resources, []string{ats}) {
		t.Fatalf("the EncryptionConfiguration is for %+v, want [%s]", cfg.Resources, ats)
	}
	providers := cfg.Resources[0].Providers
	if len(providers) < 2 || providers[0].Secretbox == nil || len(providers[0].Secretbox.Keys) == 0 || providers[len(providers)-1].Identity == nil {
		t.Fatalf("providers %+v: want secretbox with a key first, identity last", providers)
	}
	key := providers[0].Secretbox.Keys[0]
	if secret, err := base64.StdEncoding.DecodeString(key.Secret); err != nil || len(secret) != 32 || key.Name == "" {
		t.Errorf("secretbox key %q: %d bytes (%v), want a name and 32 bytes", key.Name, len(secret), err)
	}

	file := filepath.Join(t.TempDir(), deployEncryptionKey)
	if err := os.WriteFile(file, data, 0o600); err != nil {
		t.Fatal(err)
	}
	loaded, err := encryptionconfig.LoadEncryptionConfig(t.Context(), file, true, "")
	if err != nil {
		t.Fatalf("k8s.io/apiserver does not load the EncryptionConfiguration: %v", err)
	}
	transformer := loaded.Transformers[schema.GroupResource{Group: deployGroup, Resource: "ats"}]
	if transformer == nil {
		t.Fatalf("the loaded EncryptionConfiguration has no transformer for ats: %v", loaded.Transformers)
	}
	at, dataCtx := []byte(`{"kind":"At","spec":{"command":["launch-codes"]}}`), value.DefaultContext("/registry/"+ats+"/default/a")
	stored, err := transformer.TransformToStorage(t.Context(), at, dataCtx)
	if prefix := "k8s:enc:secretbox:v1:" + key.Name + ":"; err != nil || !bytes.HasPrefix(stored, []byte(prefix)) || bytes.Contains(stored, []byte("launch-codes")) {
		t.Errorf("an At is stored as %.40q… (%v), want it encrypted behind %q", stored, err, prefix)
	}
	for what, data := range map[string][]byte{"written encrypted": stored, "stored before encryption": at} {
		if back, _, err := transformer.TransformFromStorage(t.Context(), data, dataCtx); err != nil || !bytes.Equal(back, at) {
			t.Errorf("an At %s reads back as %q (%v)", what, back, err)
		}
	}
}

// renderWithComponent renders an overlay of dir (a kustomization) that adds a component of artifacts/deploy
// (components/…), as docs/cluster.md tells users to write it.
func renderWithComponent(t *testing.T, dir, component string) []*unstructured.Unstructured {
	t.Helper()
	overlay := t.TempDir()
	rel := func(to string) string {
		path, err := filepath.Rel(overlay, to)
		if err != nil {
			t.Fatal(err)
		}
		return path
	}
	kustomization := strings.Join([]string{
		"apiVersion: kustomize.config.k8s.io/v1beta1",
		"kind: Kustomization",
		"resources:",
		"- " + rel(dir),
		"components:",
		"- " + rel(filepath.Join(repoRoot, "artifacts", "deploy", component)),
	}, "\n") + "\n"
	if err := os.WriteFile(filepath.Join(overlay, "kustomization.yaml"), []byte(kustomization), 0o600); err != nil {
		t.Fatal(err)
	}
	return renderKustomize(t, overlay)
}
