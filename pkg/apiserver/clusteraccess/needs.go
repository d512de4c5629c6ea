// Package clusteraccess fits cnat-apiserver to the Kubernetes cluster it is aggregated into.
//
// The generic admission plugins of k8s.io/apiserver, ResourceQuota and delegated authentication read the
// cluster through informers of one fixed API version each. A cluster that does not serve that version (the
// MutatingAdmissionPolicy plugin of k8s.io/apiserver 0.37 lists admissionregistration.k8s.io/v1, which
// Kubernetes 1.34 and 1.35 do not serve), or that does not let the server's ServiceAccount list and watch it
// (narrowed or stale RBAC), leaves that informer unsynced forever: /readyz says only "informer-sync", and
// every write is refused "not yet ready to handle request".
//
// The package says, at start, which plugins can run (Fit: discovery), and, while the server runs, whether
// the cluster grants every permission they need (Checker: SelfSubjectAccessReviews), naming the resource and
// the verb where it does not.
package clusteraccess

import (
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/runtime/schema"
)

// Need is one permission a part of the server needs in the cluster: a verb on a resource, at the cluster
// scope unless Namespace (and Name) narrow it.
type Need struct {
	// User is what needs it: an admission plugin's name, or a part of the server ("authentication").
	User        string
	Resource    schema.GroupVersionResource
	Subresource string
	Namespace   string
	Name        string
	Verb        string
}

// String names the permission the way RBAC does.
func (n Need) String() string {
	res := n.Resource.Resource
	if n.Resource.Group != "" {
		res += "." + n.Resource.Group
	}
	if n.Subresource != "" {
		res += "/" + n.Subresource
	}
	s := n.Verb + " " + res
	if n.Name != "" {
		s += " " + n.Name
	}
	if n.Namespace != "" {
		s += " in namespace " + n.Namespace
	} else {
		s += " (all namespaces)"
	}
	return s
}

// APIResource names the resource in its API version: "mutatingadmissionpolicies.admissionregistration.k8s.io/v1".
func (n Need) APIResource() string {
	name := n.Resource.Resource
	if n.Resource.Group != "" {
		name += "." + n.Resource.Group
	}
	return name + "/" + n.Resource.Version
}

// GroupVersion is the API version the need's informer or client speaks.
func (n Need) GroupVersion() schema.GroupVersion { return n.Resource.GroupVersion() }

var (
	namespaces                        = schema.GroupVersionResource{Version: "v1", Resource: "namespaces"}
	resourceQuotas                    = schema.GroupVersionResource{Version: "v1", Resource: "resourcequotas"}
	configMaps                        = schema.GroupVersionResource{Version: "v1", Resource: "configmaps"}
	mutatingWebhookConfigurations     = admissionregistrationV1("mutatingwebhookconfigurations")
	validatingWebhookConfigurations   = admissionregistrationV1("validatingwebhookconfigurations")
	validatingAdmissionPolicies       = admissionregistrationV1("validatingadmissionpolicies")
	validatingAdmissionPolicyBindings = admissionregistrationV1("validatingadmissionpolicybindings")
	mutatingAdmissionPolicies         = admissionregistrationV1("mutatingadmissionpolicies")
	mutatingAdmissionPolicyBindings   = admissionregistrationV1("mutatingadmissionpolicybindings")
	tokenReviews                      = schema.GroupVersionResource{Group: "authentication.k8s.io", Version: "v1", Resource: "tokenreviews"}
	subjectAccessReviews              = schema.GroupVersionResource{Group: "authorization.k8s.io", Version: "v1", Resource: "subjectaccessreviews"}
	flowSchemas                       = flowcontrolV1("flowschemas")
	priorityLevelConfigurations       = flowcontrolV1("prioritylevelconfigurations")
)

func admissionregistrationV1(resource string) schema.GroupVersionResource {
	return schema.GroupVersionResource{Group: "admissionregistration.k8s.io", Version: "v1", Resource: resource}
}

func flowcontrolV1(resource string) schema.GroupVersionResource {
	return schema.GroupVersionResource{Group: "flowcontrol.apiserver.k8s.io", Version: "v1", Resource: resource}
}

// listWatch is what an informer does: list, then watch.
func listWatch(user string, resources ...schema.GroupVersionResource) []Need {
	var needs []Need
	for _, r := range resources {
		needs = append(needs, Need{User: user, Resource: r, Verb: "list"}, Need{User: user, Resource: r, Verb: "watch"})
	}
	return needs
}

// PluginNeeds are the permissions each admission plugin of k8s.io/apiserver that reads the cluster needs, in
// the API versions its informers use (k8s.io/apiserver v0.37: pkg/admission/plugin/...). The webhook and
// policy plugins match namespaceSelectors against the Namespaces informer; NamespaceLifecycle gets a
// Namespace live on an informer miss; ResourceQuota lists quotas live on a miss and charges creates to
// their status.
var PluginNeeds = map[string][]Need{
	"NamespaceLifecycle": append(listWatch("NamespaceLifecycle", namespaces),
		Need{User: "NamespaceLifecycle", Resource: namespaces, Verb: "get"}),
	"MutatingAdmissionWebhook":   listWatch("MutatingAdmissionWebhook", mutatingWebhookConfigurations, namespaces),
	"ValidatingAdmissionWebhook": listWatch("ValidatingAdmissionWebhook", validatingWebhookConfigurations, namespaces),
	"ValidatingAdmissionPolicy": listWatch("ValidatingAdmissionPolicy",
		validatingAdmissionPolicies, validatingAdmissionPolicyBindings, namespaces),
	"MutatingAdmissionPolicy": listWatch("MutatingAdmissionPolicy",
		mutatingAdmissionPolicies, mutatingAdmissionPolicyBindings, namespaces),
	"ResourceQuota": append(listWatch("ResourceQuota", resourceQuotas),
		Need{User: "ResourceQuota", Resource: resourceQuotas, Subresource: "status", Verb: "update"}),
}

// authenticationConfigMap holds the front-proxy CA, the allowed names and the client CA kube-apiserver
// publishes for aggregated servers.
const (
	authenticationConfigMapNamespace = "kube-system"
	authenticationConfigMapName      = "extension-apiserver-authentication"
)

// DelegationNeeds are the permissions of delegated authentication and authorization: the ConfigMap with the
// front-proxy configuration (read, then watched, by name), TokenReviews for bearer tokens and
// SubjectAccessReviews for every request.
func DelegationNeeds() []Need {
	var needs []Need
	for _, verb := range []string{"get", "list", "watch"} {
		needs = append(needs, Need{User: "authentication", Resource: configMaps, Verb: verb,
			Namespace: authenticationConfigMapNamespace, Name: authenticationConfigMapName})
	}
	return append(needs,
		Need{User: "authentication", Resource: tokenReviews, Verb: "create"},
		Need{User: "authorization", Resource: subjectAccessReviews, Verb: "create"})
}

// PriorityAndFairnessNeeds are the permissions of API Priority and Fairness (--enable-priority-and-fairness),
// which reads its configuration from the cluster.
func PriorityAndFairnessNeeds() []Need {
	return listWatch("priority-and-fairness", flowSchemas, priorityLevelConfigurations)
}

// describe lists needs for a message: "list, watch validatingadmissionpolicies.admissionregistration.k8s.io
// (all namespaces) for ValidatingAdmissionPolicy; …".
func describe(needs []Need) string {
	parts := make([]string, 0, len(needs))
	for _, n := range needs {
		parts = append(parts, fmt.Sprintf("%s (for %s)", n, n.User))
	}
	return strings.Join(parts, "; ")
}
