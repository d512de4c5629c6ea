package ledger

import (
	"fmt"
	"io"
	"text/tabwriter"
	"time"
)

// Row is one scenario's line of the reliability table.
type Row struct {
	Scenario string
	Attempts int
	// Acknowledged counts the writes (creates and updates) the server acknowledged; Lost those of them that
	// are not in the server's data at the end.
	Acknowledged int
	Lost         int
	InDoubt      int
	Failed       int
	// FailedInFault counts the failures within the scenario's fault windows (e.g. while etcd had no leader).
	FailedInFault int
	// Anonymous counts requests refused 401/403: a ready server never refuses the admin.
	Anonymous int
	// StartToReady is how long restarted servers took from their start to /readyz 200 (longest); Recover how
	// long after a fault ended writes succeeded again. Zero: does not apply.
	StartToReady time.Duration
	Recover      time.Duration
	// Reload is how long after a certificate or CA changed (on disk, in a ConfigMap) every server used it
	// (longest). Zero: does not apply.
	Reload time.Duration
	// LongestInformerDelay is the longest time any informer took to see an acknowledged create; Relists how
	// often informers had to list again because a watch could not be resumed.
	LongestInformerDelay time.Duration
	Relists              int
}

// NewRow fills a row from a ledger, the Ats found lost and the informers.
func NewRow(scenario string, l *Ledger, lost int, fault string, informers []*Informer) Row {
	total, _ := l.Attempts()
	row := Row{Scenario: scenario, Attempts: total, Acknowledged: l.WritesAcknowledged(), Lost: lost}
	for _, f := range l.Failures() {
		row.Failed++
		if f.Ambiguous() {
			row.InDoubt++
		}
		if f.Anonymous() {
			row.Anonymous++
		}
	}
	if fault != "" {
		row.FailedInFault = l.FailuresIn(fault)
	}
	for _, inf := range informers {
		if d := inf.LongestDelay(l); d > row.LongestInformerDelay {
			row.LongestInformerDelay = d
		}
		row.Relists += inf.Relists()
	}
	return row
}

// PrintTable writes the rows as a table.
func PrintTable(w io.Writer, rows []Row) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "scenario\tattempts\tacknowledged\tlost\tin doubt\tfailed\tfailed %\tfailed in fault\t401/403\tstart→ready s\trecover s\treload s\tinformer gap s\trelists\t")
	for _, r := range rows {
		pct := 0.0
		if r.Attempts > 0 {
			pct = 100 * float64(r.Failed) / float64(r.Attempts)
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%d\t%.2f\t%d\t%d\t%s\t%s\t%s\t%.2f\t%d\t\n", r.Scenario, r.Attempts, r.Acknowledged,
			r.Lost, r.InDoubt, r.Failed, pct, r.FailedInFault, r.Anonymous, seconds(r.StartToReady), seconds(r.Recover), seconds(r.Reload),
			r.LongestInformerDelay.Seconds(), r.Relists)
	}
	_ = tw.Flush()
}

func seconds(d time.Duration) string {
	if d == 0 {
		return "-"
	}
	return fmt.Sprintf("%.2f", d.Seconds())
}
