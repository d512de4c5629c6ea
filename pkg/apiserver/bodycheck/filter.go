// Package bodycheck answers a write whose body cannot become an object of the resource it is sent to (a
// value of the wrong JSON type, a time that does not parse, another kind, a v1alpha1 bookkeeping annotation
// that is not what it must be) with 422 Invalid and a cause naming each field, as a CustomResourceDefinition's
// schema validation does, instead of the decoder's first error as a 400 without a field.
//
// It is an HTTP filter in front of the resource's handlers because no later place sees every such body: the
// create and update handlers turn any decode error into a 400 (handlers.transformDecodeError), a strategic
// merge patch is decoded with the unstructured converter, not the serializer, and server-side apply types the
// patch against the OpenAPI schema and converts it inside the field manager, whose errors are 500s. The
// filter runs after authentication and authorization, and looks at a body only once the handler has refused
// it (well-formed writes pay nothing but a copy of their body), and only at JSON and YAML bodies (protobuf
// carries typed values).
package bodycheck

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"reflect"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/apiserver/pkg/endpoints/handlers/responsewriters"
	"k8s.io/apiserver/pkg/endpoints/request"
	"sigs.k8s.io/yaml"
)

// Resource is a resource whose write bodies are checked.
type Resource struct {
	schema.GroupResource
	// Kind is the kind the resource takes, in every version Scheme has it.
	Kind string
	// Scheme has Kind in each served version and the internal version, and the conversions between them.
	Scheme *runtime.Scheme
}

// WithBodyCheck checks the JSON and YAML bodies of creates, updates and patches of resource (and its status)
// that handler refused as malformed: when it answers 400, 409, 422 or 500, the body is checked, and if it
// has values of the wrong type, another kind or a bookkeeping annotation that cannot be converted, the answer
// is 422 with those fields instead. A body the handler accepts is never checked: the check decodes it once
// more, which costs every well-formed write as much as the handler's own decoding. Bodies over maxBodyBytes
// are left to the handler, which refuses them.
func WithBodyCheck(handler http.Handler, resource Resource, serializer runtime.NegotiatedSerializer, maxBodyBytes int64) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		info, ok := request.RequestInfoFrom(req.Context())
		if !ok || !resource.handles(info) || req.Body == nil || req.Body == http.NoBody {
			handler.ServeHTTP(w, req)
			return
		}
		body := &recordedBody{ReadCloser: req.Body, limit: maxBodyBytes}
		req.Body = body
		answer := &deferredError{ResponseWriter: w}
		handler.ServeHTTP(answer, req)
		if !answer.deferred {
			return
		}
		if errs, name := resource.explain(req, info, body); len(errs) > 0 {
			gv := schema.GroupVersion{Group: info.APIGroup, Version: info.APIVersion}
			invalid := apierrors.NewInvalid(schema.GroupKind{Group: resource.Group, Kind: resource.Kind}, name, errs)
			w.Header().Del("Content-Length")
			responsewriters.ErrorNegotiated(invalid, serializer, gv, w, req)
			return
		}
		answer.flush()
	})
}

// explain checks a refused body and returns its field errors and the name of its object.
func (r Resource) explain(req *http.Request, info *request.RequestInfo, body *recordedBody) (field.ErrorList, string) {
	if body.truncated {
		return nil, ""
	}
	gv := schema.GroupVersion{Group: info.APIGroup, Version: info.APIVersion}
	versioned, err := r.Scheme.New(gv.WithKind(r.Kind))
	if err != nil { // a version that is not served: the handler answered 404
		return nil, ""
	}
	// Without a Content-Type the server reads JSON (negotiation.NegotiateInputSerializer).
	mediaType := runtime.ContentTypeJSON
	if contentType := req.Header.Get("Content-Type"); contentType != "" {
		mediaType, _, _ = mime.ParseMediaType(contentType)
	}
	name, errs := r.check(info.Verb, mediaType, body.data.Bytes(), gv, versioned)
	if info.Name != "" {
		name = info.Name
	}
	return errs, name
}

// refusals are the answers of a handler to a body it could not take: a decoding error (400), a failed
// conversion inside field management (500), and what patches and applies of ill-typed values end in (409,
// 422).
var refusals = map[int]bool{
	http.StatusBadRequest: true, http.StatusConflict: true, http.StatusUnprocessableEntity: true,
	http.StatusInternalServerError: true,
}

// deferredError passes a handler's answer through unless it is a refusal, which it holds back until the
// filter has decided whether to answer in its place.
type deferredError struct {
	http.ResponseWriter
	code     int
	deferred bool
	held     bytes.Buffer
}

func (d *deferredError) WriteHeader(code int) {
	if d.code != 0 {
		return
	}
	d.code = code
	if refusals[code] {
		d.deferred = true
		return
	}
	d.ResponseWriter.WriteHeader(code)
}

func (d *deferredError) Write(data []byte) (int, error) {
	if d.code == 0 {
		d.WriteHeader(http.StatusOK)
	}
	if d.deferred {
		return d.held.Write(data)
	}
	return d.ResponseWriter.Write(data)
}

