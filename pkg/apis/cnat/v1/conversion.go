package v1

import (
	"k8s.io/apimachinery/pkg/conversion"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/programming-kubernetes/cnat/pkg/apis/cnat"
)

// v1 has the internal shape (as v1beta1 does); the only hand-written part keeps v1alpha1's bookkeeping
// annotations out of v1 in both directions, so they are never shown in v1 and never stored.

// Convert_cnat_At_To_v1_At converts and drops bookkeeping annotations.
func Convert_cnat_At_To_v1_At(in *cnat.At, out *At, s conversion.Scope) error {
	if err := autoConvert_cnat_At_To_v1_At(in, out, s); err != nil {
		return err
	}
	out.Annotations = cnat.WithoutBookkeepingAnnotations(in.Annotations)
	return nil
}

// Convert_v1_At_To_cnat_At converts and drops bookkeeping annotations a v1 client may have written.
func Convert_v1_At_To_cnat_At(in *At, out *cnat.At, s conversion.Scope) error {
	if err := autoConvert_v1_At_To_cnat_At(in, out, s); err != nil {
		return err
	}
	out.Annotations = cnat.WithoutBookkeepingAnnotations(in.Annotations)
	return nil
}

// Convert_cnat_AtList_To_v1_AtList runs for every list answered in v1, on every At of the list: it shares
// the items of the internal list (cnat.SharedItems) unless some At carries bookkeeping annotations.
func Convert_cnat_AtList_To_v1_AtList(in *cnat.AtList, out *AtList, s conversion.Scope) error {
	items, shared := cnat.SharedItems[At](in.Items)
	if !shared {
		return autoConvert_cnat_AtList_To_v1_AtList(in, out, s)
	}
	out.ListMeta = in.ListMeta
	out.Items = items
	return nil
}

func addFieldLabelConversionFuncs(scheme *runtime.Scheme) error {
	return scheme.AddFieldLabelConversionFunc(SchemeGroupVersion.WithKind("At"), cnat.FieldLabelsAsIs(SchemeGroupVersion))
}
