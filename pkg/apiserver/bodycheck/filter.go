// Package bodycheck answers a write whose body cannot become an object of the resource it is sent to (a
// value of the wrong JSON type, a time that does not parse, another kind, a v1alpha1 bookkeeping annotation
// that is not what it must be) with 422 Invalid and a cause naming each field, as a CustomResourceDefinition's
// schema validation does, instead of the decoder's first error as a 400 without a field.
//
// It is an HTTP filter in front of the resource's handlers because no later place sees every such body: the
// create and update handlers turn any decode error into a 400 (handlers.transformDecodeError), a strategic
// merge patch is decoded with the unstructured converter, not the serializer, and server-side apply types the
// patch against the OpenAPI schema and converts it inside the field manager, whose errors are 500s. The
// filter runs after authentication and authorization, and only on JSON and YAML bodies (protobuf carries
// typed values); whatever it does not reject goes on to the handler unchanged.
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
// before handler sees them. Bodies over maxBodyBytes are left to the handler, which refuses them.
func WithBodyCheck(handler http.Handler, resource Resource, serializer runtime.NegotiatedSerializer, maxBodyBytes int64) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		info, ok := request.RequestInfoFrom(req.Context())
		if !ok || !resource.handles(info) {
			handler.ServeHTTP(w, req)
			return
		}
		gv := schema.GroupVersion{Group: info.APIGroup, Version: info.APIVersion}
		versioned, err := resource.Scheme.New(gv.WithKind(resource.Kind))
		if err != nil { // a version that is not served: the handler answers 404
			handler.ServeHTTP(w, req)
			return
		}
		body, complete := readBody(req, maxBodyBytes)
		if !complete {
			handler.ServeHTTP(w, req)
			return
		}
		// Without a Content-Type the server reads JSON (negotiation.NegotiateInputSerializer).
		mediaType := runtime.ContentTypeJSON
		if contentType := req.Header.Get("Content-Type"); contentType != "" {
			mediaType, _, _ = mime.ParseMediaType(contentType)
		}
		name, errs := resource.check(info.Verb, mediaType, body, gv, versioned)
		if len(errs) == 0 {
			handler.ServeHTTP(w, req)
			return
		}
		if info.Name != "" {
			name = info.Name
		}
		invalid := apierrors.NewInvalid(schema.GroupKind{Group: resource.Group, Kind: resource.Kind}, name, errs)
		responsewriters.ErrorNegotiated(invalid, serializer, gv, w, req)
	})
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

// readBody reads the request's body, at most maxBytes of it, and puts it back for the handler. It tells
// whether it read all of it.
func readBody(req *http.Request, maxBytes int64) ([]byte, bool) {
	if req.Body == nil || req.Body == http.NoBody {
		return nil, false
	}
	body, err := io.ReadAll(io.LimitReader(req.Body, maxBytes+1))
	req.Body = struct {
		io.Reader
		io.Closer
	}{io.MultiReader(bytes.NewReader(body), req.Body), req.Body}
	return body, err == nil && int64(len(body)) <= maxBytes
}

// decode decodes JSON keeping numbers as they were written.
func decode(data []byte, into any) error {
	decoder := json.NewDecoder(bytes.NewReader(data))
	decoder.UseNumber()
	return decoder.Decode(into)
}
