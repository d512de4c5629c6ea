package authncache

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"k8s.io/apiserver/pkg/apis/apiserver"
	"k8s.io/apiserver/pkg/authentication/authenticator"
	"k8s.io/apiserver/pkg/authentication/authenticatorfactory"
	"k8s.io/apiserver/pkg/authentication/request/headerrequest"
	"k8s.io/apiserver/pkg/server/dynamiccertificates"
)

// certificate makes a certificate for cn signed by parent (self-signed CA when parent is nil).
func certificate(t *testing.T, cn string, parent *x509.Certificate, parentKey *ecdsa.PrivateKey, notAfter time.Time) (*x509.Certificate, *ecdsa.PrivateKey) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: cn},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: notAfter, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}
	signer, signerKey := tmpl, key
	if parent == nil {
		tmpl.IsCA, tmpl.BasicConstraintsValid, tmpl.KeyUsage = true, true, x509.KeyUsageCertSign
	} else {
		signer, signerKey = parent, parentKey
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, signer, &key.PublicKey, signerKey)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return cert, key
}

// countingAuthenticator counts the requests that reach the real authenticator.
type countingAuthenticator struct {
	authenticator.Request
	calls int
}

func (c *countingAuthenticator) AuthenticateRequest(req *http.Request) (*authenticator.Response, bool, error) {
	c.calls++
	return c.Request.AuthenticateRequest(req)
}

// The real delegating authenticator (front proxy, anonymous) behind the cache: the same answers, with the
// chain verified once per certificate and identity.
func TestCachedFrontProxyAuthentication(t *testing.T) {
	ca, caKey := certificate(t, "front-proxy-ca", nil, nil, time.Now().Add(24*time.Hour))
	proxy, _ := certificate(t, "front-proxy-client", ca, caKey, time.Now().Add(24*time.Hour))
	stranger, _ := certificate(t, "front-proxy-client", nil, nil, time.Now().Add(24*time.Hour)) // not signed by the CA
	caContent, err := dynamiccertificates.NewStaticCAContent("front-proxy", pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ca.Raw}))
	if err != nil {
		t.Fatal(err)
	}
	requestHeader := &authenticatorfactory.RequestHeaderConfig{
		CAContentProvider:   caContent,
		UsernameHeaders:     headerrequest.StaticStringSlice{"X-Remote-User"},
		UIDHeaders:          headerrequest.StaticStringSlice{},
		GroupHeaders:        headerrequest.StaticStringSlice{"X-Remote-Group"},
		ExtraHeaderPrefixes: headerrequest.StaticStringSlice{"X-Remote-Extra-"},
		AllowedClientNames:  headerrequest.StaticStringSlice{"front-proxy-client"},
	}
	real, _, err := authenticatorfactory.DelegatingAuthenticatorConfig{
		Anonymous: &apiserver.AnonymousAuthConfig{Enabled: true}, RequestHeaderConfig: requestHeader,
	}.New()
	if err != nil {
		t.Fatal(err)
	}
	counted := &countingAuthenticator{Request: real}
	cached := New(counted, requestHeader, nil)

	request := func(cert *x509.Certificate, userName, extra string) *http.Request {
		req := httptest.NewRequest(http.MethodGet, "/apis", nil)
		req.TLS = &tls.ConnectionState{PeerCertificates: []*x509.Certificate{cert}}
		req.Header.Set("X-Remote-User", userName)
		req.Header.Add("X-Remote-Group", "system:masters")
		if extra != "" {
			req.Header.Set("X-Remote-Extra-Scopes", extra)
		}
		return req
	}
	check := func(req *http.Request, wantUser string, wantCalls int) {
		t.Helper()
		resp, ok, err := cached.AuthenticateRequest(req)
		if err != nil || !ok || resp.User.GetName() != wantUser {
			t.Fatalf("authenticated as %v (ok %t, %v), want %s", resp, ok, err, wantUser)
		}
		if counted.calls != wantCalls {
			t.Errorf("the real authenticator ran %d times, want %d", counted.calls, wantCalls)
		}
		if req.Header.Get("X-Remote-User") != "" || req.Header.Get("X-Remote-Group") != "" || req.Header.Get("X-Remote-Extra-Scopes") != "" {
			t.Errorf("identity headers left on the request: %v", req.Header)
		}
	}

	check(request(proxy, "alice", ""), "alice", 1)
	check(request(proxy, "alice", ""), "alice", 1) // from the cache, headers cleared all the same
	check(request(proxy, "bob", ""), "bob", 2)     // another user: not alice's answer
	check(request(proxy, "alice", "x"), "alice", 3)
	check(request(proxy, "alice", "x"), "alice", 3)

	// A certificate the CA did not sign is refused each time: failures are never cached.
	for range 2 {
		resp, ok, err := cached.AuthenticateRequest(request(stranger, "alice", ""))
		if err == nil && ok && resp.User.GetName() != "system:anonymous" {
			t.Errorf("a stranger's certificate authenticated as %s", resp.User.GetName())
		}
	}
	if counted.calls != 5 {
		t.Errorf("the real authenticator ran %d times, want 5 (failures are never cached)", counted.calls)
	}
	// Anonymous requests (the front proxy's certificate without a user) are not cached either.
	for range 2 {
		req := httptest.NewRequest(http.MethodGet, "/apis", nil)
		req.TLS = &tls.ConnectionState{PeerCertificates: []*x509.Certificate{proxy}}
		if resp, ok, err := cached.AuthenticateRequest(req); err != nil || !ok || resp.User.GetName() != "system:anonymous" {
			t.Fatalf("no identity: %v %t %v, want anonymous", resp, ok, err)
		}
	}
	if counted.calls != 7 {
		t.Errorf("the real authenticator ran %d times, want 7 (anonymous is never cached)", counted.calls)
	}

	// The cached user is a copy: changing it does not change what the next request is given.
	resp, _, _ := cached.AuthenticateRequest(request(proxy, "alice", ""))
	groups := resp.User.GetGroups()
	groups[0] = "changed"
	resp, _, _ = cached.AuthenticateRequest(request(proxy, "alice", ""))
	if resp.User.GetGroups()[0] == "changed" {
		t.Error("a request changed the cached user")
	}
}

