package nullbackend

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/rest"

	"github.com/programming-kubernetes/cnat/pkg/apis/cnat/v1beta1"
)

func newServer(t *testing.T) *httptest.Server {
	t.Helper()
	server := httptest.NewServer(NewHandler())
	t.Cleanup(server.Close)
	return server
}

func newAt(name string) *v1beta1.At {
	return &v1beta1.At{
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{"bench": "true"}},
		Spec:       v1beta1.AtSpec{Command: []string{"echo", name}, Image: "busybox"},
	}
}

// The verbs, through cnat's generated client as the benchmarks use it, with bodies and answers in JSON and in
// protobuf.
func TestVerbs(t *testing.T) {
	for name, contentType := range map[string]string{"json": runtime.ContentTypeJSON, "protobuf": runtime.ContentTypeProtobuf} {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			client, err := NewClient(&rest.Config{Host: newServer(t).URL, ContentConfig: rest.ContentConfig{ContentType: contentType, AcceptContentTypes: contentType}})
			if err != nil {
				t.Fatal(err)
			}
			ats := client.Ats("ns")

			created, err := ats.Create(ctx, newAt("a"), metav1.CreateOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if created.UID == "" || created.ResourceVersion == "" || created.CreationTimestamp.IsZero() || created.Namespace != "ns" ||
				created.Spec.Command[1] != "a" {
				t.Errorf("created At lacks what the server sets or what was sent: %+v", created)
			}
			if _, err := ats.Create(ctx, newAt("a"), metav1.CreateOptions{}); !apierrors.IsAlreadyExists(err) {
				t.Errorf("second create of a: %v, want AlreadyExists", err)
			}
			for _, other := range []struct{ namespace, name string }{{"ns", "b"}, {"other", "a"}} {
				if _, err := client.Ats(other.namespace).Create(ctx, newAt(other.name), metav1.CreateOptions{}); err != nil {
					t.Fatal(err)
				}
			}

			got, err := ats.Get(ctx, "a", metav1.GetOptions{})
			if err != nil || got.UID != created.UID {
				t.Errorf("get a: %v, %+v", err, got)
			}
			if _, err := ats.Get(ctx, "missing", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
				t.Errorf("get missing: %v, want NotFound", err)
			}

			changed := created.DeepCopy()
			changed.Labels["updated"] = "yes"
			updated, err := ats.Update(ctx, changed, metav1.UpdateOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if updated.ResourceVersion == created.ResourceVersion || updated.UID != created.UID || updated.Labels["updated"] != "yes" {
				t.Errorf("updated At: %+v", updated)
			}
			if _, err := ats.Update(ctx, changed, metav1.UpdateOptions{}); !apierrors.IsConflict(err) {
				t.Errorf("update at a stale resourceVersion: %v, want Conflict", err)
			}
			if _, err := ats.Update(ctx, newAt("missing"), metav1.UpdateOptions{}); !apierrors.IsNotFound(err) {
				t.Errorf("update of missing: %v, want NotFound", err)
			}

			list, err := ats.List(ctx, metav1.ListOptions{})
			if err != nil || len(list.Items) != 2 || list.ResourceVersion == "" {
				t.Errorf("list of ns: %v, %d items (want 2: a and b, not other's), resourceVersion %q", err, len(list.Items), list.ResourceVersion)
			}

			if err := ats.Delete(ctx, "a", metav1.DeleteOptions{}); err != nil {
				t.Fatal(err)
			}
			if err := ats.Delete(ctx, "a", metav1.DeleteOptions{}); !apierrors.IsNotFound(err) {
				t.Errorf("second delete of a: %v, want NotFound", err)
			}
			if list, err := ats.List(ctx, metav1.ListOptions{}); err != nil || len(list.Items) != 1 || list.Items[0].Name != "b" {
				t.Errorf("list after the delete: %v, %+v", err, list)
			}
		})
	}
}

// The answer is in the first content type of Accept that the server can produce: a metadata-only list
// (kube-controller-manager's namespace controller asks for one first) is not one, so it gets JSON.
func TestAnswersInTheAcceptedContentType(t *testing.T) {
	server := newServer(t)
	client, err := NewClient(&rest.Config{Host: server.URL})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := client.Ats("ns").Create(context.Background(), newAt("a"), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	path := server.URL + "/apis/" + GroupVersion.String() + "/namespaces/ns/ats"
	for _, tc := range []struct{ accept, want string }{
		{runtime.ContentTypeProtobuf + "," + runtime.ContentTypeJSON, runtime.ContentTypeProtobuf},
		{runtime.ContentTypeJSON, runtime.ContentTypeJSON},
		{"", runtime.ContentTypeJSON},
		{runtime.ContentTypeProtobuf + ";as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json", runtime.ContentTypeJSON},
	} {
		for _, url := range []string{path, path + "/a"} {
			req, _ := http.NewRequest(http.MethodGet, url, nil)
			req.Header.Set("Accept", tc.accept)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if got := resp.Header.Get("Content-Type"); resp.StatusCode != http.StatusOK || !strings.HasPrefix(got, tc.want) {
				t.Errorf("GET %s, Accept %q: %d %q, want 200 %q", url, tc.accept, resp.StatusCode, got, tc.want)
			}
		}
	}
}

// Discovery is what the aggregator needs to keep the APIService Available and kubectl to find ats; OpenAPI
// v3 is a 404, after which the aggregator takes v2 (empty); a watch is refused, not left hanging.
func TestDiscovery(t *testing.T) {
	server := newServer(t)
	disco, err := discovery.NewDiscoveryClientForConfig(&rest.Config{Host: server.URL})
	if err != nil {
		t.Fatal(err)
	}
	groups, err := disco.ServerGroups()
	if err != nil {
		t.Fatal(err)
	}
	if len(groups.Groups) != 1 || groups.Groups[0].PreferredVersion.GroupVersion != GroupVersion.String() {
		t.Errorf("groups: %+v", groups.Groups)
	}
	resources, err := disco.ServerResourcesForGroupVersion(GroupVersion.String())
	if err != nil {
		t.Fatal(err)
	}
	if len(resources.APIResources) != 1 || resources.APIResources[0].Name != "ats" || resources.APIResources[0].Kind != "At" ||
		!resources.APIResources[0].Namespaced || len(resources.APIResources[0].Verbs) != len(verbs) {
		t.Errorf("resources: %+v", resources.APIResources)
	}
	for path, want := range map[string]int{
		"/openapi/v2": http.StatusOK,
		"/openapi/v3": http.StatusNotFound,
		"/readyz":     http.StatusOK,
		"/apis/" + GroupVersion.String() + "/namespaces/ns/ats?watch=true": http.StatusMethodNotAllowed,
	} {
		resp, err := http.Get(server.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("GET %s: %d, want %d", path, resp.StatusCode, want)
		}
	}
	// The aggregator asks again with the ETag it got: nothing changed.
	req, _ := http.NewRequest(http.MethodGet, server.URL+"/openapi/v2", nil)
	req.Header.Set("If-None-Match", openAPIV2ETag)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotModified {
		t.Errorf("GET /openapi/v2 with its ETag: %d, want 304", resp.StatusCode)
	}
}
