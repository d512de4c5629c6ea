package apiserver

import (
	"encoding/json"
	"net/http"
	"testing"
)

// TestOpenAPI: v2 and v3 describe both versions (kubectl explain and server-side apply need them).
func TestOpenAPI(t *testing.T) {
	resp := do(t, nil, http.MethodGet, "/openapi/v2", "", nil, "Accept", "application/json")
	if resp.code != 200 {
		t.Fatalf("/openapi/v2: %d", resp.code)
	}
	var v2 struct {
		Definitions map[string]struct {
			Properties map[string]any `json:"properties"`
		} `json:"definitions"`
	}
	if err := json.Unmarshal(resp.body, &v2); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"com.github.programming-kubernetes.cnat.pkg.apis.cnat.v1beta1.At", "com.github.programming-kubernetes.cnat.pkg.apis.cnat.v1alpha1.At",
		"com.github.programming-kubernetes.cnat.pkg.apis.cnat.v1beta1.AtSpec", "com.github.programming-kubernetes.cnat.pkg.apis.cnat.v1beta1.AtStatus"} {
		if _, ok := v2.Definitions[name]; !ok {
			t.Errorf("/openapi/v2 has no %s", name)
		}
	}
	if _, ok := v2.Definitions["com.github.programming-kubernetes.cnat.pkg.apis.cnat.v1beta1.AtSpec"].Properties["command"]; !ok {
		t.Error("v2 AtSpec has no command")
	}

	for _, version := range []string{"v1beta1", "v1alpha1"} {
		path := "/openapi/v3/apis/cnat.programming-kubernetes.info/" + version
		resp := do(t, nil, http.MethodGet, path, "", nil, "Accept", "application/json")
		if resp.code != 200 {
			t.Fatalf("%s: %d", path, resp.code)
		}
		var v3 struct {
			Components struct {
				Schemas map[string]any `json:"schemas"`
			} `json:"components"`
		}
		if err := json.Unmarshal(resp.body, &v3); err != nil {
			t.Fatal(err)
		}
		if _, ok := v3.Components.Schemas["com.github.programming-kubernetes.cnat.pkg.apis.cnat."+version+".At"]; !ok {
			t.Errorf("%s has no At schema", path)
		}
	}
}
