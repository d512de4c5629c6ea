package versions

import (
	"bytes"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/programming-kubernetes/cnat/pkg/apis/cnat/v1beta1"
	"github.com/programming-kubernetes/cnat/pkg/apiserver"
	"github.com/programming-kubernetes/cnat/test/integration/framework"
	"github.com/programming-kubernetes/cnat/test/internal/releases"
)

// aggregatedDiscovery is the Accept of kubectl's (and the aggregator's) discovery of /apis.
const aggregatedDiscovery = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"

// TestEmulatesPreviousRelease: the current binary with --emulated-version of the previous release answers
// discovery and OpenAPI as the previous release's own binary does, byte for byte (after JSON formatting), and
// writes the same bytes to etcd for the same create (but for what differs by nature: uid, creation time).
func TestEmulatesPreviousRelease(t *testing.T) {
	old := start(t, "cnat-"+releases.Previous, previous)
	emulating := start(t, "cnat-emulating-"+releases.Previous, current, "--emulated-version", "cnat="+releases.Previous)

	type doc struct{ path, accept string }
	docs := []doc{
		{"/apis", "application/json"},
		{"/apis", aggregatedDiscovery},
		{"/apis/" + group, "application/json"},
		{"/openapi/v2", "application/json"},
		{"/openapi/v3", "application/json"},
	}
	for _, version := range []string{"v1", "v1beta1", "v1alpha1"} {
		docs = append(docs, doc{"/apis/" + group + "/" + version, "application/json"},
			doc{"/openapi/v3/apis/" + group + "/" + version, "application/json"})
	}
	for _, d := range docs {
		oldCode, oldBody := old.do(t, http.MethodGet, d.path, "", "", d.accept)
		newCode, newBody := emulating.do(t, http.MethodGet, d.path, "", "", d.accept)
		if oldCode != newCode {
			t.Errorf("GET %s (%s): %d from %s, %d emulating it", d.path, d.accept, oldCode, releases.Previous, newCode)
			continue
		}
		// The servers' own addresses (discovery's serverAddressByClientCIDRs) differ by nature.
		oldBody = bytes.ReplaceAll(oldBody, []byte(old.hostPort()), []byte("HOST:PORT"))
		newBody = bytes.ReplaceAll(newBody, []byte(emulating.hostPort()), []byte("HOST:PORT"))
		oldBody = bytes.ReplaceAll(oldBody, []byte(`":`+old.port()+`"`), []byte(`":PORT"`))
		newBody = bytes.ReplaceAll(newBody, []byte(`":`+emulating.port()+`"`), []byte(`":PORT"`))
		if diff := cmp.Diff(indent(t, oldBody), indent(t, newBody)); diff != "" {
			t.Errorf("GET %s (%s) differs from %s's (-%s +emulating):\n%s", d.path, d.accept, releases.Previous, releases.Previous, diff)
		}
	}

	// The same creates through each served version, then what etcd holds.
	for _, version := range []string{"v1beta1", "v1alpha1"} {
		body := map[string]string{
			"v1beta1": `{"apiVersion":"` + group + `/v1beta1","kind":"At","metadata":{"name":"through-v1beta1","labels":{"a":"b"}},` +
				`"spec":{"schedule":"2030-01-01T00:00:00Z","command":["echo","hi"]}}`,
			"v1alpha1": `{"apiVersion":"` + group + `/v1alpha1","kind":"At","metadata":{"name":"through-v1alpha1"},` +
				`"spec":{"schedule":"2030-01-01T00:00:00Z","command":"echo hi"}}`,
		}[version]
		path := "/apis/" + group + "/" + version + "/namespaces/default/ats?fieldManager=test"
		for _, s := range []*server{old, emulating} {
			if code, out := s.do(t, http.MethodPost, path, "application/json", body, "application/json"); code != http.StatusCreated {
				t.Fatalf("POST %s: %d %s", path, code, out)
			}
		}
		oldWarnings, newWarnings := old.warningsOf(http.MethodPost, path), emulating.warningsOf(http.MethodPost, path)
		if !cmp.Equal(oldWarnings, newWarnings) {
			t.Errorf("POST %s warned %q by %s, %q emulating it", path, oldWarnings, releases.Previous, newWarnings)
		}
	}
	old.stop()
	emulating.stop()
	oldValues, newValues := framework.StoredValues(t, old.dataDir), framework.StoredValues(t, emulating.dataDir)
	for _, key := range []string{"default/through-v1beta1", "default/through-v1alpha1"} {
		oldValue, newValue := normalized(t, oldValues[key]), normalized(t, newValues[key])
		if !bytes.Equal(oldValue, newValue) {
			t.Errorf("%s: stored bytes differ from %s's:\n%q\n%q", key, releases.Previous, oldValue, newValue)
		}
	}
}

// normalized is a stored value with its uid and times set to fixed values, encoded again as the storage
// encodes it (protobuf): every other byte is as stored.
func normalized(t *testing.T, value []byte) []byte {
	t.Helper()
	if len(value) == 0 {
		t.Fatal("no value stored")
	}
	var at v1beta1.At
	if _, _, err := apiserver.Codecs.UniversalDeserializer().Decode(value, nil, &at); err != nil {
		t.Fatalf("decoding %q: %v", value, err)
	}
	at.UID = "uid"
	at.CreationTimestamp = metav1.Unix(0, 0)
	for i := range at.ManagedFields {
		at.ManagedFields[i].Time = &at.CreationTimestamp
	}
	info, ok := runtime.SerializerInfoForMediaType(apiserver.Codecs.SupportedMediaTypes(), runtime.ContentTypeProtobuf)
	if !ok {
		t.Fatal("no protobuf serializer")
	}
	var out bytes.Buffer
	if err := info.Serializer.Encode(&at, &out); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

// indent formats a JSON document, so that a difference shows as lines.
func indent(t *testing.T, body []byte) string {
	t.Helper()
	var out bytes.Buffer
	if err := json.Indent(&out, body, "", "  "); err != nil {
		return string(body)
	}
	return out.String()
}
