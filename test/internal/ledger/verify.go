package ledger

import (
	"context"
	"sort"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/programming-kubernetes/cnat/pkg/generated/clientset/versioned"
)

// Lost lists the namespace's Ats with a quorum read and returns the acknowledged writes that are not there:
// Ats whose create was acknowledged but that do not exist, and Ats that hold an older sequence than an
// acknowledged update wrote.
func Lost(ctx context.Context, client versioned.Interface, namespace string, l *Ledger) ([]string, error) {
	return LostIn(ctx, client, namespace, "", l)
}

// LostIn is Lost, listing in the given version of the At API ("": v1beta1).
func LostIn(ctx context.Context, client versioned.Interface, namespace, version string, l *Ledger) ([]string, error) {
	_, items, err := atsIn(client, namespace, version).list(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, err
	}
	stored := make(map[string]int, len(items))
	for _, at := range items {
		stored[at.GetName()] = Seq(at)
	}
	var lost []string
	for name, seq := range l.Acked() {
		if have, ok := stored[name]; !ok || have < seq {
			lost = append(lost, name)
		}
	}
	sort.Strings(lost)
	return lost, nil
}
