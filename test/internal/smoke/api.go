package smoke

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"strings"
	"testing"
	"time"
)

func apiServicesAvailable(t *testing.T, k Kubectl) {
	for _, version := range []string{alpha, beta, stable} {
		name := version + "." + group
		status := k.Run(t, "", "get", "apiservice", name, "-o", `jsonpath={.status.conditions[?(@.type=="Available")].status}`)
		if status != "True" {
			t.Errorf("APIService %s Available=%q", name, status)
		}
	}
}

func discovery(t *testing.T, k Kubectl) {
	names := k.Run(t, "", "api-resources", "--api-group", group, "-o", "name")
	if !strings.Contains(names, "ats."+group) {
		t.Errorf("kubectl api-resources --api-group %s: %q", group, names)
	}
	for _, version := range []string{alpha, beta, stable} {
		var list struct {
			GroupVersion string
			Resources    []struct{ Name, Kind string }
		}
		raw := k.Run(t, "", "get", "--raw", "/apis/"+group+"/"+version)
		if err := json.Unmarshal([]byte(raw), &list); err != nil {
			t.Fatalf("discovery of %s: %v\n%s", version, err, raw)
		}
		var got []string
		for _, r := range list.Resources {
			got = append(got, r.Name)
		}
		if list.GroupVersion != group+"/"+version || strings.Join(got, ",") != "ats,ats/status" {
			t.Errorf("discovery of %s: %s with %v, want ats and ats/status", version, list.GroupVersion, got)
		}
	}
	if out := k.Run(t, "", "explain", "ats.spec.schedule"); !strings.Contains(out, "schedule") {
		t.Errorf("kubectl explain ats.spec.schedule: %s", out)
	}
}

// api is every verb and patch kind on an At in one version: create, get, list, watch, merge, JSON and
// strategic merge patch, server-side apply, the status subresource, delete.
func api(t *testing.T, k Kubectl, version string) {
	ns := namespace(t, k)
	res := resource(version)

	// The watch starts first: it must see the At's whole life, ADDED to DELETED.
	events := watch(t, k, ns, res)

	k.Run(t, at(version, "smoke", farFuture, "{smoke: created}"), "create", "-n", ns, "-f", "-")
	if got := k.Run(t, "", "get", res, "smoke", "-n", ns, "-o", "jsonpath={.spec.schedule}"); got != farFuture {
		t.Errorf("get: schedule %q, want %q", got, farFuture)
	}
	if got := k.Run(t, "", "get", res, "-n", ns, "-o", "name"); strings.TrimSpace(got) != "at."+group+"/smoke" {
		t.Errorf("list: %q", got)
	}

	patches := []struct{ kind, patch, label string }{
		{"merge", `{"metadata":{"labels":{"merge":"yes"}}}`, "merge"},
		{"json", `[{"op":"add","path":"/metadata/labels/json","value":"yes"}]`, "json"},
		{"strategic", `{"metadata":{"labels":{"strategic":"yes"}}}`, "strategic"},
	}
	for _, p := range patches {
		k.Run(t, "", "patch", res, "smoke", "-n", ns, "--type", p.kind, "-p", p.patch)
	}
	k.Run(t, at(version, "smoke", farFuture, "{smoke: applied}"), "apply", "--server-side", "--field-manager", "smoke",
		"--force-conflicts", "-n", ns, "-f", "-")
	labels := k.Run(t, "", "get", res, "smoke", "-n", ns, "-o", "jsonpath={.metadata.labels}")
	for _, want := range []string{`"merge":"yes"`, `"json":"yes"`, `"strategic":"yes"`, `"smoke":"applied"`} {
		if !strings.Contains(labels, want) {
			t.Errorf("after the patches and the apply, labels %s lack %s", labels, want)
		}
	}
	managers := k.Run(t, "", "get", res, "smoke", "-n", ns, "--show-managed-fields", "-o", "jsonpath={.metadata.managedFields[*].manager}")
	if !strings.Contains(managers, "smoke") {
		t.Errorf("server-side apply: field managers %q lack smoke", managers)
	}

	status(t, k, ns, res, version)

	k.Run(t, "", "delete", res, "smoke", "-n", ns)
	if out, err := k.Try("", "get", res, "smoke", "-n", ns); err == nil || !strings.Contains(out, "NotFound") {
		t.Errorf("get after delete: %v %s", err, out)
	}
	events.expect(t, "ADDED smoke", "MODIFIED smoke", "DELETED smoke")
}

