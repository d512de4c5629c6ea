package audit

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	auditv1 "k8s.io/apiserver/pkg/apis/audit/v1"

	"github.com/programming-kubernetes/cnat/test/integration/framework"
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
	var missing []write
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		events = readLog(t, logPath)
		if missing = missingWrites(events, writer, namespace, name); len(missing) == 0 || time.Now().After(deadline) {
			break
		}
	}
	if len(missing) > 0 {
		t.Fatalf("the audit log lacks the writes %v of %s/%s by %s among its %d events", missing, namespace, name, writer, len(events))
	}
	checkOnlyWhatThePolicySays(t, events, namespace, name)
}

// readLog decodes every line of the audit log as an audit.k8s.io/v1 Event.
func readLog(t *testing.T, path string) []auditv1.Event {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var events []auditv1.Event
	lines := bufio.NewScanner(f)
	lines.Buffer(nil, 16<<20)
	for lines.Scan() {
		var e auditv1.Event
		if err := json.Unmarshal(lines.Bytes(), &e); err != nil || e.Kind != "Event" || e.APIVersion != "audit.k8s.io/v1" {
			t.Fatalf("an audit log line that is no audit.k8s.io/v1 Event (%v): %s", err, lines.Bytes())
		}
		events = append(events, e)
	}
	if err := lines.Err(); err != nil {
		t.Fatal(err)
	}
	return events
}
