package controller

import (
	"context"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/klog/v2"

	"github.com/programming-kubernetes/cnat/pkg/apis/cnat/v1beta1"
)

// Condition types and reasons the controller writes.
const (
	// ConditionStarted is True once the At's Pod exists.
	ConditionStarted = "Started"
	// ConditionComplete is True when the Pod succeeded, False when it failed or disappeared.
	ConditionComplete = "Complete"

	ReasonPodCreated   = "PodCreated"
	ReasonPodAdopted   = "PodAdopted"
	ReasonPodSucceeded = "PodSucceeded"
	ReasonPodFailed    = "PodFailed"
	ReasonPodDeleted   = "PodDeleted"
)

// sync brings one At a step further. It returns how long to wait before the At is due, when it is not yet.
func (c *Controller) sync(ctx context.Context, key string) (time.Duration, error) {
	namespace, name, err := cache.SplitMetaNamespaceKey(key)
	if err != nil {
		return 0, nil // a malformed key never becomes valid
	}
	at, err := c.ats.Ats(namespace).Get(name)
	if apierrors.IsNotFound(err) {
		return 0, nil // deleted: nothing to run
	}
	if err != nil {
		return 0, err
	}
	if c.ownWrites.outdated(at) {
		return 0, nil // the cache has not caught up with our own status write yet; its update requeues the At
	}
	switch at.Status.Phase {
	case v1beta1.AtPending, "":
		return c.syncPending(ctx, at)
	case v1beta1.AtRunning:
		return 0, c.syncRunning(ctx, at)
	default:
		return 0, nil // Succeeded and Failed are final
	}
}

// untilDue is how long until the At is due; zero or less means now.
func untilDue(at *v1beta1.At, now time.Time) time.Duration {
	return at.Spec.Schedule.Sub(now)
}

// syncPending waits for the schedule, then runs the At's Pod and marks the At Running, in two passes: the
// first creates the Pod and queues the At again, behind every At already due (see createdPods); the second
// writes the status, with the Pod from the cache or, before the cache has it, as its create returned it. A
// Pod that exists already (e.g. after a crash between the two) is adopted.
func (c *Controller) syncPending(ctx context.Context, at *v1beta1.At) (time.Duration, error) {
	if wait := untilDue(at, c.clock.Now()); wait > 0 {
		return wait, nil
	}
	pod, err := c.ownedPod(at, podName(at))
	if err != nil {
		return 0, err
	}
	ours := c.createdPods.pod(at.UID)
	if pod == nil {
		pod = ours // created by the first pass, not in the cache yet
	}
	if pod == nil {
		existing, err := c.createPod(ctx, at)
		if err != nil {
			return 0, err
		}
		if existing == nil {
			return 0, nil // created and the At queued again: the status comes in its second pass
		}
		pod = existing // unknown to the cache yet: an earlier run's
	}
	reason := ReasonPodAdopted
	if ours != nil {
		reason = ReasonPodCreated
	}
	return 0, c.markRunning(ctx, at, pod, reason)
}

// RunningStatus is the status of an At that runs in pod: phase Running, the Pod's name and creation time,
// condition Started with the given reason (ReasonPodCreated or ReasonPodAdopted).
func RunningStatus(at *v1beta1.At, pod *corev1.Pod, reason string) *v1beta1.AtStatus {
	status := at.Status.DeepCopy()
	status.Phase = v1beta1.AtRunning
	status.PodName = pod.Name
	start := pod.CreationTimestamp
	status.StartTime = &start
	status.ObservedGeneration = at.Generation
	meta.SetStatusCondition(&status.Conditions, metav1.Condition{
		Type: ConditionStarted, Status: metav1.ConditionTrue, Reason: reason, ObservedGeneration: at.Generation,
		Message: fmt.Sprintf("Pod %s runs the command", pod.Name),
	})
	return status
}

// markRunning writes that the At runs in pod.
func (c *Controller) markRunning(ctx context.Context, at *v1beta1.At, pod *corev1.Pod, reason string) error {
	updated, err := c.updateStatus(ctx, at, RunningStatus(at, pod, reason))
	if err != nil {
		return err
	}
	c.createdPods.forget(at.UID)
	c.recorder.Eventf(updated, corev1.EventTypeNormal, reason, "Running the command in Pod %s", pod.Name)
	return nil
}

