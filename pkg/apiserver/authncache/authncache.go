// Package authncache remembers, for a few seconds, who a request with a client certificate was authenticated
// as, so that the certificate chain is not verified again on every request.
//
// Every request kube-apiserver's aggregator forwards carries its front-proxy client certificate and the user
// in X-Remote-* headers. k8s.io/apiserver verifies that certificate's chain against the front-proxy CA on each
// request — a signature check and a chain build, about 6 % of cnat-apiserver's CPU on a create and more on a
// get (docs/performance.md) — although the aggregator presents the same certificate on every request of a
// connection, and on every connection, for its lifetime. kube-apiserver's bearer tokens are cached the same
// way (TokenReview results, 10 s).
package authncache

import (
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"hash"
	"net/http"
	"sort"
	"strings"
	"sync/atomic"
	"time"

	"k8s.io/apimachinery/pkg/util/cache"
	"k8s.io/apiserver/pkg/authentication/authenticator"
	"k8s.io/apiserver/pkg/authentication/authenticatorfactory"
	"k8s.io/apiserver/pkg/authentication/request/headerrequest"
	"k8s.io/apiserver/pkg/authentication/user"
	"k8s.io/apiserver/pkg/server/dynamiccertificates"
)

const (
	// TTL bounds how long a result is reused: as long as a TokenReview result is (--authentication-token-
	// webhook-cache-ttl's default). A certificate's own expiry bounds it too.
	TTL = 10 * time.Second
	// size bounds the cache: one entry per certificate and identity it forwards.
	size = 4096
	// caRecheck is how often the CA bundles and allowed names that results depend on are read and hashed
	// again. Per request, that was most of what the cache itself cost (the union of client CA and front-proxy
	// CA copies its PEM on each read; hashing a few KiB): 2.3–2.8 % of cnat-apiserver's CPU on a create
	// (docs/performance.md). A rotated CA makes every entry a miss at most this much later than
	// k8s.io/apiserver has loaded it (itself seconds to a minute: a ConfigMap watch, a file poll).
	caRecheck = time.Second
)

// New wraps authn: a request with a client certificate that authn took for someone other than anonymous is
// answered from the cache for TTL when the same certificate comes with the same X-Remote-* headers, as long
// as the CAs that verified it (front-proxy and client CA) are the same. requestHeader may be nil (no front
// proxy); clientCA may be nil.
func New(authn authenticator.Request, requestHeader *authenticatorfactory.RequestHeaderConfig, clientCA dynamiccertificates.CAContentProvider) authenticator.Request {
	if authn == nil {
		return nil
	}
	return &cachingAuthenticator{delegate: authn, requestHeader: requestHeader, clientCA: clientCA,
		cache: cache.NewLRUExpireCache(size), now: time.Now}
}

type cachingAuthenticator struct {
	delegate      authenticator.Request
	requestHeader *authenticatorfactory.RequestHeaderConfig
	clientCA      dynamiccertificates.CAContentProvider
	cache         *cache.LRUExpireCache
	now           func() time.Time
	trust         atomic.Pointer[trustDigest]
}

// trustDigest is a digest of what a certificate was verified against, as read at a time.
type trustDigest struct {
	at  time.Time
	sum [sha256.Size]byte
}

func (c *cachingAuthenticator) AuthenticateRequest(req *http.Request) (*authenticator.Response, bool, error) {
	if req.TLS == nil || len(req.TLS.PeerCertificates) == 0 {
		return c.delegate.AuthenticateRequest(req)
	}
	leaf := req.TLS.PeerCertificates[0]
	key := c.key(req, leaf)
	if cached, ok := c.cache.Get(key); ok {
		c.clearHeaders(req)
		return copyResponse(cached.(*authenticator.Response)), true, nil
	}
	resp, ok, err := c.delegate.AuthenticateRequest(req)
	if err != nil || !ok || resp == nil || resp.User == nil || resp.User.GetName() == user.Anonymous {
		return resp, ok, err
	}
	if ttl := min(TTL, leaf.NotAfter.Sub(c.now())); ttl > 0 {
		c.cache.Add(key, copyResponse(resp), ttl)
	}
	return resp, ok, err
}

