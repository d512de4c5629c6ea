package versions

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/programming-kubernetes/cnat/test/integration/framework"
	"github.com/programming-kubernetes/cnat/test/internal/storagemigration"
)

const group = "cnat.programming-kubernetes.info"

// release is one row of docs/versions.md's table: what the current binary does at an emulated release.
type release struct {
	flags []string
	// served are the versions served, in discovery's order (the first is the preferred one).
	served []string
	// storage is the version Ats are written to etcd in.
	storage string
	// deprecated are the served versions whose requests carry a deprecation warning.
	deprecated []string
	// replacement is the version the warnings tell clients to use.
	replacement string
}

// table is docs/versions.md's table of the current binary (cnat 1.2).
var table = map[string]release{
	"1.0": {flags: []string{"--emulated-version", "cnat=1.0"}, served: []string{"v1beta1", "v1alpha1"}, storage: "v1beta1",
		deprecated: []string{"v1alpha1"}, replacement: "v1beta1"},
	"1.1": {flags: []string{"--emulated-version", "cnat=1.1"}, served: []string{"v1", "v1beta1", "v1alpha1"}, storage: "v1beta1",
		deprecated: []string{"v1beta1", "v1alpha1"}, replacement: "v1"},
	"1.2": {served: []string{"v1", "v1beta1", "v1alpha1"}, storage: "v1", deprecated: []string{"v1beta1", "v1alpha1"}, replacement: "v1"},
	// 1.2 kept able to roll back to 1.0: the storage version stays one 1.0 reads.
	"1.2, min compatibility 1.0": {flags: []string{"--min-compatibility-version", "cnat=1.0"},
		served: []string{"v1", "v1beta1", "v1alpha1"}, storage: "v1beta1", deprecated: []string{"v1beta1", "v1alpha1"}, replacement: "v1"},
}

// warningText is the deprecation warning of a version, as docs/versions.md quotes it.
func warningText(version, replacement string) string {
	return map[string]string{
		"v1alpha1": group + "/v1alpha1 At is deprecated in v1.0+, unavailable in v1.3+",
		"v1beta1":  group + "/v1beta1 At is deprecated in v1.1+, unavailable in v1.4+",
	}[version] + "; use " + group + "/" + replacement + " At"
}

// TestReleaseTable: each emulated release of the current binary serves, prefers, stores and warns as the
// table says; a version it does not serve answers 404 on its paths and is absent from OpenAPI.
func TestReleaseTable(t *testing.T) {
	for name, want := range table {
		t.Run(name, func(t *testing.T) {
			s := start(t, "cnat-"+strings.ReplaceAll(name, " ", "-"), current, want.flags...)

			served, preferred := groupVersions(t, s)
			if !slices.Equal(served, want.served) || preferred != want.served[0] {
				t.Errorf("discovery serves %v preferring %s, want %v preferring %s", served, preferred, want.served, want.served[0])
			}

			var openapi struct{ Paths map[string]any }
			decode(t, s, "/openapi/v3", &openapi)
			for _, version := range []string{"v1", "v1beta1", "v1alpha1"} {
				isServed := slices.Contains(want.served, version)
				_, inOpenAPI := openapi.Paths["apis/"+group+"/"+version]
				if inOpenAPI != isServed {
					t.Errorf("%s in /openapi/v3: %v, served: %v", version, inOpenAPI, isServed)
				}
				path := "/apis/" + group + "/" + version + "/namespaces/default/ats"
				code, body := s.get(t, path)
				switch {
				case isServed && code != http.StatusOK:
					t.Errorf("GET %s: %d %s, want 200", path, code, body)
				case !isServed && code != http.StatusNotFound:
					t.Errorf("GET %s: %d, want 404 (not served)", path, code)
				}
				if !isServed {
					continue
				}
				warned := slices.Contains(s.warningsOf(http.MethodGet, path), `299 - "`+warningText(version, want.replacement)+`"`)
				if wantWarned := slices.Contains(want.deprecated, version); warned != wantWarned || (!wantWarned && len(s.warningsOf(http.MethodGet, path)) > 0) {
					t.Errorf("GET %s warned %q, want the deprecation warning: %v", path, s.warningsOf(http.MethodGet, path), wantWarned)
				}
			}

			// What a create writes to etcd.
			at := `{"apiVersion":"` + group + `/` + want.served[0] + `","kind":"At","metadata":{"name":"stored"},` +
				`"spec":{"schedule":"2030-01-01T00:00:00Z","command":["echo","hi"]}}`
			path := "/apis/" + group + "/" + want.served[0] + "/namespaces/default/ats"
			if code, body := s.do(t, http.MethodPost, path, "application/json", at, "application/json"); code != http.StatusCreated {
				t.Fatalf("POST %s: %d %s", path, code, body)
			}
			s.stop()
			mediaType, apiVersion, _, err := storagemigration.TypeOf(framework.StoredValue(t, s.dataDir, "default", "stored"))
			if err != nil {
				t.Fatal(err)
			}
			if apiVersion != group+"/"+want.storage || mediaType != storagemigration.Protobuf {
				t.Errorf("stored as %s %s, want protobuf %s/%s", mediaType, apiVersion, group, want.storage)
			}
		})
	}
}

// decode GETs path as JSON into v.
func decode(t *testing.T, s *server, path string, v any) {
	t.Helper()
	code, body := s.get(t, path)
	if code != http.StatusOK {
		t.Fatalf("GET %s: %d %s", path, code, body)
	}
	if err := json.Unmarshal(body, v); err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
}
