package v1alpha1

import metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

// +genclient
// +k8s:deepcopy-gen:interfaces=k8s.io/apimachinery/pkg/runtime.Object
// +k8s:prerelease-lifecycle-gen:introduced=1.0
// +k8s:prerelease-lifecycle-gen:deprecated=1.0
// +k8s:prerelease-lifecycle-gen:replacement=cnat.programming-kubernetes.info,v1,At

// At runs a shell command once, in a Pod, at a given time.
type At struct {
	metav1.TypeMeta `json:",inline"`
	// Standard object's metadata.
	// +optional
	metav1.ObjectMeta `json:"metadata,omitempty" protobuf:"bytes,1,opt,name=metadata"`

	// spec says what to run and when.
	// +optional
	Spec AtSpec `json:"spec,omitempty" protobuf:"bytes,2,opt,name=spec"`
	// status is what the controller observed. Written through the status subresource.
	// +optional
	Status AtStatus `json:"status,omitempty" protobuf:"bytes,3,opt,name=status"`
}

// AtSpec says what to run and when.
type AtSpec struct {
	// schedule is the moment the command is due, in RFC 3339 UTC, e.g. 2019-04-12T10:12:00Z.
	// +optional
	Schedule string `json:"schedule,omitempty" protobuf:"bytes,1,opt,name=schedule"`
	// command is a shell command line, run as /bin/sh -c <command>.
	// +optional
	Command string `json:"command,omitempty" protobuf:"bytes,2,opt,name=command"`
}

// The phases of the book's At. DONE stands for both Succeeded and Failed of v1beta1.
const (
	PhasePending = "PENDING"
	PhaseRunning = "RUNNING"
	PhaseDone    = "DONE"
)

// AtStatus is what the controller observed.
type AtStatus struct {
	// phase is PENDING, RUNNING or DONE.
	// +optional
	Phase string `json:"phase,omitempty" protobuf:"bytes,1,opt,name=phase"`
}

// +k8s:deepcopy-gen:interfaces=k8s.io/apimachinery/pkg/runtime.Object
// +k8s:prerelease-lifecycle-gen:introduced=1.0
// +k8s:prerelease-lifecycle-gen:deprecated=1.0
// +k8s:prerelease-lifecycle-gen:replacement=cnat.programming-kubernetes.info,v1,AtList

// AtList is a list of Ats.
type AtList struct {
	metav1.TypeMeta `json:",inline"`
	// Standard list metadata.
	// +optional
	metav1.ListMeta `json:"metadata,omitempty" protobuf:"bytes,1,opt,name=metadata"`

	// items is the list of Ats.
	Items []At `json:"items" protobuf:"bytes,2,rep,name=items"`
}
