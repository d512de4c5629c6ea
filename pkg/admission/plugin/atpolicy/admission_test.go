package atpolicy

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/apiserver/pkg/admission"
	"k8s.io/apiserver/pkg/authentication/user"

	"github.com/programming-kubernetes/cnat/pkg/admission/cnatinitializer"
	atpolicyapi "github.com/programming-kubernetes/cnat/pkg/admission/plugin/atpolicy/apis/atpolicy"
	"github.com/programming-kubernetes/cnat/pkg/admission/plugin/atpolicy/atpolicytesting"
	"github.com/programming-kubernetes/cnat/pkg/apis/cnat"
	"github.com/programming-kubernetes/cnat/pkg/apis/cnat/v1beta1"
	informers "github.com/programming-kubernetes/cnat/pkg/generated/informers/externalversions"
	listers "github.com/programming-kubernetes/cnat/pkg/generated/listers/cnat/v1beta1"
)

func wantAllowed(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("refused: %v", err)
	}
}

func TestDefaultImageReplacesTheAPIDefaultOnCreate(t *testing.T) {
	p, _, _ := newPlugin(t, atpolicyapi.AtPolicyConfiguration{DefaultImage: "registry.example/tools/busybox:1.36"})

	// Without an image, decoding gave the At the API default; the default written out cannot be told apart.
	at := newAt("team-a", "no-image", cnat.DefaultImage)
	wantAllowed(t, admit(p, createOf(at)))
	if at.Spec.Image != "registry.example/tools/busybox:1.36" {
		t.Errorf("image %q, want defaultImage", at.Spec.Image)
	}

	at = newAt("team-a", "own-image", "alpine:3.20")
	wantAllowed(t, admit(p, createOf(at)))
	if at.Spec.Image != "alpine:3.20" {
		t.Errorf("image %q: an image the user chose must be kept", at.Spec.Image)
	}

	// An update keeps what it is given: defaulting is for new Ats.
	old := newAt("team-a", "updated", "alpine:3.20")
	at = newAt("team-a", "updated", cnat.DefaultImage)
	wantAllowed(t, admit(p, updateOf(at, old)))
	if at.Spec.Image != cnat.DefaultImage {
		t.Errorf("update: image %q, want it left alone", at.Spec.Image)
	}
}

func TestNoDefaultImageKeepsTheAPIDefault(t *testing.T) {
	p, _, _ := newPlugin(t, atpolicyapi.AtPolicyConfiguration{})
	at := newAt("team-a", "no-image", cnat.DefaultImage)
	wantAllowed(t, admit(p, createOf(at)))
	if at.Spec.Image != cnat.DefaultImage {
		t.Errorf("image %q, want the API default", at.Spec.Image)
	}
}

func TestAllowedImagePrefixesOnCreate(t *testing.T) {
	p, _, _ := newPlugin(t, atpolicyapi.AtPolicyConfiguration{AllowedImagePrefixes: []string{"registry.example/tools/", "alpine:"}})
	wantAllowed(t, admit(p, createOf(newAt("team-a", "tools", "registry.example/tools/curl:8"))))
	wantAllowed(t, admit(p, createOf(newAt("team-a", "alpine", "alpine:3.20"))))

	err := admit(p, createOf(newAt("team-a", "elsewhere", "quay.io/someone/tool:1")))
	atpolicytesting.WantForbidden(t, err, `AtPolicy allowedImagePrefixes`, `"quay.io/someone/tool:1"`, `"registry.example/tools/", "alpine:"`)

	// Without defaultImage, an At without an image gets the API default: the message says where it came from.
	err = admit(p, createOf(newAt("team-a", "no-image", cnat.DefaultImage)))
	atpolicytesting.WantForbidden(t, err, `AtPolicy allowedImagePrefixes`, "API default for an At without spec.image")
}

func TestDefaultImageIsCheckedAgainstThePrefixes(t *testing.T) {
	p, _, _ := newPlugin(t, atpolicyapi.AtPolicyConfiguration{
		DefaultImage:         "registry.example/tools/busybox:1.36",
		AllowedImagePrefixes: []string{"registry.example/tools/"},
	})
	wantAllowed(t, admit(p, createOf(newAt("team-a", "no-image", cnat.DefaultImage))))
}

