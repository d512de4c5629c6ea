package v1

import metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

// +genclient
// +k8s:deepcopy-gen:interfaces=k8s.io/apimachinery/pkg/runtime.Object
// +k8s:prerelease-lifecycle-gen:introduced=1.1

// At runs a command once, in a Pod, at a given time.
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
	// schedule is the moment the command is due (RFC 3339, e.g. 2019-04-12T10:12:00Z). A schedule in the past
	// runs as soon as the controller sees the At.
	// +required
	Schedule metav1.Time `json:"schedule" protobuf:"bytes,1,opt,name=schedule"`
	// command is the argv of the container's entrypoint, run without a shell: use ["/bin/sh", "-c", "..."]
	// for a shell command line. It must not be empty.
	// +required
	// +listType=atomic
	Command []string `json:"command" protobuf:"bytes,2,rep,name=command"`
	// image is the container image the command runs in. The Pod pulls it only when the node does not have it
	// (IfNotPresent), unless it has no tag and no digest or the tag latest: then at every run (Always).
	// +optional
	// +default="docker.io/library/busybox:1.36"
	Image string `json:"image,omitempty" protobuf:"bytes,3,opt,name=image"`
}

// AtPhase is where an At is in its one-way life: Pending → Running → Succeeded or Failed.
// +enum
type AtPhase string

const (
	// AtPending means the schedule has not come yet (or the controller has not acted on it).
	AtPending AtPhase = "Pending"
	// AtRunning means the At's Pod was created.
	AtRunning AtPhase = "Running"
	// AtSucceeded means the Pod finished with exit code 0.
	AtSucceeded AtPhase = "Succeeded"
	// AtFailed means the Pod failed or disappeared before it finished.
	AtFailed AtPhase = "Failed"
)

// AtStatus is what the controller observed.
type AtStatus struct {
	// phase is where the At is: Pending, Running, Succeeded or Failed.
	// +optional
	Phase AtPhase `json:"phase,omitempty" protobuf:"bytes,1,opt,name=phase,casttype=AtPhase"`
	// podName is the Pod that runs (or ran) the command.
	// +optional
	PodName string `json:"podName,omitempty" protobuf:"bytes,2,opt,name=podName"`
	// startTime is when the Pod was created.
	// +optional
	StartTime *metav1.Time `json:"startTime,omitempty" protobuf:"bytes,3,opt,name=startTime"`
	// completionTime is when the At reached Succeeded or Failed.
	// +optional
	CompletionTime *metav1.Time `json:"completionTime,omitempty" protobuf:"bytes,4,opt,name=completionTime"`
	// observedGeneration is the metadata.generation the controller last acted on.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty" protobuf:"varint,5,opt,name=observedGeneration"`
	// conditions are the latest observations of the At's state, at most one per type.
	// +optional
	// +listType=map
	// +listMapKey=type
	// +patchMergeKey=type
	// +patchStrategy=merge
	Conditions []metav1.Condition `json:"conditions,omitempty" patchStrategy:"merge" patchMergeKey:"type" protobuf:"bytes,6,rep,name=conditions"`
}

// +k8s:deepcopy-gen:interfaces=k8s.io/apimachinery/pkg/runtime.Object
// +k8s:prerelease-lifecycle-gen:introduced=1.1

// AtList is a list of Ats.
type AtList struct {
	metav1.TypeMeta `json:",inline"`
	// Standard list metadata.
	// +optional
	metav1.ListMeta `json:"metadata,omitempty" protobuf:"bytes,1,opt,name=metadata"`

	// items is the list of Ats.
	Items []At `json:"items" protobuf:"bytes,2,rep,name=items"`
}
