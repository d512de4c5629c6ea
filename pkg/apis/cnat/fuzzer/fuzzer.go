// Package fuzzer holds the fuzzer functions of the cnat API group for the round-trip tests. Each rule says
// why it exists; everything else is left random, so the tests prove that conversion loses nothing.
package fuzzer

import (
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	runtimeserializer "k8s.io/apimachinery/pkg/runtime/serializer"
	"sigs.k8s.io/randfill"

	"github.com/programming-kubernetes/cnat/pkg/apis/cnat"
	"github.com/programming-kubernetes/cnat/pkg/apis/cnat/v1alpha1"
)

// Funcs returns the fuzzer functions for the cnat API group.
var Funcs = func(codecs runtimeserializer.CodecFactory) []interface{} {
	return []interface{}{
		func(s *cnat.AtSpec, c randfill.Continue) {
			c.FillNoCustom(s)
			// Coverage, not a constraint: a random argv is almost never ["/bin/sh", "-c", X], and a random
			// image is never the default, so half the objects take the other conversion path.
			if c.Bool() {
				s.Command = append(append([]string{}, cnat.ShellCommand...), c.String(0))
			}
			if c.Bool() {
				s.Image = cnat.DefaultImage
			}
			// Constraint: decoding v1beta1 defaults an empty image to the default one, so an object that went
			// through any version never has an empty image (the defaulting test covers that).
			if s.Image == "" {
				s.Image = cnat.DefaultImage
			}
		},
		func(s *cnat.AtStatus, c randfill.Continue) {
			c.FillNoCustom(s)
			// Coverage: a random phase passes through conversion unchanged; the real ones are mapped.
			s.Phase = []cnat.AtPhase{"", cnat.AtPending, cnat.AtRunning, cnat.AtSucceeded, cnat.AtFailed, s.Phase}[c.Intn(6)]
		},
		func(t *metav1.Time, c randfill.Continue) {
			// Constraint: on the wire a metav1.Time has whole seconds (RFC 3339), so a random nanosecond would
			// be lost by serialization itself, not by conversion. Years stay within RFC 3339's four digits.
			*t = metav1.Unix(c.Int63n(253402300799), 0).Rfc3339Copy()
		},
		func(s *v1alpha1.AtSpec, c randfill.Continue) {
			c.FillNoCustom(s)
			// Coverage: a random schedule never parses; a real one must come back exactly, so it is in the
			// canonical form the server shows (UTC, whole seconds).
			if c.Bool() {
				s.Schedule = time.Unix(c.Int63n(4102444800), 0).UTC().Format(time.RFC3339)
			}
		},
		func(s *v1alpha1.AtStatus, c randfill.Continue) {
			c.FillNoCustom(s)
			// Coverage: as for the internal phase.
			s.Phase = []string{"", v1alpha1.PhasePending, v1alpha1.PhaseRunning, v1alpha1.PhaseDone, s.Phase}[c.Intn(5)]
		},
	}
}
