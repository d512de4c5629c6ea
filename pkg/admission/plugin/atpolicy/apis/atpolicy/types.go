package atpolicy

import metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

// +k8s:deepcopy-gen:interfaces=k8s.io/apimachinery/pkg/runtime.Object

// AtPolicyConfiguration is the configuration of the AtPolicy admission plugin. Its zero value allows
// everything and changes nothing.
type AtPolicyConfiguration struct {
	metav1.TypeMeta

	// DefaultImage replaces the API default image (cnat.DefaultImage) of a new At. Empty: keep the API default.
	DefaultImage string
	// AllowedImagePrefixes are the prefixes one of which spec.image must start with. Empty: any image.
	AllowedImagePrefixes []string
	// MaxUnfinishedPerNamespace is how many Pending or Running Ats a namespace may hold before creates are
	// refused. 0: unlimited.
	MaxUnfinishedPerNamespace int32
	// MaxScheduleAhead is how far in the future spec.schedule may lie. 0: unlimited.
	MaxScheduleAhead metav1.Duration
}