// TestUpdatesAreCheckedOnlyForWhatTheyChange: a policy tightened after an At was created does not block
// updates that leave its image and schedule alone, but applies to a new image or schedule.
func TestUpdatesAreCheckedOnlyForWhatTheyChange(t *testing.T) {
	p, _, _ := newPlugin(t, atpolicyapi.AtPolicyConfiguration{
		AllowedImagePrefixes: []string{"alpine:"},
		MaxScheduleAhead:     metav1.Duration{Duration: 24 * time.Hour},
	})
	old := newAt("team-a", "legacy", "quay.io/someone/tool:1")
	old.Spec.Schedule = metav1.NewTime(now.Add(30 * 24 * time.Hour))

	relabelled := old.DeepCopy()
	relabelled.Labels = map[string]string{"team": "a"}
	wantAllowed(t, admit(p, updateOf(relabelled, old)))

	newImage := old.DeepCopy()
	newImage.Spec.Image = "quay.io/someone/tool:2"
	atpolicytesting.WantForbidden(t, admit(p, updateOf(newImage, old)), "AtPolicy allowedImagePrefixes")
	newImage.Spec.Image = "alpine:3.20"
	wantAllowed(t, admit(p, updateOf(newImage, old)))

	newSchedule := old.DeepCopy()
	newSchedule.Spec.Schedule = metav1.NewTime(now.Add(31 * 24 * time.Hour))
	atpolicytesting.WantForbidden(t, admit(p, updateOf(newSchedule, old)), "AtPolicy maxScheduleAhead", "24h0m0s")
	newSchedule.Spec.Schedule = metav1.NewTime(now.Add(time.Hour))
	wantAllowed(t, admit(p, updateOf(newSchedule, old)))
}

