package nullbackend

import (
	"fmt"
	"io"
	"net/http"
	"strconv"
	"sync"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/uuid"
	"k8s.io/apiserver/pkg/endpoints/handlers/negotiation"
	"k8s.io/apiserver/pkg/endpoints/handlers/responsewriters"

	"github.com/programming-kubernetes/cnat/pkg/apis/cnat/v1beta1"
)

// serializers encode without conversion: every object is of the one version there is.
var serializers = Codecs.WithoutConversion()

// maxBodyBytes bounds what a create or update may send, as the generic server's --max-request-body-bytes.
const maxBodyBytes = 3 << 20

// Handler serves discovery and the Ats of GroupVersion from memory. It answers in the content type the
// client accepts (JSON or protobuf, negotiated and written as the generic API server does, gzip of large
// answers included) and reads bodies in either.
type Handler struct {
	mux *http.ServeMux

	mu sync.RWMutex
	// ats are by namespace, then name. A stored At is never changed: an update stores a new one, so that
	// answers can be encoded outside the lock.
	ats             map[string]map[string]*v1beta1.At
	resourceVersion uint64
}

// NewHandler is an empty null backend.
func NewHandler() *Handler {
	h := &Handler{mux: http.NewServeMux(), ats: map[string]map[string]*v1beta1.At{}}
	ok := func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "ok") }
	for _, path := range []string{"/healthz", "/livez", "/readyz"} {
		h.mux.HandleFunc("GET "+path, ok)
	}
	gv := "/apis/" + GroupVersion.Group + "/" + GroupVersion.Version
	h.mux.HandleFunc("GET /openapi/v2", h.openAPIV2)
	h.mux.HandleFunc("GET /apis", h.groupList)
	h.mux.HandleFunc("GET /apis/"+GroupVersion.Group, h.group)
	h.mux.HandleFunc("GET "+gv, h.resourceList)
	h.mux.HandleFunc("GET "+gv+"/ats", h.list)
	h.mux.HandleFunc("GET "+gv+"/namespaces/{namespace}/ats", h.list)
	h.mux.HandleFunc("POST "+gv+"/namespaces/{namespace}/ats", h.create)
	h.mux.HandleFunc("GET "+gv+"/namespaces/{namespace}/ats/{name}", h.get)
	h.mux.HandleFunc("PUT "+gv+"/namespaces/{namespace}/ats/{name}", h.update)
	h.mux.HandleFunc("DELETE "+gv+"/namespaces/{namespace}/ats/{name}", h.delete)
	// Anything else is a 404, /openapi/v3 included: the aggregator then takes the (empty) /openapi/v2.
	return h
}

func (h *Handler) ServeHTTP(w http.ResponseWriter, req *http.Request) { h.mux.ServeHTTP(w, req) }

func (h *Handler) create(w http.ResponseWriter, req *http.Request) {
	at, err := h.decode(req)
	if err != nil {
		h.error(w, req, err)
		return
	}
	namespace := req.PathValue("namespace")
	if at.Namespace == "" {
		at.Namespace = namespace
	}
	if at.Namespace != namespace || at.Name == "" {
		h.error(w, req, apierrors.NewBadRequest("the At must have a name, and the namespace of its URL"))
		return
	}
	at.UID = uuid.NewUUID()
	at.CreationTimestamp = metav1.Now()
	at.Generation = 1

	h.mu.Lock()
	ats := h.ats[namespace]
	if ats == nil {
		ats = map[string]*v1beta1.At{}
		h.ats[namespace] = ats
	}
	if _, exists := ats[at.Name]; exists {
		h.mu.Unlock()
		h.error(w, req, apierrors.NewAlreadyExists(Resource.GroupResource(), at.Name))
		return
	}
	at.ResourceVersion = h.nextResourceVersionLocked()
	ats[at.Name] = at
	h.mu.Unlock()
	h.write(w, req, http.StatusCreated, at)
}

func (h *Handler) get(w http.ResponseWriter, req *http.Request) {
	h.mu.RLock()
	at := h.ats[req.PathValue("namespace")][req.PathValue("name")]
	h.mu.RUnlock()
	if at == nil {
		h.error(w, req, apierrors.NewNotFound(Resource.GroupResource(), req.PathValue("name")))
		return
	}
	h.write(w, req, http.StatusOK, at)
}

