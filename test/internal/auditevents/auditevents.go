// Package auditevents reads the audit events cnat-apiserver writes (audit.k8s.io/v1 Events, one JSON object
// a line in its audit log) and finds the writes of an At among them, as a reviewer of the log would.
package auditevents

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"

	auditv1 "k8s.io/apiserver/pkg/apis/audit/v1"
)

// Write is a write of an At: its verb, and its subresource ("" or "status").
type Write struct {
	Verb, Subresource string
}

// ReadLog decodes every line of an audit log; a line that is no audit.k8s.io/v1 Event is an error.
func ReadLog(path string) ([]auditv1.Event, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var events []auditv1.Event
	lines := bufio.NewScanner(f)
	lines.Buffer(nil, 16<<20)
	for lines.Scan() {
		var e auditv1.Event
		if err := json.Unmarshal(lines.Bytes(), &e); err != nil || e.Kind != "Event" || e.APIVersion != "audit.k8s.io/v1" {
			return nil, fmt.Errorf("%s: a line that is no audit.k8s.io/v1 Event (%v): %s", path, err, lines.Bytes())
		}
		events = append(events, e)
	}
	return events, lines.Err()
}

// MissingWrites lists the writes that events lack: for each, an event at RequestResponse, when the response
// was complete, by user, of the At namespace/name, with the object sent (but for a delete) and the one that
// came back.
func MissingWrites(events []auditv1.Event, writes []Write, user, namespace, name string) []Write {
	var missing []Write
	for _, w := range writes {
		found := false
		for _, e := range events {
			if IsOfAt(e, namespace, name) && e.Verb == w.Verb && e.ObjectRef.Subresource == w.Subresource &&
				e.User.Username == user && e.Level == auditv1.LevelRequestResponse &&
				e.Stage == auditv1.StageResponseComplete && e.ResponseObject != nil &&
				(w.Verb == "delete" || e.RequestObject != nil) {
				found = true
				break
			}
		}
		if !found {
			missing = append(missing, w)
		}
	}
	return missing
}

// IsOfAt tells whether an event is of a request for the At namespace/name or a subresource of it.
func IsOfAt(e auditv1.Event, namespace, name string) bool {
	ref := e.ObjectRef
	return ref != nil && ref.APIGroup == "cnat.programming-kubernetes.info" && ref.Resource == "ats" &&
		ref.Namespace == namespace && ref.Name == name
}

// Users are the users of the events of the At namespace/name, for a failure message.
func Users(events []auditv1.Event, namespace, name string) []string {
	var users []string
	for _, e := range events {
		if IsOfAt(e, namespace, name) {
			users = append(users, e.Verb+"/"+e.ObjectRef.Subresource+" by "+e.User.Username)
		}
	}
	return users
}
