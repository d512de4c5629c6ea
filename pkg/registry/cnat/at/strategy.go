// Package at is the registry of the ats resource: the strategies that decide what a write may change, and the
// storage that serves ats and ats/status from one etcd store.
package at

import (
	"context"
	"fmt"
	"time"

	apiequality "k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/apiserver/pkg/storage"
	"k8s.io/apiserver/pkg/storage/names"
	"sigs.k8s.io/structured-merge-diff/v6/fieldpath"

	"github.com/programming-kubernetes/cnat/pkg/apis/cnat"
	"github.com/programming-kubernetes/cnat/pkg/apis/cnat/validation"
)

// servedVersions are the versions whose server-side apply field sets the reset fields are given for.
var servedVersions = []fieldpath.APIVersion{
	fieldpath.APIVersion(cnat.GroupName + "/v1"),
	fieldpath.APIVersion(cnat.GroupName + "/v1beta1"),
	fieldpath.APIVersion(cnat.GroupName + "/v1alpha1"),
}

func resetFields(paths ...fieldpath.Path) map[fieldpath.APIVersion]*fieldpath.Set {
	set := fieldpath.NewSet(paths...)
	fields := make(map[fieldpath.APIVersion]*fieldpath.Set, len(servedVersions))
	for _, v := range servedVersions {
		fields[v] = set
	}
	return fields
}

// atStrategy is the behaviour of writes to the main resource: they own the spec; the status belongs to the
// controller and is written through ats/status.
type atStrategy struct {
	runtime.ObjectTyper
	names.NameGenerator
	// now is the clock for the past-schedule warning.
	now func() time.Time
}

// NewStrategy returns the strategy of the ats resource.
func NewStrategy(typer runtime.ObjectTyper) atStrategy {
	return atStrategy{ObjectTyper: typer, NameGenerator: names.SimpleNameGenerator, now: time.Now}
}

func (atStrategy) NamespaceScoped() bool { return true }

// GetResetFields keeps server-side apply of the main resource from owning status.
func (atStrategy) GetResetFields() map[fieldpath.APIVersion]*fieldpath.Set {
	return resetFields(fieldpath.MakePathOrDie("status"))
}

// PrepareForCreate starts every At Pending, whatever status the client sent, as Pods do.
func (atStrategy) PrepareForCreate(ctx context.Context, obj runtime.Object) {
	at := obj.(*cnat.At)
	at.Status = cnat.AtStatus{Phase: cnat.AtPending}
	at.Generation = 1
}

// PrepareForUpdate keeps the stored status and counts spec changes in metadata.generation.
func (atStrategy) PrepareForUpdate(ctx context.Context, obj, old runtime.Object) {
	newAt, oldAt := obj.(*cnat.At), old.(*cnat.At)
	newAt.Status = oldAt.Status
	if !apiequality.Semantic.DeepEqual(newAt.Spec, oldAt.Spec) {
		newAt.Generation = oldAt.Generation + 1
	}
}

func (atStrategy) Validate(ctx context.Context, obj runtime.Object) field.ErrorList {
	return validation.ValidateAt(obj.(*cnat.At))
}

func (s atStrategy) WarningsOnCreate(ctx context.Context, obj runtime.Object) []string {
	return validation.ScheduleWarnings(obj.(*cnat.At), s.now())
}

func (atStrategy) Canonicalize(obj runtime.Object) {}

func (atStrategy) AllowCreateOnUpdate(context.Context) bool { return false }

func (atStrategy) AllowUnconditionalUpdate(context.Context) bool { return true }

func (atStrategy) ValidateUpdate(ctx context.Context, obj, old runtime.Object) field.ErrorList {
	return validation.ValidateAtUpdate(obj.(*cnat.At), old.(*cnat.At))
}

// WarningsOnUpdate warns about a schedule moved into the past (an unchanged one was warned about before).
func (s atStrategy) WarningsOnUpdate(ctx context.Context, obj, old runtime.Object) []string {
	newAt, oldAt := obj.(*cnat.At), old.(*cnat.At)
	if newAt.Spec.Schedule.Equal(&oldAt.Spec.Schedule) {
		return nil
	}
	return validation.ScheduleWarnings(newAt, s.now())
}

// atStatusStrategy is the behaviour of writes to ats/status: they change the status and nothing else, like
// the status subresource of a custom resource.
type atStatusStrategy struct {
	atStrategy
}

// NewStatusStrategy returns the strategy of the ats/status subresource.
func NewStatusStrategy(strategy atStrategy) atStatusStrategy {
	return atStatusStrategy{strategy}
}

// GetResetFields keeps server-side apply of the status from owning the spec or the metadata it cannot change.
func (atStatusStrategy) GetResetFields() map[fieldpath.APIVersion]*fieldpath.Set {
	return resetFields(
		fieldpath.MakePathOrDie("spec"),
		fieldpath.MakePathOrDie("metadata", "labels"),
		fieldpath.MakePathOrDie("metadata", "annotations"),
		fieldpath.MakePathOrDie("metadata", "finalizers"),
		fieldpath.MakePathOrDie("metadata", "ownerReferences"),
	)
}

// PrepareForUpdate takes the status from the request and everything else from the stored object.
func (atStatusStrategy) PrepareForUpdate(ctx context.Context, obj, old runtime.Object) {
	newAt, oldAt := obj.(*cnat.At), old.(*cnat.At)
	status, managedFields := newAt.Status, newAt.ManagedFields
	*newAt = *oldAt.DeepCopy()
	newAt.Status = status
	// managedFields record who owns which status fields after this write.
	newAt.ManagedFields = managedFields
}

func (atStatusStrategy) ValidateUpdate(ctx context.Context, obj, old runtime.Object) field.ErrorList {
	return validation.ValidateAtStatusUpdate(obj.(*cnat.At), old.(*cnat.At))
}

// GetAttrs returns the labels and the selectable fields of an At.
func GetAttrs(obj runtime.Object) (labels.Set, fields.Set, error) {
	at, ok := obj.(*cnat.At)
	if !ok {
		return nil, nil, fmt.Errorf("not an At: %T", obj)
	}
	return at.Labels, cnat.SelectableFields(at), nil
}

// Match selects Ats by label and field.
func Match(label labels.Selector, field fields.Selector) storage.SelectionPredicate {
	return storage.SelectionPredicate{
		Label:    label,
		Field:    field,
		GetAttrs: GetAttrs,
	}
}
