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
	list, err := client.CnatV1beta1().Ats(namespace).List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, err
	}
	stored := make(map[string]int, len(list.Items))
	for i := range list.Items {
		stored[list.Items[i].Name] = Seq(&list.Items[i])
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
