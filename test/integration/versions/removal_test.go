package versions

import (
	"bytes"
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"

	clientv3 "go.etcd.io/etcd/client/v3"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/programming-kubernetes/cnat/pkg/apis/cnat/v1alpha1"
	"github.com/programming-kubernetes/cnat/test/integration/framework"
	"github.com/programming-kubernetes/cnat/test/internal/storagemigration"
)

// TestRemovalAtItsRelease: the current code built as 1.3, v1alpha1's removal release, does not serve
// v1alpha1 (404 on its paths, absent from discovery and OpenAPI) and warns about v1beta1 only; emulating 1.2 it
// serves v1alpha1 again. An At still stored in v1alpha1 (as the book's CRD stored it, never migrated) makes
// 1.3 refuse to start, naming v1alpha1; 1.2 serves it.
func TestRemovalAtItsRelease(t *testing.T) {
	s := start(t, "cnat-"+nextRelease, next)
	if served, preferred := groupVersions(t, s); !slices.Equal(served, []string{"v1", "v1beta1"}) || preferred != "v1" {
		t.Errorf("1.3 serves %v preferring %s, want [v1 v1beta1] preferring v1", served, preferred)
	}
	for _, path := range []string{"/apis/" + group + "/v1alpha1", "/apis/" + group + "/v1alpha1/namespaces/default/ats",
		"/apis/" + group + "/v1alpha1/ats"} {
		if code, _ := s.get(t, path); code != http.StatusNotFound {
			t.Errorf("1.3: GET %s answered %d, want 404", path, code)
		}
		// Nothing to deprecate in what is not served: a warning next to a 404 would tell the client to move
		// off a version it cannot use any more.
		if warnings := s.warningsOf(http.MethodGet, path); len(warnings) > 0 {
			t.Errorf("1.3: GET %s answered 404 warning %q, want no warning", path, warnings)
		}
	}
	// (A path under /openapi/v3/apis/ that is not in the index answers 200 with an empty body, whatever the
	// version, even one that never existed: k8s.io/apiserver's handler, not a sign of v1alpha1.)
	var openapi struct{ Paths map[string]any }
	decode(t, s, "/openapi/v3", &openapi)
	if _, ok := openapi.Paths["apis/"+group+"/v1alpha1"]; ok {
		t.Error("1.3: v1alpha1 in /openapi/v3")
	}
	code, v2 := s.get(t, "/openapi/v2")
	if code != http.StatusOK || bytes.Contains(v2, []byte("/apis/"+group+"/v1alpha1/")) {
		t.Errorf("1.3: /openapi/v2 answered %d, with v1alpha1's paths: %v", code, bytes.Contains(v2, []byte("/apis/"+group+"/v1alpha1/")))
	}
	path := "/apis/" + group + "/v1beta1/namespaces/default/ats"
	s.get(t, path)
	if warnings := s.warningsOf(http.MethodGet, path); !slices.Contains(warnings, `299 - "`+warningText("v1beta1", "v1")+`"`) {
		t.Errorf("1.3: GET %s warned %q, want v1beta1's deprecation", path, warnings)
	}
	s.stop()

	// An At the book's CRD stored (v1alpha1, JSON), never migrated.
	framework.WithEtcd(t, s.dataDir, func(ctx context.Context, client *clientv3.Client) {
		at := &v1alpha1.At{Spec: v1alpha1.AtSpec{Schedule: "2030-01-01T00:00:00Z", Command: "echo from the book"}}
		at.Name, at.Namespace = "from-the-book", "default"
		data, err := runtime.Encode(storagemigration.BookStorage(), at)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := client.Put(ctx, "/registry/"+group+"/"+group+"/ats/default/from-the-book", string(data)); err != nil {
			t.Fatal(err)
		}
	})
	_, err := tryStartOn(t, s.dataDir, "cnat-"+nextRelease+"-book", next)
	if err == nil || !strings.Contains(err.Error(), "etcd holds 1 stored as "+group+"/v1alpha1") {
		t.Fatalf("1.3 on an At stored in v1alpha1: want a refusal naming v1alpha1, got %v", lastLines(errString(err), 5))
	}
	previousOfNext := startOn(t, s.dataDir, "cnat-"+nextRelease+"-emulating-1.2", next, "--emulated-version", "cnat=1.2")
	if got := commandOf(t, previousOfNext, "from-the-book"); got != "/bin/sh -c echo from the book" {
		t.Errorf("1.2 reads the book's At with command %q", got)
	}
	if code, _ := previousOfNext.get(t, "/apis/"+group+"/v1alpha1/namespaces/default/ats/from-the-book"); code != http.StatusOK {
		t.Errorf("emulating 1.2: v1alpha1 answered %d, want 200", code)
	}
}

func errString(err error) string {
	if err == nil {
		return "no error"
	}
	return err.Error()
}
