package v1alpha1

import metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

// +k8s:deepcopy-gen:interfaces=k8s.io/apimachinery/pkg/runtime.Object

// AtPolicyConfiguration is the configuration of the AtPolicy admission plugin. Every field is optional; an
// empty configuration allows everything and changes nothing.
type AtPolicyConfiguration struct {
	metav1.TypeMeta `json:",inline"`

	// defaultImage is the image a new At gets instead of the API default ("docker.io/library/busybox:1.36"),
	// such as a registry mirror's copy of it. Since the API default is filled in before admission, an At
	// created with that image written out gets it too.
	// +optional
	DefaultImage string `json:"defaultImage,omitempty"`
	// allowedImagePrefixes: spec.image must start with one of them, compared as written (no registry or
	// "library/" is filled in). End a prefix with "/" to allow one repository path and nothing that merely
	// begins like it. Empty: any image.
	// +optional
	// +listType=atomic
	AllowedImagePrefixes []string `json:"allowedImagePrefixes,omitempty"`
	// maxUnfinishedPerNamespace is how many Pending or Running Ats a namespace may hold; a create beyond it
	// is refused. Defaults to 0: unlimited.
	// +optional
	MaxUnfinishedPerNamespace *int32 `json:"maxUnfinishedPerNamespace,omitempty"`
	// maxScheduleAhead is how far in the future spec.schedule may lie, as a Go duration ("720h", "90m").
	// Defaults to 0: unlimited.
	// +optional
	MaxScheduleAhead *metav1.Duration `json:"maxScheduleAhead,omitempty"`
}
