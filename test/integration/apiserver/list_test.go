package apiserver

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/programming-kubernetes/cnat/pkg/apis/cnat/v1beta1"
)

// phased creates Ats in ns with the given phases, moving each forward through ats/status.
func phased(t *testing.T, ns string, phases map[string]v1beta1.AtPhase) {
	ats := server.Client.CnatV1beta1().Ats(ns)
	for name, phase := range phases {
		at, err := ats.Create(ctx(), newAt(name), metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		path := []v1beta1.AtPhase{v1beta1.AtRunning, phase}
		if phase == v1beta1.AtPending {
			path = nil
		} else if phase == v1beta1.AtRunning {
			path = path[:1]
		}
		for _, p := range path {
			at.Status.Phase = p
			if at, err = ats.UpdateStatus(ctx(), at, metav1.UpdateOptions{}); err != nil {
				t.Fatal(err)
			}
		}
	}
}

func names[T any](items []T, name func(T) string) []string {
	var out []string
	for _, i := range items {
		out = append(out, name(i))
	}
	sort.Strings(out)
	return out
}

func TestFieldSelectors(t *testing.T) {
	ns := namespace(t)
	phased(t, ns, map[string]v1beta1.AtPhase{"p": v1beta1.AtPending, "r": v1beta1.AtRunning, "s": v1beta1.AtSucceeded, "f": v1beta1.AtFailed})

	beta := server.Client.CnatV1beta1().Ats(ns)
	alpha := server.Client.CnatV1alpha1().Ats(ns)
	for selector, want := range map[string]string{
		"status.phase=Pending": "[p]", "status.phase=Failed": "[f]", "status.phase!=Pending": "[f r s]",
		"metadata.name=r": "[r]", "metadata.namespace=" + ns + ",status.phase=Succeeded": "[s]",
	} {
		list, err := beta.List(ctx(), metav1.ListOptions{FieldSelector: selector})
		if err != nil {
			t.Fatalf("v1beta1 %s: %v", selector, err)
		}
		if got := names(list.Items, func(a v1beta1.At) string { return a.Name }); fmt.Sprint(got) != want {
			t.Errorf("v1beta1 %s: %v, want %s", selector, got, want)
		}
	}
	for selector, want := range map[string]string{
		"status.phase=PENDING": "[p]", "status.phase=RUNNING": "[r]", "status.phase=DONE": "[f s]", "status.phase!=DONE": "[p r]",
	} {
		list, err := alpha.List(ctx(), metav1.ListOptions{FieldSelector: selector})
		if err != nil {
			t.Fatalf("v1alpha1 %s: %v", selector, err)
		}
		var got []string
		for _, a := range list.Items {
			got = append(got, a.Name)
		}
		sort.Strings(got)
		if fmt.Sprint(got) != want {
			t.Errorf("v1alpha1 %s: %v, want %s", selector, got, want)
		}
	}
	_, err := beta.List(ctx(), metav1.ListOptions{FieldSelector: "spec.image=busybox"})
	if !apierrors.IsBadRequest(err) {
		t.Errorf("unsupported field label: %v, want 400", err)
	}
}

func TestPaginationAndDeleteCollection(t *testing.T) {
	ns := namespace(t)
	ats := server.Client.CnatV1beta1().Ats(ns)
	for i := 0; i < 7; i++ {
		at := newAt("page-" + strconv.Itoa(i))
		at.Labels = map[string]string{"batch": strconv.Itoa(i % 2)}
		if _, err := ats.Create(ctx(), at, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	seen := map[string]bool{}
	opts := metav1.ListOptions{Limit: 3}
	pages := 0
	for {
		list, err := ats.List(ctx(), opts)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		if len(list.Items) > 3 {
			t.Fatalf("page of %d items with limit 3", len(list.Items))
		}
		for _, a := range list.Items {
			if seen[a.Name] {
				t.Errorf("%s seen twice", a.Name)
			}
			seen[a.Name] = true
		}
		if list.Continue == "" {
			break
		}
		opts.Continue = list.Continue
	}
	if len(seen) != 7 || pages != 3 {
		t.Errorf("%d Ats in %d pages, want 7 in 3", len(seen), pages)
	}

	if err := ats.DeleteCollection(ctx(), metav1.DeleteOptions{}, metav1.ListOptions{LabelSelector: "batch=0"}); err != nil {
		t.Fatal(err)
	}
	left, err := ats.List(ctx(), metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got := names(left.Items, func(a v1beta1.At) string { return a.Name }); fmt.Sprint(got) != "[page-1 page-3 page-5]" {
		t.Errorf("after deleting batch=0: %v", got)
	}
}

// TestTable is what kubectl get asks for: NAME, SCHEDULE, PHASE, AGE, and for -o wide COMMAND, IMAGE, POD.
func TestTable(t *testing.T) {
	ns := namespace(t)
	phased(t, ns, map[string]v1beta1.AtPhase{"shown": v1beta1.AtPending})
	for _, version := range []string{"v1beta1", "v1alpha1"} {
		resp := do(t, nil, http.MethodGet, atsPath(version, ns), "", nil,
			"Accept", "application/json;as=Table;v=v1;g=meta.k8s.io,application/json")
		if resp.code != http.StatusOK {
			t.Fatalf("%s: %d %s", version, resp.code, resp.body)
		}
		var table metav1.Table
		if err := json.Unmarshal(resp.body, &table); err != nil || table.Kind != "Table" {
			t.Fatalf("%s: not a Table (%v): %s", version, err, resp.body)
		}
		var cols []string
		for _, c := range table.ColumnDefinitions {
			name := c.Name
			if c.Priority > 0 {
				name += "(wide)"
			}
			cols = append(cols, name)
		}
		if fmt.Sprint(cols) != "[Name Schedule Phase Age Command(wide) Image(wide) Pod(wide)]" {
			t.Errorf("%s columns %v", version, cols)
		}
		if len(table.Rows) != 1 {
			t.Fatalf("%s: %d rows", version, len(table.Rows))
		}
		cells := table.Rows[0].Cells
		if cells[0] != "shown" || cells[1] != "2099-01-01T00:00:00Z" || cells[2] != "Pending" || cells[4] != "echo 'a b'" || cells[5] != "alpine:3.20" {
			t.Errorf("%s row %v", version, cells)
		}
	}
}
