// Package validation checks an AtPolicy configuration, so that a bad one stops the server at start with the
// field it is about instead of refusing or allowing Ats in surprising ways later.
package validation

import (
	"fmt"
	"strings"

	"github.com/distribution/reference"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/programming-kubernetes/cnat/pkg/admission/plugin/atpolicy/apis/atpolicy"
)

// ValidateAtPolicyConfiguration reports every problem of the configuration. Field paths are the field names
// of the file (defaultImage, allowedImagePrefixes[1], …).
func ValidateAtPolicyConfiguration(config *atpolicy.AtPolicyConfiguration) field.ErrorList {
	var allErrs field.ErrorList

	prefixesPath := field.NewPath("allowedImagePrefixes")
	for i, prefix := range config.AllowedImagePrefixes {
		// An empty prefix allows every image: almost surely an empty list item in YAML, not the intent.
		if prefix == "" {
			allErrs = append(allErrs, field.Invalid(prefixesPath.Index(i), prefix,
				"must not be empty (an empty prefix would allow every image; leave the list out to allow any image)"))
		}
	}

	if image := config.DefaultImage; image != "" {
		imagePath := field.NewPath("defaultImage")
		if _, err := reference.ParseNormalizedNamed(image); err != nil {
			allErrs = append(allErrs, field.Invalid(imagePath, image, fmt.Sprintf("must be an image reference: %v", err)))
		} else if !HasAllowedPrefix(image, config.AllowedImagePrefixes) {
			// Otherwise every At created without an image would be refused for the image the policy gave it.
			allErrs = append(allErrs, field.Invalid(imagePath, image, "must start with one of allowedImagePrefixes"))
		}
	}

	if config.MaxUnfinishedPerNamespace < 0 {
		allErrs = append(allErrs, field.Invalid(field.NewPath("maxUnfinishedPerNamespace"),
			config.MaxUnfinishedPerNamespace, "must be 0 (unlimited) or more"))
	}
	if config.MaxScheduleAhead.Duration < 0 {
		allErrs = append(allErrs, field.Invalid(field.NewPath("maxScheduleAhead"),
			config.MaxScheduleAhead.Duration.String(), "must be 0 (unlimited) or more"))
	}
	return allErrs
}

// HasAllowedPrefix tells whether image starts with one of prefixes; no prefixes allow any image.
func HasAllowedPrefix(image string, prefixes []string) bool {
	if len(prefixes) == 0 {
		return true
	}
	for _, prefix := range prefixes {
		if strings.HasPrefix(image, prefix) {
			return true
		}
	}
	return false
}
