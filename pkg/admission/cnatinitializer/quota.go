package cnatinitializer

import (
	quota "k8s.io/apiserver/pkg/quota/v1"
	"k8s.io/apiserver/pkg/quota/v1/generic"

	"github.com/programming-kubernetes/cnat/pkg/apis/cnat"
)

// quotaConfiguration is how ResourceQuotas count the server's resources: an At is one object,
// count/ats.cnat.programming-kubernetes.info, charged when it is created, the way kube-apiserver counts a
// custom resource. Nothing is ignored: ats/status is a subresource, which quota never charges.
//
// The evaluator needs no lister here: admission charges the object at hand, and the usage of a namespace
// comes from the quota's status, which kube-controller-manager's resourcequota controller keeps.
func quotaConfiguration() quota.Configuration {
	return generic.NewConfiguration([]quota.Evaluator{generic.NewObjectCountEvaluator(cnat.Resource("ats"), nil, "")}, nil)
}
