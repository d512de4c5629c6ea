package workload

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"
)

func TestRunCallsEachIndexOnce(t *testing.T) {
	var calls [100]atomic.Int32
	r, err := Run(context.Background(), 7, 10, 100, func(_ context.Context, i int) error {
		calls[i].Add(1)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for i := range calls {
		want := int32(1)
		if i < 10 {
			want = 0
		}
		if calls[i].Load() != want {
			t.Errorf("index %d called %d times, want %d", i, calls[i].Load(), want)
		}
	}
	if r.Ops() != 90 || r.Elapsed <= 0 || r.Throughput() <= 0 {
		t.Errorf("result: %d ops in %v", r.Ops(), r.Elapsed)
	}
}

func TestRunStopsAtTheFirstError(t *testing.T) {
	failed := errors.New("refused")
	var calls atomic.Int32
	_, err := Run(context.Background(), 4, 0, 1000, func(_ context.Context, i int) error {
		calls.Add(1)
		if i == 3 {
			return failed
		}
		// An op takes a while, as a request does: otherwise the other workers may run all 1000 before the
		// worker that drew op 3 is even scheduled, and there is nothing left to stop.
		time.Sleep(time.Millisecond)
		return nil
	})
	if !errors.Is(err, failed) {
		t.Errorf("err = %v, want the op's error", err)
	}
	if calls.Load() >= 1000 {
		t.Errorf("all %d ops ran after the error", calls.Load())
	}
}

func TestPercentileAndMerge(t *testing.T) {
	ms := func(ns ...int) []time.Duration {
		var d []time.Duration
		for _, n := range ns {
			d = append(d, time.Duration(n)*time.Millisecond)
		}
		return d
	}
	r := Merge(Result{Elapsed: time.Second, Latencies: ms(1, 3, 5)}, Result{Elapsed: time.Second, Latencies: ms(2, 4)})
	if r.Ops() != 5 || r.Elapsed != 2*time.Second || r.Throughput() != 2.5 {
		t.Errorf("merged: %d ops in %v", r.Ops(), r.Elapsed)
	}
	if r.P50() != 3*time.Millisecond || r.P99() != 5*time.Millisecond {
		t.Errorf("p50 %v, p99 %v of %v", r.P50(), r.P99(), r.Latencies)
	}
	if Percentile(nil, 0.5) != 0 || (Result{}).Throughput() != 0 {
		t.Error("an empty result has figures")
	}
}
