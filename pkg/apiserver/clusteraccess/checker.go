package clusteraccess

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	authorizationv1 "k8s.io/api/authorization/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/klog/v2"
)

// CheckName is the name of the readiness check (/readyz/cluster-permissions).
const CheckName = "cluster-permissions"

// Intervals between two checks: short while something is missing, so that a fixed RBAC is seen soon; long
// while all is granted, to notice a permission taken away.
const (
	recheckWhileMissing = 10 * time.Second
	recheckWhileGranted = time.Minute
)

// Checker asks the cluster, with SelfSubjectAccessReviews, whether it grants the server every permission of
// its needs, and fails the server's readiness, naming the resource and the verb, while it does not. Needs
// whose resource the cluster does not serve at all (an admission plugin enabled explicitly for an API the
// cluster lacks) fail it for good.
//
// A plugin whose permission is missing is not turned off: a policy or webhook an administrator wrote would
// silently stop applying. Refusal gives the admission guard the reason to refuse writes with.
type Checker struct {
	client   kubernetes.Interface
	needs    []Need
	unserved []Need

	mu sync.Mutex
	// checked: at least one round of reviews completed.
	checked bool
	missing []Need
	// who is the server's user in the cluster, for the messages ("" if the cluster did not say).
	who string
	// reported is the last state logged, so that each state is logged once, not every round.
	reported string
}

// NewChecker returns a checker of needs; unserved are needs the cluster does not serve at all.
func NewChecker(client kubernetes.Interface, needs, unserved []Need) *Checker {
	return &Checker{client: client, needs: needs, unserved: unserved}
}

// Run checks at once and then again and again until ctx ends.
func (c *Checker) Run(ctx context.Context) {
	for {
		interval := recheckWhileGranted
		if !c.CheckOnce(ctx) {
			interval = recheckWhileMissing
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(interval):
		}
	}
}

// CheckOnce reviews every need and reports whether all are granted. A review the cluster cannot answer
// (unreachable, say) keeps the previous result: a blip of kube-apiserver is not a missing permission.
func (c *Checker) CheckOnce(ctx context.Context) bool {
	var missing []Need
	// Several plugins read Namespaces: one review per permission and round.
	reviewed := map[Need]bool{}
	for _, n := range c.needs {
		permission := n
		permission.User = ""
		allowed, known := reviewed[permission]
		var err error
		if !known {
			allowed, err = c.allowed(ctx, n)
			reviewed[permission] = allowed
		}
		if err != nil {
			klog.V(2).InfoS("Cannot review a permission of cnat-apiserver in the cluster; keeping the last result",
				"permission", n.String(), "err", err)
			return c.ok()
		}
		if !allowed {
			missing = append(missing, n)
		}
	}
	who := c.whoAmI(ctx)

	c.mu.Lock()
	defer c.mu.Unlock()
	c.checked, c.missing, c.who = true, missing, who
	c.reportLocked()
	return len(c.missing) == 0 && len(c.unserved) == 0
}

func (c *Checker) allowed(ctx context.Context, n Need) (bool, error) {
	review := &authorizationv1.SelfSubjectAccessReview{Spec: authorizationv1.SelfSubjectAccessReviewSpec{
		ResourceAttributes: &authorizationv1.ResourceAttributes{
			Namespace: n.Namespace, Verb: n.Verb, Group: n.Resource.Group, Version: n.Resource.Version,
			Resource: n.Resource.Resource, Subresource: n.Subresource, Name: n.Name,
		},
	}}
	reviewed, err := c.client.AuthorizationV1().SelfSubjectAccessReviews().Create(ctx, review, metav1.CreateOptions{})
	if err != nil {
		return false, err
	}
	return reviewed.Status.Allowed, nil
}

// whoAmI is the user the cluster authenticates the server as, or "" if it will not say.
func (c *Checker) whoAmI(ctx context.Context) string {
	review, err := c.client.AuthenticationV1().SelfSubjectReviews().Create(ctx, &authenticationv1.SelfSubjectReview{}, metav1.CreateOptions{})
	if err != nil {
		return ""
	}
	return review.Status.UserInfo.Username
}

func (c *Checker) ok() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.checked && len(c.missing) == 0 && len(c.unserved) == 0
}

// reportLocked logs the state when it differs from the one logged last.
func (c *Checker) reportLocked() {
	state := c.problemLocked(everyNeed)
	msg := ""
	if state != nil {
		msg = state.Error()
	}
	if msg == c.reported {
		return
	}
	c.reported = msg
	if state != nil {
		klog.ErrorS(nil, "cnat-apiserver is not ready: "+msg)
	} else {
		klog.InfoS("The cluster grants cnat-apiserver every permission it needs", "permissions", len(c.needs))
	}
}

// problemLocked says what is wrong, or nil: an unserved API (always), a review not done yet, or a missing
// permission that counts.
func (c *Checker) problemLocked(counts func(Need) bool) error {
	if len(c.unserved) > 0 {
		var apis []string
		for _, n := range c.unserved {
			if api := fmt.Sprintf("%s (for %s)", n.APIResource(), n.User); !slices.Contains(apis, api) {
				apis = append(apis, api)
			}
		}
		return fmt.Errorf("the cluster does not serve %s: turn the plugin off (--disable-admission-plugins) or "+
			"upgrade the cluster", strings.Join(apis, "; "))
	}
	if !c.checked {
		return fmt.Errorf("the server's permissions in the cluster are not reviewed yet")
	}
	var missing []Need
	for _, n := range c.missing {
		if counts(n) {
			missing = append(missing, n)
		}
	}
	if len(missing) > 0 {
		who := "cnat-apiserver"
		if c.who != "" {
			who += " (" + c.who + ")"
		}
		return fmt.Errorf("the cluster does not allow %s to %s: grant it (artifacts/deploy/rbac)", who, describe(missing))
	}
	return nil
}

// Name is the name of the readiness check.
func (c *Checker) Name() string { return CheckName }

// Check is the readiness check: it fails while a permission is missing or a needed API is not served.
func (c *Checker) Check(*http.Request) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.problemLocked(everyNeed)
}

func everyNeed(Need) bool { return true }

// Refusal is why the admission plugins cannot decide (a permission or an API they need is missing), or nil.
// Before the first review it is nil: the plugins themselves wait for their informers then.
func (c *Checker) Refusal() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.checked && len(c.unserved) == 0 {
		return nil
	}
	return c.problemLocked(func(n Need) bool {
		_, ofAPlugin := PluginNeeds[n.User]
		return ofAPlugin
	})
}