// An entry lives at most TTL, and never beyond the certificate's expiry.
func TestCacheExpiry(t *testing.T) {
	ca, caKey := certificate(t, "ca", nil, nil, time.Now().Add(24*time.Hour))
	soon, _ := certificate(t, "front-proxy-client", ca, caKey, time.Now().Add(-time.Minute)) // expired: not cached
	calls := 0
	always := authenticator.RequestFunc(func(*http.Request) (*authenticator.Response, bool, error) {
		calls++
		return &authenticator.Response{User: &userInfo{"alice"}}, true, nil
	})
	cached := New(always, nil, nil)
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	req.TLS = &tls.ConnectionState{PeerCertificates: []*x509.Certificate{soon}}
	for range 2 {
		if _, _, err := cached.AuthenticateRequest(req); err != nil {
			t.Fatal(err)
		}
	}
	if calls != 2 {
		t.Errorf("an expired certificate's answer was reused (%d calls, want 2)", calls)
	}
}

// A rotated CA, or a changed list of allowed front-proxy names, makes every entry a miss once the trust is
// read again: at most caRecheck after the change.
func TestTrustChangeMakesEntriesMiss(t *testing.T) {
	ca, caKey := certificate(t, "ca", nil, nil, time.Now().Add(24*time.Hour))
	proxy, _ := certificate(t, "front-proxy-client", ca, caKey, time.Now().Add(24*time.Hour))
	calls := 0
	always := authenticator.RequestFunc(func(*http.Request) (*authenticator.Response, bool, error) {
		calls++
		return &authenticator.Response{User: &userInfo{"alice"}}, true, nil
	})
	frontProxyCA := &changingCA{content: []byte("first CA")}
	allowed := &changingNames{names: []string{"front-proxy-client"}}
	requestHeader := &authenticatorfactory.RequestHeaderConfig{CAContentProvider: frontProxyCA, AllowedClientNames: allowed}
	cached := New(always, requestHeader, nil).(*cachingAuthenticator)
	clock := time.Now()
	cached.now = func() time.Time { return clock }
	authenticate := func(wantCalls int, why string) {
		t.Helper()
		req := httptest.NewRequest(http.MethodGet, "/", nil)
		req.TLS = &tls.ConnectionState{PeerCertificates: []*x509.Certificate{proxy}}
		if _, _, err := cached.AuthenticateRequest(req); err != nil {
			t.Fatal(err)
		}
		if calls != wantCalls {
			t.Errorf("%s: the real authenticator ran %d times, want %d", why, calls, wantCalls)
		}
	}

	authenticate(1, "first request")
	authenticate(1, "same certificate, same trust")
	frontProxyCA.content = []byte("rotated CA")
	clock = clock.Add(caRecheck / 2)
	authenticate(1, "CA rotated, trust not read again yet")
	clock = clock.Add(caRecheck / 2)
	authenticate(2, "CA rotated, trust read again")
	authenticate(2, "cached under the rotated CA")
	allowed.names = []string{"another-proxy"}
	clock = clock.Add(caRecheck)
	authenticate(3, "allowed names changed")
	clock = clock.Add(-time.Hour) // a clock set back reads the trust again rather than trusting an old reading
	frontProxyCA.content = []byte("third CA")
	authenticate(4, "clock set back")
}

// changingCA is a CA bundle the test changes.
type changingCA struct{ content []byte }

func (c *changingCA) Name() string                              { return "changing" }
func (c *changingCA) CurrentCABundleContent() []byte            { return c.content }
func (c *changingCA) VerifyOptions() (x509.VerifyOptions, bool) { return x509.VerifyOptions{}, false }
func (c *changingCA) AddListener(dynamiccertificates.Listener)  {}

// changingNames is a list of names the test changes.
type changingNames struct{ names []string }

func (c *changingNames) Value() []string { return c.names }

type userInfo struct{ name string }

func (u *userInfo) GetName() string               { return u.name }
func (u *userInfo) GetUID() string                { return "" }
func (u *userInfo) GetGroups() []string           { return nil }
func (u *userInfo) GetExtra() map[string][]string { return nil }
