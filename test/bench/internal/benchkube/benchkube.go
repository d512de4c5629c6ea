// Package benchkube holds what the benchmarks' clients share: protobuf configs and namespaces of their own.
package benchkube

import (
	"context"
	"fmt"
	"os"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/rand"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
)

// WithProtobuf: requests and answers in protobuf, as cnat-controller sends them, JSON accepted for what has
// no protobuf form. Decoding a watch costs the benchmark (which shares the cores with what it measures) a
// ninth of JSON.
func WithProtobuf(config *rest.Config) *rest.Config {
	config = rest.CopyConfig(config)
	config.ContentType = runtime.ContentTypeProtobuf
	config.AcceptContentTypes = runtime.ContentTypeProtobuf + "," + runtime.ContentTypeJSON
	return config
}

// FloorConfig is config for a floor's client: protobuf, as cnat-controller speaks it, and no client-side
// rate limit.
func FloorConfig(config *rest.Config) *rest.Config {
	config = WithProtobuf(config)
	config.QPS, config.Burst = -1, 0
	return config
}

// NewNamespace creates a namespace named prefix + a random suffix and waits (up to ten seconds) for its
// default ServiceAccount: Pods of a new namespace are refused until it exists.
func NewNamespace(ctx context.Context, kube kubernetes.Interface, prefix string) (string, error) {
	ns := prefix + rand.String(5)
	if _, err := kube.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil {
		return "", err
	}
	for i := 0; i < 100; i++ {
		if _, err := kube.CoreV1().ServiceAccounts(ns).Get(ctx, "default", metav1.GetOptions{}); err == nil {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	return ns, nil
}

// DeleteNamespace deletes ns and waits (up to timeout) until it is gone: deleting thousands of objects is
// work for the control plane, which must not weigh on whatever is measured next. A timeout of 0 does not
// wait.
func DeleteNamespace(kube kubernetes.Interface, ns string, timeout time.Duration) {
	ctx := context.Background()
	if err := kube.CoreV1().Namespaces().Delete(ctx, ns, metav1.DeleteOptions{}); err != nil {
		fmt.Fprintln(os.Stderr, "deleting namespace", ns, err)
		return
	}
	if timeout == 0 {
		return
	}
	for deadline := time.Now().Add(timeout); time.Now().Before(deadline); time.Sleep(500 * time.Millisecond) {
		if _, err := kube.CoreV1().Namespaces().Get(ctx, ns, metav1.GetOptions{}); apierrors.IsNotFound(err) {
			return
		}
	}
	fmt.Fprintln(os.Stderr, "namespace", ns, "still terminating after", timeout)
}
