package bodycheck

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	"k8s.io/apiserver/pkg/endpoints/request"

	"github.com/programming-kubernetes/cnat/pkg/apis/cnat/install"
)

const illTyped = `{"apiVersion":"cnat.programming-kubernetes.info/v1beta1","kind":"At","metadata":{"name":"a"},"spec":{"command":"echo hi"}}`

// The filter looks at a body only when the handler refused it: whatever the handler accepts passes as the
// handler answered, and a refusal it cannot explain better passes too.
func TestBodyCheckOnlyExplainsRefusals(t *testing.T) {
	scheme := runtime.NewScheme()
	install.Install(scheme)
	metav1.AddToGroupVersion(scheme, schema.GroupVersion{Version: "v1"})
	codecs := serializer.NewCodecFactory(scheme)
	ats := Resource{GroupResource: schema.GroupResource{Group: "cnat.programming-kubernetes.info", Resource: "ats"}, Kind: "At", Scheme: scheme}

	for _, tc := range []struct {
		name       string
		body       string
		handlerSay int
		want       int
	}{
		{"accepted ill-typed body is not checked", illTyped, http.StatusCreated, http.StatusCreated},
		{"refused ill-typed body is explained", illTyped, http.StatusBadRequest, http.StatusUnprocessableEntity},
		{"refused well-typed body keeps the handler's answer",
			`{"apiVersion":"cnat.programming-kubernetes.info/v1beta1","kind":"At","metadata":{"name":"a"},"spec":{"command":["x"]}}`,
			http.StatusConflict, http.StatusConflict},
	} {
		t.Run(tc.name, func(t *testing.T) {
			handler := http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
				if _, err := io.ReadAll(req.Body); err != nil {
					t.Fatal(err)
				}
				w.WriteHeader(tc.handlerSay)
				_, _ = w.Write([]byte("the handler's answer"))
			})
			req := httptest.NewRequest(http.MethodPost, "/apis/cnat.programming-kubernetes.info/v1beta1/namespaces/x/ats", strings.NewReader(tc.body))
			req.Header.Set("Content-Type", "application/json")
			req = req.WithContext(request.WithRequestInfo(req.Context(), &request.RequestInfo{IsResourceRequest: true, Verb: "create",
				APIGroup: "cnat.programming-kubernetes.info", APIVersion: "v1beta1", Namespace: "x", Resource: "ats"}))
			rec := httptest.NewRecorder()
			WithBodyCheck(handler, ats, codecs, 1<<20).ServeHTTP(rec, req)
			if rec.Code != tc.want {
				t.Fatalf("answered %d (%s), want %d", rec.Code, rec.Body, tc.want)
			}
			if tc.want == tc.handlerSay && rec.Body.String() != "the handler's answer" {
				t.Errorf("body %q, want the handler's", rec.Body)
			}
			if tc.want == http.StatusUnprocessableEntity && !strings.Contains(rec.Body.String(), "spec.command") {
				t.Errorf("422 without the field: %s", rec.Body)
			}
		})
	}
}
