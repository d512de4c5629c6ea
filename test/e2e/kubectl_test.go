package e2e

import (
	"bufio"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/programming-kubernetes/cnat/pkg/apis/cnat"
)

const bookAt = `apiVersion: cnat.programming-kubernetes.info/v1alpha1
kind: At
metadata:
  name: example-at
spec:
  schedule: "2099-04-12T10:12:00Z"
  command: "echo YAY"
`

// TestKubectl walks through what users do with kubectl against the aggregated group.
func TestKubectl(t *testing.T) {
	ns := namespace(t)
	out, err := kubectlErr(bookAt, "create", "-n", ns, "-f", "-")
	if err != nil || !strings.Contains(out, "at.cnat.programming-kubernetes.info/example-at created") {
		t.Fatalf("create: %v\n%s", err, out)
	}
	if !strings.Contains(out, "v1alpha1 At is deprecated") {
		t.Errorf("no deprecation warning on create in v1alpha1: %s", out)
	}

	beta := getJSON(t, "-n", ns, betaR, "example-at")
	if cmd := field(beta, "spec", "command").([]any); len(cmd) != 3 || cmd[2] != "echo YAY" || field(beta, "spec", "image") != cnat.DefaultImage {
		t.Errorf("v1beta1: %v", beta["spec"])
	}
	alpha := getJSON(t, "-n", ns, alphaR, "example-at")
	if field(alpha, "spec", "command") != "echo YAY" || field(alpha, "status", "phase") != "PENDING" {
		t.Errorf("v1alpha1: %v %v", alpha["spec"], alpha["status"])
	}

	wide := kubectl(t, "", "get", "ats", "-n", ns, "-o", "wide")
	if header := strings.Fields(strings.SplitN(wide, "\n", 2)[0]); !slices.Equal(header, []string{"NAME", "SCHEDULE", "PHASE", "AGE", "COMMAND", "IMAGE", "POD"}) {
		t.Errorf("get -o wide header %q", header)
	}
	if !strings.Contains(wide, "2099-04-12T10:12:00Z") || !strings.Contains(wide, "echo YAY") {
		t.Errorf("get -o wide:\n%s", wide)
	}

	describe := kubectl(t, "", "describe", "at", "example-at", "-n", ns)
	for _, want := range []string{"Name:         example-at", "Kind:         At", "Image:     " + cnat.DefaultImage, "Phase:  Pending"} {
		if !strings.Contains(describe, want) {
			t.Errorf("describe lacks %q:\n%s", want, describe)
		}
	}

	for version, want := range map[string]string{"v1beta1": "command\t<[]string> -required-", "v1alpha1": "command\t<string>"} {
		explain := kubectl(t, "", "explain", "ats.spec", "--api-version", group+"/"+version)
		if !strings.Contains(explain, want) || !strings.Contains(explain, "schedule") {
			t.Errorf("explain ats.spec in %s lacks %q:\n%s", version, want, explain)
		}
	}

	// Watch through the aggregator, from before the changes below.
	watch := kubectlCmd("", "get", "ats", "-n", ns, "--watch", "--output-watch-events", "--no-headers")
	stdout, err := watch.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := watch.Start(); err != nil {
		t.Fatal(err)
	}
	defer watch.Process.Kill()
	events := make(chan string, 100)
	go func() {
		scanner := bufio.NewScanner(stdout)
		for scanner.Scan() {
			events <- scanner.Text()
		}
		close(events)
	}()
	expectEvent(t, events, "ADDED", "example-at")

	// Server-side apply in v1beta1 takes over the image.
	kubectl(t, `apiVersion: cnat.programming-kubernetes.info/v1beta1
kind: At
metadata:
  name: example-at
spec:
  image: busybox:1.36
`, "apply", "--server-side", "--force-conflicts", "--field-manager", "platform", "-n", ns, "-f", "-")
	if image := kubectl(t, "", "get", betaR, "example-at", "-n", ns, "-o", "jsonpath={.spec.image}"); image != "busybox:1.36" {
		t.Errorf("after server-side apply: image %q", image)
	}
	expectEvent(t, events, "MODIFIED", "example-at")

	// The three patch types.
	kubectl(t, "", "patch", "at", "example-at", "-n", ns, "--type", "strategic", "-p", `{"metadata":{"labels":{"team":"a"}}}`)
	kubectl(t, "", "patch", "at", "example-at", "-n", ns, "--type", "merge", "-p", `{"spec":{"schedule":"2099-05-01T00:00:00Z"}}`)
	kubectl(t, "", "patch", "at", "example-at", "-n", ns, "--type", "json", "-p", `[{"op":"replace","path":"/spec/command/2","value":"echo patched"}]`)
	got := getJSON(t, "-n", ns, betaR, "example-at")
	if field(got, "metadata", "labels", "team") != "a" || field(got, "spec", "schedule") != "2099-05-01T00:00:00Z" ||
		field(got, "spec", "command").([]any)[2] != "echo patched" || field(got, "metadata", "generation") != float64(4) {
		t.Errorf("after patches: %v %v", got["metadata"], got["spec"])
	}

	// kubectl edit with a scripted editor.
	editor := filepath.Join(t.TempDir(), "editor.sh")
	if err := os.WriteFile(editor, []byte("#!/bin/sh\nsed -i 's/echo patched/echo edited/' \"$1\"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	edit := kubectlCmd("", "edit", "at", "example-at", "-n", ns)
	edit.Env = append(edit.Env, "KUBE_EDITOR="+editor)
	if out, err := edit.CombinedOutput(); err != nil || !strings.Contains(string(out), "edited") {
		t.Fatalf("edit: %v\n%s", err, out)
	}
	if cmd := kubectl(t, "", "get", "at", "example-at", "-n", ns, "-o", "jsonpath={.spec.command[2]}"); cmd != "echo edited" {
		t.Errorf("after edit: command %q", cmd)
	}

	// wait, and a field selector on the phase in each version's spelling.
	kubectl(t, "", "wait", "at/example-at", "-n", ns, "--for=jsonpath={.status.phase}=Pending", "--timeout=30s")
	if names := kubectl(t, "", "get", "ats", "-n", ns, "--field-selector", "status.phase=Pending", "-o", "name"); names != "at.cnat.programming-kubernetes.info/example-at\n" {
		t.Errorf("field selector v1beta1: %q", names)
	}
	if names := kubectl(t, "", "get", alphaR, "-n", ns, "--field-selector", "status.phase=PENDING", "-o", "name"); !strings.Contains(names, "example-at") {
		t.Errorf("field selector v1alpha1: %q", names)
	}
	if names := kubectl(t, "", "get", "ats", "-n", ns, "--field-selector", "status.phase=Running", "-o", "name"); names != "" {
		t.Errorf("field selector Running: %q", names)
	}

	kubectl(t, "", "delete", "at", "example-at", "-n", ns)
	expectEvent(t, events, "DELETED", "example-at")
	if out, err := kubectlErr("", "get", "at", "example-at", "-n", ns); err == nil || !strings.Contains(out, "NotFound") {
		t.Errorf("after delete: %v %s", err, out)
	}
}

// expectEvent waits for a watch line "<EVENT> <name> …", skipping others (the MODIFIED events of the patches
// above).
func expectEvent(t *testing.T, events <-chan string, event, name string) {
	t.Helper()
	timeout := time.After(30 * time.Second)
	for {
		select {
		case line, ok := <-events:
			if !ok {
				t.Fatalf("watch ended before %s %s", event, name)
			}
			if fields := strings.Fields(line); len(fields) > 1 && fields[0] == event && fields[1] == name {
				return
			}
		case <-timeout:
			t.Fatalf("no %s %s from kubectl get --watch within 30s", event, name)
		}
	}
}
