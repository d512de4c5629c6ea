package authnready

import (
	"crypto/x509"
	"testing"

	"k8s.io/apiserver/pkg/authentication/authenticatorfactory"
	"k8s.io/apiserver/pkg/authentication/request/headerrequest"
	"k8s.io/apiserver/pkg/server/dynamiccertificates"
)

// caContent is a CA bundle that a test loads when it likes, as the ConfigMap controller does once its
// informer has synced.
type caContent struct{ bundle []byte }

func (c *caContent) Name() string                   { return "test" }
func (c *caContent) CurrentCABundleContent() []byte { return c.bundle }
func (c *caContent) VerifyOptions() (x509.VerifyOptions, bool) {
	return x509.VerifyOptions{}, len(c.bundle) > 0
}
func (c *caContent) AddListener(dynamiccertificates.Listener) {}

func TestTrackerWaitsForTheFrontProxyCA(t *testing.T) {
	frontProxyCA := &caContent{}
	clientCA := &caContent{bundle: []byte("client CA")}
	tracker := NewTracker(&authenticatorfactory.RequestHeaderConfig{
		CAContentProvider: frontProxyCA,
		UsernameHeaders:   headerrequest.StaticStringSlice{"X-Remote-User"},
	})
	advertised := tracker.ClientCA(clientCA)

	if err := tracker.Ready(); err == nil {
		t.Fatal("ready before the front-proxy CA is loaded")
	}
	if err := tracker.Check(nil); err == nil {
		t.Fatal("readiness check passes before the front-proxy CA is loaded")
	}
	if got := advertised.CurrentCABundleContent(); len(got) != 0 {
		t.Errorf("TLS advertises %q before the front-proxy CA is loaded, want nothing", got)
	}

	frontProxyCA.bundle = []byte("front-proxy CA")
	if err := tracker.Ready(); err != nil {
		t.Fatalf("not ready with the front-proxy CA loaded: %v", err)
	}
	if got := string(advertised.CurrentCABundleContent()); got != "client CA" {
		t.Errorf("TLS advertises %q, want the client CAs", got)
	}
	// Ready latches: a CA rotation that empties the bundle for a moment does not refuse requests again.
	frontProxyCA.bundle = nil
	if err := tracker.Ready(); err != nil {
		t.Errorf("not ready after having been: %v", err)
	}
}

func TestTrackerWaitsForTheHeaderNames(t *testing.T) {
	tracker := NewTracker(&authenticatorfactory.RequestHeaderConfig{
		CAContentProvider: &caContent{bundle: []byte("front-proxy CA")},
		UsernameHeaders:   headerrequest.StaticStringSlice{},
	})
	if err := tracker.Ready(); err == nil {
		t.Fatal("ready without username headers")
	}
}

func TestNothingToWaitFor(t *testing.T) {
	for name, tracker := range map[string]*Tracker{"nil": nil, "standalone": NewTracker(nil)} {
		if err := tracker.Ready(); err != nil {
			t.Errorf("%s: %v", name, err)
		}
		ca := &caContent{bundle: []byte("x")}
		if got := tracker.ClientCA(ca); got != ca {
			t.Errorf("%s: client CA wrapped, want it as it is", name)
		}
	}
}
