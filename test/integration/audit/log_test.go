package audit

import (
	"path/filepath"
	"testing"
	"time"

	auditv1 "k8s.io/apiserver/pkg/apis/audit/v1"

	"github.com/programming-kubernetes/cnat/test/integration/framework"
	"github.com/programming-kubernetes/cnat/test/internal/auditevents"
)

// TestAuditLog: with --audit-policy-file and --audit-log-path, cnat-apiserver writes one JSON line, an
// audit.k8s.io/v1 Event, for each write of an At, naming the user who made it, the verb, and the At.
func TestAuditLog(t *testing.T) {
	dir := t.TempDir()
	logPath := filepath.Join(dir, "audit.log")
	s := framework.StartT(t, filepath.Join(dir, "data"), "--audit-policy-file="+policyFile(), "--audit-log-path="+logPath)
	namespace, name := runWorkload(t, s)

	// The log backend writes each event before the response goes out: no waiting needed. Read again a few
	// times all the same, so that a failure shows the missing events rather than a race.
	var events []auditv1.Event
	var missing []auditevents.Write
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		var err error
		if events, err = auditevents.ReadLog(logPath); err != nil {
			t.Fatal(err)
		}
		if missing = auditevents.MissingWrites(events, workloadWrites, writer, namespace, name); len(missing) == 0 || time.Now().After(deadline) {
			break
		}
	}
	if len(missing) > 0 {
		t.Fatalf("the audit log lacks the writes %v of %s/%s by %s; it has %v", missing, namespace, name, writer,
			auditevents.Users(events, namespace, name))
	}
	checkOnlyWhatThePolicySays(t, events, namespace, name)
}
