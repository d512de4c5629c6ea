package controller

import (
	"fmt"
	"hash/fnv"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/rand"

	"github.com/programming-kubernetes/cnat/pkg/apis/cnat/v1beta1"
)

// AtLabel names, on a Pod, the At it runs.
const AtLabel = v1beta1.GroupName + "/at"

// podName is <at-name>-<short suffix>. The suffix comes from the At's UID, so every attempt for one At names
// the same Pod (a second one cannot be created), and an At deleted and created again gets a new Pod.
func podName(at *v1beta1.At) string {
	h := fnv.New32a()
	_, _ = h.Write([]byte(at.UID))
	suffix := rand.SafeEncodeString(fmt.Sprint(h.Sum32()))[:5]
	name := at.Name
	if max := 63 - 1 - len(suffix); len(name) > max {
		name = name[:max]
	}
	return name + "-" + suffix
}

// NewPod is the Pod that runs an At: its image and command, once (restartPolicy Never), controlled by it.
func NewPod(at *v1beta1.At) *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{
			Name:      podName(at),
			Namespace: at.Namespace,
			Labels:    map[string]string{AtLabel: at.Name},
			OwnerReferences: []metav1.OwnerReference{
				*metav1.NewControllerRef(at, v1beta1.SchemeGroupVersion.WithKind("At")),
			},
		},
		Spec: corev1.PodSpec{
			RestartPolicy: corev1.RestartPolicyNever,
			Containers: []corev1.Container{{
				Name:    "at",
				Image:   at.Spec.Image,
				Command: at.Spec.Command,
			}},
		},
	}
}
