package apiserver

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/rand"
	"k8s.io/client-go/rest"

	"github.com/programming-kubernetes/cnat/pkg/apis/cnat/v1beta1"
	"github.com/programming-kubernetes/cnat/pkg/generated/clientset/versioned"
)

const group = "cnat.programming-kubernetes.info"

// future is a schedule that has not come yet.
var future = metav1.NewTime(time.Date(2099, 1, 1, 0, 0, 0, 0, time.UTC))

func newAt(name string) *v1beta1.At {
	return &v1beta1.At{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: v1beta1.AtSpec{
			Schedule: future,
			Command:  []string{"echo", "a b"},
			Image:    "alpine:3.20",
		},
	}
}

// namespace returns a fresh namespace name for a test. Standalone there is no Namespace object to create:
// namespace lifecycle admission needs a core cluster.
func namespace(t *testing.T) string {
	name := strings.ToLower(strings.NewReplacer("/", "-", "_", "-").Replace(t.Name()))
	if len(name) > 50 {
		name = name[:50]
	}
	return strings.Trim(name, "-") + "-" + rand.String(5)
}

func ctx() context.Context { return context.Background() }

// warnings collects the warnings the server sends.
type warnings struct {
	mu   sync.Mutex
	seen []string
}

func (w *warnings) HandleWarningHeader(code int, agent string, text string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.seen = append(w.seen, text)
}

func (w *warnings) contains(part string) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, s := range w.seen {
		if strings.Contains(s, part) {
			return true
		}
	}
	return false
}

// clientWithWarnings returns a clientset whose warnings are collected.
func clientWithWarnings(t *testing.T) (versioned.Interface, *warnings) {
	w := &warnings{}
	config := rest.CopyConfig(server.Config)
	config.WarningHandler = w
	return versioned.NewForConfigOrDie(config), w
}

// response is a raw HTTP answer.
type response struct {
	code   int
	body   []byte
	header http.Header
}

// status decodes the body as a metav1.Status.
func (r response) status(t *testing.T) metav1.Status {
	t.Helper()
	var s metav1.Status
	if err := json.Unmarshal(r.body, &s); err != nil || s.Kind != "Status" {
		t.Fatalf("not a Status (%v): %s", err, r.body)
	}
	return s
}

// do sends a raw request with the given client config (the admin's when nil).
func do(t *testing.T, config *rest.Config, method, path, contentType string, body []byte, header ...string) response {
	t.Helper()
	if config == nil {
		config = server.Config
	}
	transport, err := rest.TransportFor(config)
	if err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequest(method, server.URL+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := (&http.Client{Transport: transport, Timeout: 30 * time.Second}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return response{code: resp.StatusCode, body: data, header: resp.Header}
}

func atsPath(version, ns string) string {
	return "/apis/" + group + "/" + version + "/namespaces/" + ns + "/ats"
}
