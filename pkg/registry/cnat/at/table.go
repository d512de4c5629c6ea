package at

import (
	"context"
	"fmt"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/duration"

	"github.com/programming-kubernetes/cnat/pkg/apis/cnat"
)

// tableConvertor renders Ats for kubectl get: NAME, SCHEDULE, PHASE, AGE, and with -o wide (priority 1)
// COMMAND, IMAGE, POD.
type tableConvertor struct{}

var swaggerMetadataDescriptions = metav1.ObjectMeta{}.SwaggerDoc()

var columns = []metav1.TableColumnDefinition{
	{Name: "Name", Type: "string", Format: "name", Description: swaggerMetadataDescriptions["name"]},
	{Name: "Schedule", Type: "string", Format: "date-time", Description: "When the command is due."},
	{Name: "Phase", Type: "string", Description: "Pending, Running, Succeeded or Failed."},
	{Name: "Age", Type: "string", Description: swaggerMetadataDescriptions["creationTimestamp"]},
	{Name: "Command", Type: "string", Priority: 1, Description: "The command, as a shell command line."},
	{Name: "Image", Type: "string", Priority: 1, Description: "The image the command runs in."},
	{Name: "Pod", Type: "string", Priority: 1, Description: "The Pod that runs the command."},
}

func (tableConvertor) ConvertToTable(ctx context.Context, object runtime.Object, tableOptions runtime.Object) (*metav1.Table, error) {
	table := &metav1.Table{}
	if opts, ok := tableOptions.(*metav1.TableOptions); !ok || !opts.NoHeaders {
		table.ColumnDefinitions = columns
	}
	switch obj := object.(type) {
	case *cnat.At:
		table.Rows = []metav1.TableRow{row(obj)}
	case *cnat.AtList:
		table.Rows = make([]metav1.TableRow, 0, len(obj.Items))
		for i := range obj.Items {
			table.Rows = append(table.Rows, row(&obj.Items[i]))
		}
	default:
		return nil, fmt.Errorf("cannot show %T as a table of Ats", object)
	}
	if list, err := meta.ListAccessor(object); err == nil {
		table.ResourceVersion = list.GetResourceVersion()
		table.Continue = list.GetContinue()
		table.RemainingItemCount = list.GetRemainingItemCount()
	} else if obj, err := meta.Accessor(object); err == nil {
		table.ResourceVersion = obj.GetResourceVersion()
	}
	return table, nil
}

func row(at *cnat.At) metav1.TableRow {
	schedule := ""
	if !at.Spec.Schedule.IsZero() {
		schedule = at.Spec.Schedule.UTC().Format(time.RFC3339)
	}
	command, isShell := cnat.ShellCommandLine(at.Spec.Command)
	if !isShell {
		command = cnat.QuoteCommandLine(at.Spec.Command)
	}
	return metav1.TableRow{
		Object: runtime.RawExtension{Object: at},
		Cells: []interface{}{
			at.Name, schedule, string(at.Status.Phase), age(at.CreationTimestamp),
			command, at.Spec.Image, at.Status.PodName,
		},
	}
}

func age(created metav1.Time) string {
	if created.IsZero() {
		return "<unknown>"
	}
	return duration.HumanDuration(time.Since(created.Time))
}
