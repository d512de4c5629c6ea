package controller

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/programming-kubernetes/cnat/pkg/apis/cnat"
	"github.com/programming-kubernetes/cnat/pkg/apis/cnat/v1beta1"
)

func TestPullPolicy(t *testing.T) {
	tests := []struct {
		image string
		want  corev1.PullPolicy
	}{
		// The API default is pinned: a node that has it runs it without asking the registry.
		{cnat.DefaultImage, corev1.PullIfNotPresent},
		{"alpine:3.20", corev1.PullIfNotPresent},
		{"registry.example:5000/team/tool:v2", corev1.PullIfNotPresent},
		{"registry.example/team/tool@sha256:" + sha, corev1.PullIfNotPresent},
		{"registry.example/team/tool:latest@sha256:" + sha, corev1.PullIfNotPresent},
		// Unpinned: the registry's current image, not a node's old copy.
		{"busybox", corev1.PullAlways},
		{"busybox:latest", corev1.PullAlways},
		{"registry.example:5000/team/tool", corev1.PullAlways},
	}
	for _, tc := range tests {
		if got := pullPolicy(tc.image); got != tc.want {
			t.Errorf("pullPolicy(%q) = %s, want %s", tc.image, got, tc.want)
		}
	}
}

func TestNewPodSetsThePullPolicy(t *testing.T) {
	at := &v1beta1.At{
		ObjectMeta: metav1.ObjectMeta{Name: "hello", Namespace: "default", UID: "6f559"},
		Spec:       v1beta1.AtSpec{Command: []string{"echo", "hello"}, Image: cnat.DefaultImage},
	}
	c := NewPod(at).Spec.Containers[0]
	if c.Image != cnat.DefaultImage || c.ImagePullPolicy != corev1.PullIfNotPresent {
		t.Errorf("container image %q pulled %q, want %q pulled IfNotPresent", c.Image, c.ImagePullPolicy, cnat.DefaultImage)
	}
}

const sha = "3fbc632167424a6d997e74f52b878d7cc478225cffac6bc977eedfe51c7f4e79"
