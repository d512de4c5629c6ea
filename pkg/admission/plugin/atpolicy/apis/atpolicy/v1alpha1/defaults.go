package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/utils/ptr"
)

func addDefaultingFuncs(scheme *runtime.Scheme) error {
	return RegisterDefaults(scheme)
}

// SetDefaults_AtPolicyConfiguration makes the limits a file leaves out explicit: unset means unlimited.
func SetDefaults_AtPolicyConfiguration(obj *AtPolicyConfiguration) {
	if obj.MaxUnfinishedPerNamespace == nil {
		obj.MaxUnfinishedPerNamespace = ptr.To[int32](0)
	}
	if obj.MaxScheduleAhead == nil {
		obj.MaxScheduleAhead = &metav1.Duration{}
	}
}
