package controller

import (
	"time"

	"k8s.io/component-base/metrics"

	"github.com/programming-kubernetes/cnat/pkg/apis/cnat/v1beta1"
)

// Metrics are the controller's Prometheus metrics.
type Metrics struct {
	startedTotal  *metrics.Counter
	finishedTotal *metrics.CounterVec
	lag           *metrics.Histogram
}

// NewMetrics creates the metrics and registers them with register (legacyregistry.MustRegister in the
// binary, a registry of their own in tests).
func NewMetrics(register func(...metrics.Registerable)) *Metrics {
	m := &Metrics{
		startedTotal: metrics.NewCounter(&metrics.CounterOpts{
			Namespace: "cnat", Subsystem: "controller", Name: "ats_started_total",
			Help: "Ats whose Pod the controller created.", StabilityLevel: metrics.ALPHA,
		}),
		finishedTotal: metrics.NewCounterVec(&metrics.CounterOpts{
			Namespace: "cnat", Subsystem: "controller", Name: "ats_finished_total",
			Help: "Ats that reached a final phase, by outcome (Succeeded, Failed).", StabilityLevel: metrics.ALPHA,
		}, []string{"outcome"}),
		lag: metrics.NewHistogram(&metrics.HistogramOpts{
			Namespace: "cnat", Subsystem: "controller", Name: "schedule_to_pod_seconds",
			Help:           "Lag between an At's schedule and the creation of its Pod.",
			Buckets:        []float64{0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300},
			StabilityLevel: metrics.ALPHA,
		}),
	}
	register(m.startedTotal, m.finishedTotal, m.lag)
	return m
}

func (m *Metrics) started(lag time.Duration) {
	m.startedTotal.Inc()
	m.lag.Observe(lag.Seconds())
}

func (m *Metrics) finished(phase v1beta1.AtPhase) {
	m.finishedTotal.WithLabelValues(string(phase)).Inc()
}