// flush sends the held answer as the handler wrote it.
func (d *deferredError) flush() {
	d.ResponseWriter.WriteHeader(d.code)
	_, _ = d.ResponseWriter.Write(d.held.Bytes())
}

// recordedBody keeps what the handler reads of a request body, up to limit bytes.
type recordedBody struct {
	io.ReadCloser
	limit     int64
	data      bytes.Buffer
	truncated bool
}

func (b *recordedBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if room := b.limit - int64(b.data.Len()); int64(n) > room {
		b.data.Write(p[:max(room, 0)])
		b.truncated = true
	} else {
		b.data.Write(p[:n])
	}
	return n, err
}

// handles tells whether the request writes an object of the resource: a create, update or patch of it, an
// update or patch of its status (a POST to status is the handler's to refuse).
func (r Resource) handles(info *request.RequestInfo) bool {
	if !info.IsResourceRequest || info.APIGroup != r.Group || info.Resource != r.Resource {
		return false
	}
	switch info.Subresource {
	case "":
		return info.Verb == "create" || info.Verb == "update" || info.Verb == "patch"
	case "status":
		return info.Verb == "update" || info.Verb == "patch"
	}
	return false
}

// check returns the problems of a body sent with verb and media type to version gv, whose Go type is that
// of versioned, and the name in the body.
func (r Resource) check(verb, mediaType string, body []byte, gv schema.GroupVersion, versioned runtime.Object) (string, field.ErrorList) {
	t := reflect.TypeOf(versioned).Elem()
	if verb == "patch" && mediaType == string(types.JSONPatchType) {
		var operations []jsonPatchOperation
		if decode(body, &operations) != nil {
			return "", nil // not a JSON patch: the handler says why
		}
		return "", checkJSONPatch(operations, t)
	}
	if !objectMediaTypes[verb][mediaType] {
		return "", nil
	}
	if yamlMediaTypes[mediaType] {
		var err error
		if body, err = yaml.YAMLToJSON(body); err != nil {
			return "", nil
		}
	}
	var object map[string]any
	if decode(body, &object) != nil {
		return "", nil // malformed: the handler says why
	}
	name, _, _ := unstructured.NestedString(object, "metadata", "name")
	if errs := r.checkTypeMeta(object, gv); len(errs) > 0 {
		return name, errs // another kind: its fields are not the resource's
	}
	if errs := CheckTypes(object, t, nil); len(errs) > 0 {
		return name, errs
	}
	return name, r.checkConversion(body, versioned)
}

// objectMediaTypes are the media types of bodies that are an object of the resource, or a patch shaped
// like one (merge, strategic merge and apply patches), by verb.
var objectMediaTypes = map[string]map[string]bool{
	"create": {runtime.ContentTypeJSON: true, runtime.ContentTypeYAML: true},
	"update": {runtime.ContentTypeJSON: true, runtime.ContentTypeYAML: true},
	"patch": {
		string(types.MergePatchType): true, string(types.StrategicMergePatchType): true, string(types.ApplyYAMLPatchType): true,
	},
}

var yamlMediaTypes = map[string]bool{runtime.ContentTypeYAML: true, string(types.ApplyYAMLPatchType): true}

// checkTypeMeta checks that apiVersion and kind, where the body gives them, are those of the endpoint.
func (r Resource) checkTypeMeta(object map[string]any, gv schema.GroupVersion) field.ErrorList {
	var errs field.ErrorList
	if v, given := object["apiVersion"]; given && v != "" && v != gv.String() {
		errs = append(errs, field.Invalid(field.NewPath("apiVersion"), shown(v),
			"must be "+gv.String()+": this endpoint takes "+r.Kind+" of "+gv.String()))
	}
	if v, given := object["kind"]; given && v != "" && v != r.Kind {
		errs = append(errs, field.Invalid(field.NewPath("kind"), shown(v),
			"must be "+r.Kind+": this endpoint takes "+r.Kind+" of "+gv.String()))
	}
	return errs
}

// checkConversion converts the body, as an object of its version, to the internal version, as the server
// will, and returns the field error a conversion fails with (a v1alpha1 bookkeeping annotation that does not
// hold what it must). Any other failure is left to the server.
func (r Resource) checkConversion(body []byte, versioned runtime.Object) field.ErrorList {
	if json.Unmarshal(body, versioned) != nil {
		return nil
	}
	internal, err := r.Scheme.New(schema.GroupVersionKind{Group: r.Group, Version: runtime.APIVersionInternal, Kind: r.Kind})
	if err != nil {
		return nil
	}
	var fieldErr *field.Error
	if err := r.Scheme.Convert(versioned, internal, nil); errors.As(err, &fieldErr) {
		return field.ErrorList{fieldErr}
	}
	return nil
}

// decode decodes JSON keeping numbers as they were written.
func decode(data []byte, into any) error {
	decoder := json.NewDecoder(bytes.NewReader(data))
	decoder.UseNumber()
	return decoder.Decode(into)
}
