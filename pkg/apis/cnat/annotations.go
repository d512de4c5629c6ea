package cnat

import (
	"slices"
	"strings"
)

// Bookkeeping annotations carry, through v1alpha1, what only v1 and v1beta1 can say, the way autoscaling/v1
// HorizontalPodAutoscaler keeps v2-only fields: written when an At is shown in v1alpha1, read back (and
// removed) when a v1alpha1 object is converted in, never shown in v1 or v1beta1 and never stored. Their
// names say v1beta1, the version they were made for; they stay so, because a v1alpha1 client may hold an
// object read before v1 existed and write it back.
const (
	bookkeepingPrefix = GroupName + "/"

	// CommandAnnotation holds the exact argv (JSON) of a command that is not ["/bin/sh", "-c", X].
	CommandAnnotation = bookkeepingPrefix + "v1beta1-command"
	// ImageAnnotation holds an image other than DefaultImage.
	ImageAnnotation = bookkeepingPrefix + "v1beta1-image"
	// PhaseAnnotation holds "Failed" when v1alpha1 shows the phase as DONE.
	PhaseAnnotation = bookkeepingPrefix + "v1beta1-phase"
	// StatusAnnotation holds the status fields v1alpha1 has no place for (JSON).
	StatusAnnotation = bookkeepingPrefix + "v1beta1-status"
	// UnparsedScheduleAnnotation holds a v1alpha1 schedule that is not an RFC 3339 time, so that validation
	// can reject it with a field error (422) instead of conversion failing with a 400 or a 500. An object that
	// carries it never passes validation, so it is never stored.
	UnparsedScheduleAnnotation = bookkeepingPrefix + "v1alpha1-unparsed-schedule"
)

// DefaultImage is the image an At runs in when it names none: busybox, as in the book's controller, but
// pinned. A tag rather than a digest: a registry mirror that copies one platform of the image (docker pull,
// tag, push) serves it under the same tag but another digest, so a digest default would not pull there.
// Fully qualified, so that the registry and path a mirror must copy are plain, and an AtPolicy prefix such
// as "docker.io/library/" matches it as written. The +default markers on spec.image of v1 and v1beta1 must
// say the same (install's TestDefaulting checks it).
const DefaultImage = "docker.io/library/busybox:1.36"

var bookkeepingAnnotations = []string{
	CommandAnnotation, ImageAnnotation, PhaseAnnotation, StatusAnnotation, UnparsedScheduleAnnotation,
}

// IsBookkeepingAnnotation tells whether key is one of the annotations above.
func IsBookkeepingAnnotation(key string) bool {
	return strings.HasPrefix(key, bookkeepingPrefix) && slices.Contains(bookkeepingAnnotations, key)
}

// HasBookkeepingAnnotations tells whether any of the annotations is a bookkeeping one.
func HasBookkeepingAnnotations(annotations map[string]string) bool {
	for k := range annotations {
		if IsBookkeepingAnnotation(k) {
			return true
		}
	}
	return false
}

// WithoutBookkeepingAnnotations returns annotations less the bookkeeping ones. It never modifies its argument
// (generated conversions share the map between the input and the output object); it returns the argument
// itself when there is nothing to remove, and nil when nothing is left.
func WithoutBookkeepingAnnotations(annotations map[string]string) map[string]string {
	if !HasBookkeepingAnnotations(annotations) {
		return annotations
	}
	out := make(map[string]string, len(annotations))
	for k, v := range annotations {
		if !IsBookkeepingAnnotation(k) {
			out[k] = v
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}
