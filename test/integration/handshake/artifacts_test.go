package handshake

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"

	"github.com/programming-kubernetes/cnat/test/internal/localup"
)

// artifactFlags returns the flags names (as --name=value) of the only container of the workload of kind in
// artifacts/deploy/server/<file>, as the cluster would run it: the tests start the real servers with them.
func artifactFlags(t *testing.T, file, kind string, names ...string) []string {
	t.Helper()
	path := filepath.Join(localup.Root(), "artifacts", "deploy", "server", file)
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	decoder := utilyaml.NewYAMLOrJSONDecoder(f, 4096)
	for {
		var obj unstructured.Unstructured
		if err := decoder.Decode(&obj.Object); errors.Is(err, io.EOF) {
			t.Fatalf("%s: no %s", path, kind)
		} else if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if obj.GetKind() != kind {
			continue
		}
		containers, _, _ := unstructured.NestedSlice(obj.Object, "spec", "template", "spec", "containers")
		if len(containers) != 1 {
			t.Fatalf("%s: %s has %d containers, want 1", path, kind, len(containers))
		}
		args, _, _ := unstructured.NestedStringSlice(containers[0].(map[string]any), "args")
		var flags []string
		for _, name := range names {
			found := false
			for _, arg := range args {
				if strings.HasPrefix(arg, "--"+name+"=") {
					flags, found = append(flags, arg), true
				}
			}
			if !found {
				t.Fatalf("%s: %s has no --%s", path, kind, name)
			}
		}
		return flags
	}
}