// list answers the Ats of one namespace, or of all, in no particular order. Label and field selectors,
// limits and watches are not served.
func (h *Handler) list(w http.ResponseWriter, req *http.Request) {
	if watch, _ := strconv.ParseBool(req.URL.Query().Get("watch")); watch {
		h.error(w, req, apierrors.NewMethodNotSupported(Resource.GroupResource(), "watch"))
		return
	}
	list := &v1beta1.AtList{}
	h.mu.RLock()
	list.ResourceVersion = strconv.FormatUint(h.resourceVersion, 10)
	for namespace, ats := range h.ats {
		if req.PathValue("namespace") != "" && namespace != req.PathValue("namespace") {
			continue
		}
		for _, at := range ats {
			list.Items = append(list.Items, *at)
		}
	}
	h.mu.RUnlock()
	h.write(w, req, http.StatusOK, list)
}

// update replaces an At whose resourceVersion is current (or not given), keeping what the server set.
func (h *Handler) update(w http.ResponseWriter, req *http.Request) {
	at, err := h.decode(req)
	if err != nil {
		h.error(w, req, err)
		return
	}
	namespace, name := req.PathValue("namespace"), req.PathValue("name")
	if (at.Namespace != "" && at.Namespace != namespace) || at.Name != name {
		h.error(w, req, apierrors.NewBadRequest("the At's name and namespace must be those of its URL"))
		return
	}
	at.Namespace = namespace

	h.mu.Lock()
	old := h.ats[namespace][name]
	switch {
	case old == nil:
		h.mu.Unlock()
		h.error(w, req, apierrors.NewNotFound(Resource.GroupResource(), name))
		return
	case at.ResourceVersion != "" && at.ResourceVersion != old.ResourceVersion:
		h.mu.Unlock()
		h.error(w, req, apierrors.NewConflict(Resource.GroupResource(), name,
			fmt.Errorf("the object has been modified; please apply your changes to the latest version and try again")))
		return
	}
	at.UID, at.CreationTimestamp, at.Generation = old.UID, old.CreationTimestamp, old.Generation
	at.ResourceVersion = h.nextResourceVersionLocked()
	h.ats[namespace][name] = at
	h.mu.Unlock()
	h.write(w, req, http.StatusOK, at)
}

// delete answers a success Status, as the generic registry does for a store that does not return the
// deleted object (cnat's and a CRD's).
func (h *Handler) delete(w http.ResponseWriter, req *http.Request) {
	namespace, name := req.PathValue("namespace"), req.PathValue("name")
	h.mu.Lock()
	at := h.ats[namespace][name]
	if at != nil {
		delete(h.ats[namespace], name)
		h.resourceVersion++
	}
	h.mu.Unlock()
	if at == nil {
		h.error(w, req, apierrors.NewNotFound(Resource.GroupResource(), name))
		return
	}
	h.write(w, req, http.StatusOK, &metav1.Status{
		Status:  metav1.StatusSuccess,
		Details: &metav1.StatusDetails{Name: name, Group: GroupVersion.Group, Kind: Resource.Resource, UID: at.UID},
	})
}

func (h *Handler) nextResourceVersionLocked() string {
	h.resourceVersion++
	return strconv.FormatUint(h.resourceVersion, 10)
}

// decode reads an At in the request's content type. Its apiVersion and kind, when it has them, must be this
// group's At; without them it is taken for one. The At it returns carries them, so that encoding it never
// has to set them on an object another request may be encoding too.
func (h *Handler) decode(req *http.Request) (*v1beta1.At, error) {
	info, err := negotiation.NegotiateInputSerializer(req, false, Codecs)
	if err != nil {
		return nil, err
	}
	body, err := io.ReadAll(http.MaxBytesReader(nil, req.Body, maxBodyBytes))
	if err != nil {
		return nil, apierrors.NewBadRequest(err.Error())
	}
	gvk := GroupVersion.WithKind("At")
	obj, _, err := info.Serializer.Decode(body, &gvk, &v1beta1.At{})
	if err != nil {
		return nil, apierrors.NewBadRequest(fmt.Sprintf("decoding %s: %v", info.MediaType, err))
	}
	at, ok := obj.(*v1beta1.At)
	if !ok {
		return nil, apierrors.NewBadRequest(fmt.Sprintf("expected an At of %s, got %T", GroupVersion, obj))
	}
	at.APIVersion, at.Kind = gvk.GroupVersion().String(), gvk.Kind
	return at, nil
}

func (h *Handler) write(w http.ResponseWriter, req *http.Request, status int, obj runtime.Object) {
	responsewriters.WriteObjectNegotiated(serializers, negotiation.DefaultEndpointRestrictions, GroupVersion, w, req, status, obj, false)
}

func (h *Handler) error(w http.ResponseWriter, req *http.Request, err error) {
	responsewriters.ErrorNegotiated(err, serializers, GroupVersion, w, req)
}
