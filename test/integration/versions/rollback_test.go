package versions

import (
	"bytes"
	"encoding/json"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/programming-kubernetes/cnat/test/integration/framework"
	"github.com/programming-kubernetes/cnat/test/internal/releases"
	"github.com/programming-kubernetes/cnat/test/internal/storagemigration"
)

// TestUpgradeAndRollback: one data dir through the releases. The previous release's binary writes; the
// current binary reads it emulating that release, then 1.1, which serves v1 and still stores v1beta1, so a
// rollback to the previous binary reads everything. At 1.2 the storage version moves to v1: from the first
// At written there, the previous binary (and the current one emulating it) refuses to start, naming the
// stored version, without touching etcd; a rollback to 1.1 still works.
func TestUpgradeAndRollback(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	ats := "/apis/" + group + "/%s/namespaces/default/ats"
	create := func(s *server, version, name, spec string) {
		t.Helper()
		body := `{"apiVersion":"` + group + `/` + version + `","kind":"At","metadata":{"name":"` + name + `"},"spec":` + spec + `}`
		path := strings.Replace(ats, "%s", version, 1)
		if code, out := s.do(t, http.MethodPost, path, "application/json", body, "application/json"); code != http.StatusCreated {
			t.Fatalf("POST %s %s: %d %s", path, name, code, out)
		}
	}
	storedIn := func() map[string]string {
		t.Helper()
		versions := map[string]string{}
		for key, value := range framework.StoredValues(t, dir) {
			_, apiVersion, _, err := storagemigration.TypeOf(value)
			if err != nil {
				t.Fatal(err)
			}
			versions[key] = strings.TrimPrefix(apiVersion, group+"/")
		}
		return versions
	}
	const schedule = `"schedule":"2030-01-01T00:00:00Z"`
	want := map[string]string{
		"from-1.0": "echo from 1.0", "book": "/bin/sh -c echo from the book", "from-1.1": "echo from 1.1",
	}

	s := startOn(t, dir, "cnat-"+releases.Previous, previous)
	create(s, "v1beta1", "from-1.0", `{`+schedule+`,"command":["echo","from 1.0"]}`)
	create(s, "v1alpha1", "book", `{"schedule":"2030-01-01T00:00:00Z","command":"echo from the book"}`)
	s.stop()

	s = startOn(t, dir, "cnat-emulating-1.0", current, "--emulated-version", "cnat=1.0")
	for _, name := range []string{"from-1.0", "book"} {
		if got := commandOf(t, s, name); got != want[name] {
			t.Errorf("%s after the upgrade: command %q, want %q", name, got, want[name])
		}
	}
	s.stop()

	s = startOn(t, dir, "cnat-emulating-1.1", current, "--emulated-version", "cnat=1.1")
	create(s, "v1", "from-1.1", `{`+schedule+`,"command":["echo","from 1.1"]}`)
	s.stop()
	for key, version := range storedIn() {
		if version != "v1beta1" {
			t.Errorf("%s stored in %s at 1.1, want v1beta1 (1.0 must read it)", key, version)
		}
	}

	s = startOn(t, dir, "cnat-"+releases.Previous+"-rolled-back", previous)
	for name, command := range want {
		if got := commandOf(t, s, name); got != command {
			t.Errorf("%s after the rollback to %s: command %q, want %q", name, releases.Previous, got, command)
		}
	}
	s.stop()

	// 1.2: the storage version moves. One update, one create.
	s = startOn(t, dir, "cnat-1.2", current)
	path := strings.Replace(ats, "%s", "v1", 1) + "/from-1.0"
	if code, out := s.do(t, http.MethodPatch, path, "application/merge-patch+json", `{"metadata":{"labels":{"at":"1.2"}}}`, "application/json"); code != http.StatusOK {
		t.Fatalf("PATCH %s: %d %s", path, code, out)
	}
	create(s, "v1", "from-1.2", `{`+schedule+`,"command":["echo","from 1.2"]}`)
	want["from-1.2"] = "echo from 1.2"
	s.stop()
	stored := storedIn()
	if stored["default/from-1.0"] != "v1" || stored["default/from-1.2"] != "v1" || stored["default/book"] != "v1beta1" {
		t.Errorf("stored versions after 1.2's writes: %v, want from-1.0 and from-1.2 in v1, the others untouched", stored)
	}

	before := framework.StoredValues(t, dir)
	for _, rollback := range []struct {
		name, bin string
		flags     []string
	}{
		{"cnat-" + releases.Previous + "-past-the-move", previous, nil},
		{"cnat-emulating-1.0-past-the-move", current, []string{"--emulated-version", "cnat=1.0"}},
	} {
		_, err := tryStartOn(t, dir, rollback.name, rollback.bin, rollback.flags...)
		if err == nil {
			t.Fatalf("%s started on Ats stored in v1", rollback.name)
		}
		for _, part := range []string{"etcd holds 2 stored as " + group + "/v1 (e.g.", "Run a release that serves " + group + "/v1"} {
			if !strings.Contains(err.Error(), part) {
				t.Errorf("%s: the refusal does not say %q:\n%v", rollback.name, part, lastLines(err.Error(), 5))
			}
		}
	}
	after := framework.StoredValues(t, dir)
	if len(after) != len(before) {
		t.Errorf("%d Ats stored after the refused starts, %d before", len(after), len(before))
	}
	for key, value := range before {
		if !bytes.Equal(after[key], value) {
			t.Errorf("%s changed by a refused start", key)
		}
	}

	// Back to 1.1, which reads v1: everything there, the label of 1.2's patch too.
	s = startOn(t, dir, "cnat-emulating-1.1-rolled-back", current, "--emulated-version", "cnat=1.1")
	for name, command := range want {
		if got := commandOf(t, s, name); got != command {
			t.Errorf("%s after the rollback to 1.1: command %q, want %q", name, got, command)
		}
	}
	var labelled struct {
		Metadata struct{ Labels map[string]string }
	}
	decode(t, s, strings.Replace(ats, "%s", "v1beta1", 1)+"/from-1.0", &labelled)
	if labelled.Metadata.Labels["at"] != "1.2" {
		t.Errorf("from-1.0's label written at 1.2 lost after the rollback to 1.1: %v", labelled.Metadata.Labels)
	}
}

// commandOf reads an At through v1beta1 and returns its spec.command, space-joined.
func commandOf(t *testing.T, s *server, name string) string {
	t.Helper()
	code, body := s.get(t, "/apis/"+group+"/v1beta1/namespaces/default/ats/"+name)
	if code != http.StatusOK {
		t.Fatalf("GET %s: %d %s", name, code, body)
	}
	var at struct {
		Spec struct{ Command []string }
	}
	if err := json.Unmarshal(body, &at); err != nil {
		t.Fatal(err)
	}
	return strings.Join(at.Spec.Command, " ")
}

// lastLines is the end of a long text (a server's log).
func lastLines(text string, n int) string {
	lines := strings.Split(strings.TrimSpace(text), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}
