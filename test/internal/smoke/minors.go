package smoke

// SupportedMinors are the Kubernetes minors cnat is tested behind (README, docs/cluster.md), oldest first. The
// newest runs the whole e2e suite (test/e2e); each older one the smoke (test/skew), with its own control plane
// built from hack/tools/kube-<minor>.
var SupportedMinors = []string{"1.34", "1.35", "1.36", "1.37"}

// NewestMinor is the control plane of hack/tools/kube.
func NewestMinor() string { return SupportedMinors[len(SupportedMinors)-1] }

// KubectlSkewMinors are the kubectls one minor older and one newer than the newest control plane, which
// RunKubectl runs against it (1.38: a pre-release, the newest k8s.io/kubectl the Go module proxy serves).
var KubectlSkewMinors = []string{"1.36", "1.38"}