// createPod creates the At's Pod, remembers it (createdPods) and queues the At again, for its status. It
// returns nil when it created the Pod, and the Pod when one controlled by the At existed already that the
// cache had not seen (made by an earlier run).
func (c *Controller) createPod(ctx context.Context, at *v1beta1.At) (*corev1.Pod, error) {
	pod, err := c.kubeClient.CoreV1().Pods(at.Namespace).Create(ctx, NewPod(at), metav1.CreateOptions{FieldManager: ControllerName})
	if apierrors.IsAlreadyExists(err) {
		pod, err = c.kubeClient.CoreV1().Pods(at.Namespace).Get(ctx, podName(at), metav1.GetOptions{})
		if err != nil {
			return nil, err
		}
		if !metav1.IsControlledBy(pod, at) {
			return nil, fmt.Errorf("pod %s/%s exists and is not controlled by At %s", pod.Namespace, pod.Name, at.Name)
		}
		return pod, nil
	}
	if err != nil {
		return nil, err
	}
	klog.FromContext(ctx).V(2).Info("Created Pod", "at", klog.KObj(at), "pod", klog.KObj(pod))
	c.metrics.started(pod.CreationTimestamp.Sub(at.Spec.Schedule.Time))
	c.createdPods.remember(at.UID, pod)
	// The At is being processed: the queue holds the key back until this pass is done, then appends it
	// behind what is queued (FIFO).
	c.queue.Add(cache.MetaObjectToName(at).String())
	return nil, nil
}

// ownedPod returns the named Pod from the cache if the At controls it, nil if there is none.
func (c *Controller) ownedPod(at *v1beta1.At, name string) (*corev1.Pod, error) {
	pod, err := c.pods.Pods(at.Namespace).Get(name)
	if apierrors.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if !metav1.IsControlledBy(pod, at) {
		return nil, fmt.Errorf("pod %s/%s exists and is not controlled by At %s", pod.Namespace, pod.Name, at.Name)
	}
	return pod, nil
}

// syncRunning follows the Pod to its end.
func (c *Controller) syncRunning(ctx context.Context, at *v1beta1.At) error {
	pod, err := c.ownedPod(at, at.Status.PodName)
	if err != nil {
		return err
	}
	if pod == nil {
		// The cache may lag behind a Pod just created: only the API can say it is gone.
		pod, err = c.kubeClient.CoreV1().Pods(at.Namespace).Get(ctx, at.Status.PodName, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return c.finish(ctx, at, v1beta1.AtFailed, ReasonPodDeleted,
				fmt.Sprintf("Pod %s was deleted before it finished", at.Status.PodName))
		}
		if err != nil {
			return err
		}
	}
	switch pod.Status.Phase {
	case corev1.PodSucceeded:
		return c.finish(ctx, at, v1beta1.AtSucceeded, ReasonPodSucceeded, fmt.Sprintf("Pod %s succeeded", pod.Name))
	case corev1.PodFailed:
		return c.finish(ctx, at, v1beta1.AtFailed, ReasonPodFailed, fmt.Sprintf("Pod %s failed: %s", pod.Name, failureOf(pod)))
	}
	return nil
}

// failureOf describes why a failed Pod failed: its container's exit, or the Pod's own reason.
func failureOf(pod *corev1.Pod) string {
	for _, s := range pod.Status.ContainerStatuses {
		if t := s.State.Terminated; t != nil && t.ExitCode != 0 {
			msg := fmt.Sprintf("container %s exited with code %d", s.Name, t.ExitCode)
			if t.Reason != "" {
				msg += " (" + t.Reason + ")"
			}
			if t.Message != "" {
				msg += ": " + t.Message
			}
			return msg
		}
	}
	if pod.Status.Reason != "" {
		return pod.Status.Reason + ": " + pod.Status.Message
	}
	return "no reason given"
}

// finish moves the At to its final phase.
func (c *Controller) finish(ctx context.Context, at *v1beta1.At, phase v1beta1.AtPhase, reason, message string) error {
	status := at.Status.DeepCopy()
	status.Phase = phase
	now := metav1.NewTime(c.clock.Now())
	status.CompletionTime = &now
	if status.StartTime != nil && now.Before(status.StartTime) {
		status.CompletionTime = status.StartTime.DeepCopy() // clocks differ; never before the start
	}
	status.ObservedGeneration = at.Generation
	complete := metav1.ConditionTrue
	if phase == v1beta1.AtFailed {
		complete = metav1.ConditionFalse
	}
	meta.SetStatusCondition(&status.Conditions, metav1.Condition{
		Type: ConditionComplete, Status: complete, Reason: reason, Message: message, ObservedGeneration: at.Generation,
	})
	updated, err := c.updateStatus(ctx, at, status)
	if err != nil {
		return err
	}
	c.metrics.finished(phase)
	eventType := corev1.EventTypeNormal
	if phase == v1beta1.AtFailed {
		eventType = corev1.EventTypeWarning
	}
	c.recorder.Event(updated, eventType, reason, message)
	return nil
}

// updateStatus writes status through ats/status on a copy of the cached At (the cache is shared).
func (c *Controller) updateStatus(ctx context.Context, at *v1beta1.At, status *v1beta1.AtStatus) (*v1beta1.At, error) {
	update := at.DeepCopy()
	update.Status = *status
	updated, err := c.atClient.CnatV1beta1().Ats(at.Namespace).UpdateStatus(ctx, update, metav1.UpdateOptions{FieldManager: ControllerName})
	if err == nil {
		c.ownWrites.wrote(at)
	}
	return updated, err
}