// status writes the status subresource where the version has a field of its own to write (the conditions
// of v1 and v1beta1), and reads it in every version.
func status(t *testing.T, k Kubectl, ns, res, version string) {
	if version != alpha {
		condition := `{"status":{"conditions":[{"type":"Smoke","status":"True","reason":"Smoke","message":"written by the smoke",` +
			`"lastTransitionTime":"2026-01-01T00:00:00Z"}]}}`
		got := k.Run(t, "", "patch", res, "smoke", "-n", ns, "--subresource", "status", "--type", "merge", "-p", condition,
			"-o", `jsonpath={.status.conditions[?(@.type=="Smoke")].message}`)
		if got != "written by the smoke" {
			t.Errorf("status patch: condition message %q", got)
		}
		// A status write through the main resource is ignored: the status subresource owns it.
		k.Run(t, "", "patch", res, "smoke", "-n", ns, "--type", "merge", "-p", `{"status":{"podName":"not-through-the-main-resource"}}`)
		if got := k.Run(t, "", "get", res, "smoke", "-n", ns, "-o", "jsonpath={.status.podName}"); got != "" {
			t.Errorf("a status field written through the main resource was stored: podName %q", got)
		}
	}
	out := k.Run(t, "", "get", res, "smoke", "-n", ns, "--subresource", "status", "-o", "json")
	var obj struct{ Status map[string]any }
	if err := json.Unmarshal([]byte(out), &obj); err != nil || obj.Status == nil {
		t.Errorf("get --subresource status: %v\n%s", err, out)
	}
}

// watchEvents are the events of a kubectl get --watch, "TYPE name" each.
type watchEvents struct {
	lines  chan string
	cancel context.CancelFunc
}

func watch(t *testing.T, k Kubectl, ns, res string) *watchEvents {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	cmd := k.command(ctx, "", "get", res, "-n", ns, "--watch-only", "--output-watch-events", "-o",
		`jsonpath={.type} {.object.metadata.name}{"\n"}`)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	w := &watchEvents{lines: make(chan string, 100), cancel: cancel}
	go func() {
		scanner := bufio.NewScanner(stdout)
		for scanner.Scan() {
			w.lines <- scanner.Text()
		}
		_, _ = io.Copy(io.Discard, stdout)
		close(w.lines)
	}()
	t.Cleanup(func() {
		cancel()
		_ = cmd.Wait()
	})
	// kubectl has opened its watch once the server saw it; nothing the test does can tell, so give it
	// time before the first write (an event before the watch starts is simply not seen: the test fails).
	time.Sleep(2 * time.Second)
	return w
}

// expect waits for the events in order (others between them are allowed: MODIFIED for each patch).
func (w *watchEvents) expect(t *testing.T, want ...string) {
	t.Helper()
	deadline := time.After(30 * time.Second)
	var seen []string
	for len(want) > 0 {
		select {
		case line, ok := <-w.lines:
			if !ok {
				t.Fatalf("kubectl get --watch ended; saw %v, still waiting for %v", seen, want)
			}
			seen = append(seen, line)
			if line == want[0] {
				want = want[1:]
			}
		case <-deadline:
			t.Fatalf("watch: saw %v, still waiting for %v", seen, want)
		}
	}
	w.cancel()
}

func versionAndAuth(t *testing.T, c Cluster) {
	k := c.Kubectl
	var v struct {
		ClientVersion struct{ GitVersion string }
		ServerVersion struct{ GitVersion string }
	}
	out := k.Run(t, "", "version", "-o", "json")
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		t.Fatalf("kubectl version: %v\n%s", err, out)
	}
	if c.Minor != "" && !strings.HasPrefix(v.ServerVersion.GitVersion, "v"+c.Minor+".") {
		t.Errorf("kubectl version: server %s, want Kubernetes %s", v.ServerVersion.GitVersion, c.Minor)
	}
	t.Logf("kubectl %s against kube-apiserver %s", v.ClientVersion.GitVersion, v.ServerVersion.GitVersion)
	for _, verb := range []string{"create", "list", "watch", "delete"} {
		if got := strings.TrimSpace(k.Run(t, "", "auth", "can-i", verb, "ats."+group)); got != "yes" {
			t.Errorf("kubectl auth can-i %s ats: %q", verb, got)
		}
	}
	if out, _ := k.Try("", "auth", "can-i", "create", "ats."+group, "--as", "nobody"); strings.TrimSpace(out) != "no" {
		t.Errorf("kubectl auth can-i create ats --as nobody: %q", out)
	}
	list := k.Run(t, "", "get", "--raw", "/apis/"+group+"/"+beta+"/namespaces/default/ats?limit=1")
	if !strings.Contains(list, `"kind":"AtList"`) {
		t.Errorf("a raw list through the aggregator: %s", list)
	}
}
