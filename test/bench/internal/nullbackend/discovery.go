package nullbackend

import (
	"io"
	"net/http"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// The verbs the null backend serves. Without watch, kube-controller-manager's garbage collector and quota
// controllers leave the resource alone (they need list and watch); the namespace controller lists and
// deletes what is left in a namespace being deleted, which works.
var verbs = metav1.Verbs{"create", "delete", "get", "list", "update"}

// The aggregator asks /apis for aggregated discovery first; the plain APIGroupList it gets makes it fall back
// to /apis/<group>/<version>, which is also what keeps the APIService Available.
func (h *Handler) groupList(w http.ResponseWriter, req *http.Request) {
	h.write(w, req, http.StatusOK, &metav1.APIGroupList{Groups: []metav1.APIGroup{apiGroup()}})
}

func (h *Handler) group(w http.ResponseWriter, req *http.Request) {
	group := apiGroup()
	h.write(w, req, http.StatusOK, &group)
}

func (h *Handler) resourceList(w http.ResponseWriter, req *http.Request) {
	h.write(w, req, http.StatusOK, &metav1.APIResourceList{
		GroupVersion: GroupVersion.String(),
		APIResources: []metav1.APIResource{{
			Name: Resource.Resource, SingularName: "at", Namespaced: true, Kind: "At", Verbs: verbs,
		}},
	})
}

func apiGroup() metav1.APIGroup {
	version := metav1.GroupVersionForDiscovery{GroupVersion: GroupVersion.String(), Version: GroupVersion.Version}
	return metav1.APIGroup{Name: GroupVersion.Group, Versions: []metav1.GroupVersionForDiscovery{version}, PreferredVersion: version}
}

// openAPIV2 is an empty OpenAPI v2 document, with an ETag. The aggregator asks for it once a minute (after
// /openapi/v3, which is a 404); a 404 here too would be logged as an error each time, with a back-off.
const (
	openAPIV2     = `{"swagger":"2.0","info":{"title":"null backend","version":"v1beta1"},"paths":{}}`
	openAPIV2ETag = `"null-backend-openapi-v2-1"`
)

func (h *Handler) openAPIV2(w http.ResponseWriter, req *http.Request) {
	w.Header().Set("Etag", openAPIV2ETag)
	if req.Header.Get("If-None-Match") == openAPIV2ETag {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = io.WriteString(w, openAPIV2)
}