func TestMaxScheduleAhead(t *testing.T) {
	p, _, _ := newPlugin(t, atpolicyapi.AtPolicyConfiguration{MaxScheduleAhead: metav1.Duration{Duration: 720 * time.Hour}})
	for name, schedule := range map[string]time.Time{
		"soon":             now.Add(time.Minute),
		"exactly at limit": now.Add(720 * time.Hour),
		"in the past":      now.Add(-time.Hour), // allowed: the API warns, the At runs at once
	} {
		at := newAt("team-a", "at", "alpine:3.20")
		at.Spec.Schedule = metav1.NewTime(schedule)
		if err := admit(p, createOf(at)); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	at := newAt("team-a", "at", "alpine:3.20")
	at.Spec.Schedule = metav1.NewTime(now.Add(720*time.Hour + time.Second))
	atpolicytesting.WantForbidden(t, admit(p, createOf(at)), "AtPolicy maxScheduleAhead", "720h0m0s", "2026-05-31T12:00:01Z",
		"latest allowed now: 2026-05-31T12:00:00Z")
}

func TestMaxUnfinishedPerNamespace(t *testing.T) {
	p, _, _ := newPlugin(t, atpolicyapi.AtPolicyConfiguration{MaxUnfinishedPerNamespace: 2},
		storedAt("team-a", "pending", v1beta1.AtPending),
		storedAt("team-a", "running", v1beta1.AtRunning),
		storedAt("team-a", "succeeded", v1beta1.AtSucceeded),
		storedAt("team-a", "failed", v1beta1.AtFailed),
		storedAt("team-b", "pending", v1beta1.AtPending),
	)
	atpolicytesting.WantForbidden(t, admit(p, createOf(newAt("team-a", "third", "alpine:3.20"))),
		"AtPolicy maxUnfinishedPerNamespace", `namespace "team-a" already holds 2 unfinished`, "the limit is 2")
	// Succeeded and Failed Ats do not count, nor do other namespaces' Ats.
	wantAllowed(t, admit(p, createOf(newAt("team-b", "second", "alpine:3.20"))))
	// The limit is on creating: an At already there may still be changed.
	old := newAt("team-a", "pending", "alpine:3.20")
	changed := old.DeepCopy()
	changed.Spec.Command = []string{"echo", "changed"}
	wantAllowed(t, admit(p, updateOf(changed, old)))
}

// TestAFinishingAtFreesItsPlace: once the informer sees an At of a namespace at its limit move to Succeeded,
// a new create there is allowed.
func TestAFinishingAtFreesItsPlace(t *testing.T) {
	running := storedAt("team-a", "running", v1beta1.AtRunning)
	p, client, _ := newPlugin(t, atpolicyapi.AtPolicyConfiguration{MaxUnfinishedPerNamespace: 1}, running)
	create := createOf(newAt("team-a", "next", "alpine:3.20"))
	atpolicytesting.WantForbidden(t, admit(p, create), "AtPolicy maxUnfinishedPerNamespace", "the limit is 1")

	succeeded := running.DeepCopy()
	succeeded.Status.Phase = v1beta1.AtSucceeded
	if _, err := client.CnatV1beta1().Ats("team-a").UpdateStatus(context.Background(), succeeded, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	err := wait.PollUntilContextTimeout(context.Background(), 10*time.Millisecond, 10*time.Second, true,
		func(context.Context) (bool, error) { return admit(p, create) == nil, nil })
	if err != nil {
		t.Fatalf("create still refused after the At finished: %v", admit(p, create))
	}
}

func TestNoLimitAllowsAnyNumber(t *testing.T) {
	p, _, _ := newPlugin(t, atpolicyapi.AtPolicyConfiguration{},
		storedAt("team-a", "one", v1beta1.AtPending), storedAt("team-a", "two", v1beta1.AtPending))
	wantAllowed(t, admit(p, createOf(newAt("team-a", "three", "alpine:3.20"))))
}

// TestCountingWaitsForTheCache: a create that arrives before the informer has synced is answered once it
// has, from the synced cache (an unsynced, empty cache would have let it through).
func TestCountingWaitsForTheCache(t *testing.T) {
	client := newClientset(storedAt("team-a", "pending", v1beta1.AtPending))
	factory := informers.NewSharedInformerFactory(client, 0)
	p := New(&atpolicyapi.AtPolicyConfiguration{MaxUnfinishedPerNamespace: 1})
	cnatinitializer.New(factory).Initialize(p)

	answer := make(chan error, 1)
	go func() { answer <- admit(p, createOf(newAt("team-a", "next", "alpine:3.20"))) }()
	select {
	case err := <-answer:
		t.Fatalf("answered before the informers started: %v", err)
	case <-time.After(200 * time.Millisecond):
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer func() { cancel(); factory.Shutdown() }()
	factory.Start(ctx.Done())
	select {
	case err := <-answer:
		atpolicytesting.WantForbidden(t, err, "AtPolicy maxUnfinishedPerNamespace")
	case <-time.After(10 * time.Second):
		t.Fatal("no answer after the informers started")
	}
}

func TestListerErrorsRefuseTheCreate(t *testing.T) {
	p, _, _ := newPlugin(t, atpolicyapi.AtPolicyConfiguration{MaxUnfinishedPerNamespace: 1})
	create := createOf(newAt("team-a", "next", "alpine:3.20"))

	p.lister = failingLister{errors.New("index is broken")}
	err := admit(p, create)
	if !apierrors.IsInternalError(err) || !strings.Contains(err.Error(), "index is broken") {
		t.Errorf("got %v, want an internal error: an uncounted create must not pass", err)
	}

	p.lister = failingLister{apierrors.NewNotFound(cnat.Resource("ats"), "")}
	wantAllowed(t, admit(p, create)) // nothing there: nothing to count
}

func TestOnlyTheAtsResourceIsPoliced(t *testing.T) {
	p, _, _ := newPlugin(t, atpolicyapi.AtPolicyConfiguration{
		DefaultImage:              "alpine:3.20",
		AllowedImagePrefixes:      []string{"alpine:"},
		MaxUnfinishedPerNamespace: 1,
		MaxScheduleAhead:          metav1.Duration{Duration: time.Hour},
	}, storedAt("team-a", "pending", v1beta1.AtPending))

	// ats/status belongs to the controller, and ignores the spec it is sent (the status strategy keeps the
	// stored one): a spec the rules would refuse must not make a status write fail.
	old := newAt("team-a", "pending", "alpine:3.20")
	at := old.DeepCopy()
	at.Spec.Image = "quay.io/someone/tool:1"
	at.Spec.Schedule = metav1.NewTime(now.Add(1000 * time.Hour))
	at.Status.Phase = cnat.AtRunning
	status := admission.NewAttributesRecord(at, old, atKind, "team-a", "pending", atResource, "status",
		admission.Update, &metav1.UpdateOptions{}, false, &user.DefaultInfo{Name: "controller"})
	wantAllowed(t, admit(p, status))

	// Another resource is not ours, whatever its object.
	other := admission.NewAttributesRecord(newAt("team-a", "x", cnat.DefaultImage), nil, atKind, "team-a", "x",
		schema.GroupVersionResource{Group: "other.example", Version: "v1", Resource: "ats"}, "", admission.Create,
		&metav1.CreateOptions{}, false, &user.DefaultInfo{Name: "jane"})
	wantAllowed(t, admit(p, other))
	if image := other.GetObject().(*cnat.At).Spec.Image; image != cnat.DefaultImage {
		t.Errorf("another resource's object was mutated: image %q", image)
	}

	// Deletes are not handled at all.
	if p.Handles(admission.Delete) || p.Handles(admission.Connect) {
		t.Error("the plugin must handle only create and update")
	}
}

func TestAnObjectThatIsNotAnAtIsABadRequest(t *testing.T) {
	p, _, _ := newPlugin(t, atpolicyapi.AtPolicyConfiguration{})
	a := admission.NewAttributesRecord(&metav1.Status{}, nil, atKind, "team-a", "x", atResource, "",
		admission.Create, &metav1.CreateOptions{}, false, &user.DefaultInfo{Name: "jane"})
	if err := p.Validate(context.Background(), a, nil); !apierrors.IsBadRequest(err) {
		t.Errorf("got %v, want 400", err)
	}
}

// TestOnlyTheLimitRuleCachesAts: the informer (a cache of every At) is requested only when the limit
// needs it, and then the plugin cannot run without it.
func TestOnlyTheLimitRuleCachesAts(t *testing.T) {
	factory := informers.NewSharedInformerFactory(newClientset(), 0)
	p := New(&atpolicyapi.AtPolicyConfiguration{AllowedImagePrefixes: []string{"alpine:"}})
	cnatinitializer.New(factory).Initialize(p)
	if err := p.ValidateInitialization(); err != nil {
		t.Error(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer func() { cancel(); factory.Shutdown() }()
	factory.Start(ctx.Done())
	if synced := factory.WaitForCacheSync(ctx.Done()); len(synced) != 0 {
		t.Errorf("informers started without a limit: %v", synced)
	}

	limited := New(&atpolicyapi.AtPolicyConfiguration{MaxUnfinishedPerNamespace: 3})
	if err := limited.ValidateInitialization(); err == nil || !strings.Contains(err.Error(), "maxUnfinishedPerNamespace") {
		t.Errorf("got %v, want an error: the limit cannot be counted without the informer factory", err)
	}
	cnatinitializer.New(factory).Initialize(limited)
	if err := limited.ValidateInitialization(); err != nil {
		t.Error(err)
	}
}

func TestRegisteredPluginReadsItsConfiguration(t *testing.T) {
	plugins := admission.NewPlugins()
	Register(plugins)
	plugin, err := plugins.InitPlugin(PluginName, strings.NewReader(header+"maxUnfinishedPerNamespace: -3\n"),
		admission.PluginInitializers{})
	if err == nil || !strings.Contains(err.Error(), "maxUnfinishedPerNamespace") {
		t.Errorf("got %v, %v: want the bad field named", plugin, err)
	}
	plugin, err = plugins.InitPlugin(PluginName, nil, admission.PluginInitializers{})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := plugin.(*Plugin); !ok {
		t.Errorf("got %T", plugin)
	}
}

// failingLister answers every list with err.
type failingLister struct{ err error }

func (l failingLister) List(labels.Selector) ([]*v1beta1.At, error) { return nil, l.err }
func (l failingLister) Ats(string) listers.AtNamespaceLister        { return l }
func (l failingLister) Get(string) (*v1beta1.At, error)             { return nil, l.err }
