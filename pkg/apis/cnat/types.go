package cnat

import metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

// At runs a command once, in a Pod, at a given time.
//
// The internal type is the superset of every served version: v1alpha1's string schedule, shell command line
// and upper-case phases all have an exact counterpart here, and v1 and v1beta1 map onto it field by field.
//
// +k8s:deepcopy-gen:interfaces=k8s.io/apimachinery/pkg/runtime.Object
type At struct {
	metav1.TypeMeta
	metav1.ObjectMeta

	Spec   AtSpec
	Status AtStatus
}

// AtSpec says what to run and when.
type AtSpec struct {
	// Schedule is the moment the command is due. A zero time means "not set" and fails validation.
	Schedule metav1.Time
	// Command is the argv of the container's entrypoint. v1alpha1's command line X is ["/bin/sh", "-c", X].
	Command []string
	// Image is the container image the command runs in.
	Image string
}

// AtPhase is where an At is in its one-way life: Pending → Running → Succeeded or Failed.
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
	Phase AtPhase
	// PodName is the Pod that runs (or ran) the command.
	PodName string
	// StartTime is when the Pod was created.
	StartTime *metav1.Time
	// CompletionTime is when the At reached Succeeded or Failed.
	CompletionTime *metav1.Time
	// ObservedGeneration is the metadata.generation the controller last acted on.
	ObservedGeneration int64
	// Conditions are the latest observations, at most one per type.
	Conditions []metav1.Condition
}

// AtList is a list of Ats.
//
// +k8s:deepcopy-gen:interfaces=k8s.io/apimachinery/pkg/runtime.Object
type AtList struct {
	metav1.TypeMeta
	metav1.ListMeta

	Items []At
}