// key identifies everything the result depends on: the certificate, the CAs and front-proxy configuration it
// was checked against (a rotation makes every entry a miss), and the identity headers it vouches for.
func (c *cachingAuthenticator) key(req *http.Request, leaf *x509.Certificate) string {
	h := sha256.New()
	write := func(parts ...string) { writeParts(h, parts...) }
	h.Write(leaf.Raw)
	trust := c.trustSum()
	h.Write(trust[:])
	if rh := c.requestHeader; rh != nil {
		for _, names := range []headerrequest.StringSliceProvider{rh.UsernameHeaders, rh.UIDHeaders, rh.GroupHeaders} {
			for _, name := range values(names) {
				write(name)
				write(req.Header.Values(name)...)
			}
		}
		for _, prefix := range values(rh.ExtraHeaderPrefixes) {
			var extra []string
			for name, vals := range req.Header {
				if len(name) >= len(prefix) && strings.EqualFold(name[:len(prefix)], prefix) {
					extra = append(extra, strings.ToLower(name)+"="+strings.Join(vals, "\x00"))
				}
			}
			sort.Strings(extra)
			write(prefix)
			write(extra...)
		}
	}
	return hex.EncodeToString(h.Sum(nil))
}

// trustSum is the digest of the client CA, the front-proxy CA and the names it allows, read again when the
// last reading is caRecheck old.
func (c *cachingAuthenticator) trustSum() [sha256.Size]byte {
	now := c.now()
	if last := c.trust.Load(); last != nil && now.Sub(last.at) < caRecheck && !now.Before(last.at) {
		return last.sum
	}
	h := sha256.New()
	write := func(parts ...string) { writeParts(h, parts...) }
	if c.clientCA != nil {
		h.Write(c.clientCA.CurrentCABundleContent())
	}
	write("|")
	if rh := c.requestHeader; rh != nil {
		if rh.CAContentProvider != nil {
			h.Write(rh.CAContentProvider.CurrentCABundleContent())
		}
		write("|")
		write(values(rh.AllowedClientNames)...)
	}
	digest := &trustDigest{at: now}
	h.Sum(digest.sum[:0])
	c.trust.Store(digest)
	return digest.sum
}

// writeParts writes each part to h, NUL-terminated, so that no two lists of parts write the same bytes.
func writeParts(h hash.Hash, parts ...string) {
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
}

// clearHeaders removes the identity headers, as the front-proxy authenticator does once it has read them:
// nothing after authentication may see them.
func (c *cachingAuthenticator) clearHeaders(req *http.Request) {
	if rh := c.requestHeader; rh != nil {
		headerrequest.ClearAuthenticationHeaders(req.Header, orEmpty(rh.UsernameHeaders), orEmpty(rh.UIDHeaders),
			orEmpty(rh.GroupHeaders), orEmpty(rh.ExtraHeaderPrefixes))
	}
}

func values(p headerrequest.StringSliceProvider) []string {
	if p == nil {
		return nil
	}
	return p.Value()
}

func orEmpty(p headerrequest.StringSliceProvider) headerrequest.StringSliceProvider {
	if p == nil {
		return headerrequest.StaticStringSlice{}
	}
	return p
}

// copyResponse copies a response, so that no request changes what another one is given.
func copyResponse(r *authenticator.Response) *authenticator.Response {
	u := &user.DefaultInfo{
		Name:   r.User.GetName(),
		UID:    r.User.GetUID(),
		Groups: append([]string(nil), r.User.GetGroups()...),
	}
	if extra := r.User.GetExtra(); extra != nil {
		u.Extra = make(map[string][]string, len(extra))
		for k, v := range extra {
			u.Extra[k] = append([]string(nil), v...)
		}
	}
	return &authenticator.Response{User: u, Audiences: append(authenticator.Audiences(nil), r.Audiences...)}
}
