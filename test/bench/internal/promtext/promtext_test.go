package promtext

import "testing"

func TestValue(t *testing.T) {
	text := []byte(`# HELP go_gc_heap_live_bytes Heap memory occupied by live objects.
# TYPE go_gc_heap_live_bytes gauge
go_gc_heap_live_bytes 3.8562e+06
workqueue_depth{name="ats"} 0
workqueue_adds_total{name="ats"} 12
workqueue_adds_total{name="other"} 7
`)
	for series, want := range map[string]float64{
		"go_gc_heap_live_bytes":            3.8562e+06,
		`workqueue_adds_total{name="ats"}`: 12,
		`workqueue_depth{name="ats"}`:      0,
	} {
		if got, err := Value(text, series); err != nil || got != want {
			t.Errorf("Value(%s) = %v, %v; want %v", series, got, err, want)
		}
	}
	if _, err := Value(text, "workqueue_adds_total"); err == nil {
		t.Error("a labelled metric was found under its bare name")
	}
}
