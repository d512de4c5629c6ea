package controller

import (
	"fmt"
	"hash/fnv"

	"github.com/distribution/reference"
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

// NewPod is the Pod that runs an At: its image and command, once (restartPolicy Never), controlled by it, the
// image pulled as pullPolicy says.
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
				Name:            "at",
				Image:           at.Spec.Image,
				ImagePullPolicy: pullPolicy(at.Spec.Image),
				Command:         at.Spec.Command,
			}},
		},
	}
}

// pullPolicy is how the kubelet gets an At's image. A pinned image (a tag other than latest, or a digest) is
// pulled only when the node does not have it: every At due at once would otherwise pull again, each start
// waits for the registry, its rate limits count every pull, and a node cut off from the registry runs
// nothing. An image with no tag and no digest, or tagged latest, means "whatever the registry has now", so
// it is pulled every time, as the API server would default it: a node's old copy would run something else.
// Set here rather than left to that defaulting, so that the choice is the controller's, stated and tested.
func pullPolicy(image string) corev1.PullPolicy {
	named, err := reference.ParseNormalizedNamed(image)
	if err != nil {
		// Validation refuses such an image: an At with one is never stored.
		return corev1.PullIfNotPresent
	}
	if _, digested := named.(reference.Digested); digested {
		return corev1.PullIfNotPresent
	}
	if tagged, ok := named.(reference.Tagged); ok && tagged.Tag() != "latest" {
		return corev1.PullIfNotPresent
	}
	return corev1.PullAlways
}
