package e2e

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestDiscovery: the three APIServices are Available and discovery through kube-apiserver lists ats in the
// three versions, v1 preferred.
func TestDiscovery(t *testing.T) {
	for _, version := range []string{"v1", "v1beta1", "v1alpha1"} {
		status := kubectl(t, "", "get", "apiservice", version+"."+group,
			"-o", `jsonpath={.status.conditions[?(@.type=="Available")].status}`)
		if status != "True" {
			t.Errorf("APIService %s.%s Available=%q", version, group, status)
		}
	}

	var apiGroup struct {
		Versions         []struct{ Version string } `json:"versions"`
		PreferredVersion struct{ Version string }   `json:"preferredVersion"`
	}
	if err := json.Unmarshal([]byte(kubectl(t, "", "get", "--raw", "/apis/"+group)), &apiGroup); err != nil {
		t.Fatal(err)
	}
	if apiGroup.PreferredVersion.Version != "v1" || len(apiGroup.Versions) != 3 {
		t.Errorf("group discovery: %+v, want v1 preferred of three versions", apiGroup)
	}
	for _, version := range []string{"v1", "v1beta1", "v1alpha1"} {
		var resources struct {
			Resources []struct {
				Name       string   `json:"name"`
				Namespaced bool     `json:"namespaced"`
				Kind       string   `json:"kind"`
				Verbs      []string `json:"verbs"`
			} `json:"resources"`
		}
		if err := json.Unmarshal([]byte(kubectl(t, "", "get", "--raw", "/apis/"+group+"/"+version)), &resources); err != nil {
			t.Fatal(err)
		}
		names := map[string]bool{}
		for _, r := range resources.Resources {
			names[r.Name] = r.Namespaced
		}
		if !names["ats"] || len(resources.Resources) != 2 {
			t.Errorf("%s resources %+v, want namespaced ats and ats/status", version, resources.Resources)
		}
	}

	out := kubectl(t, "", "api-resources", "--api-group", group, "--no-headers")
	fields := strings.Fields(out)
	if len(fields) < 4 || fields[0] != "ats" || fields[1] != group+"/v1" || fields[2] != "true" || fields[3] != "At" {
		t.Errorf("kubectl api-resources: %q", out)
	}
}
