package main

import (
	"fmt"
	"os"
	"slices"
	"strings"

	clientv3 "go.etcd.io/etcd/client/v3"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"

	"github.com/programming-kubernetes/cnat/pkg/generated/clientset/versioned"
	"github.com/programming-kubernetes/cnat/test/bench/internal/atstore"
	"github.com/programming-kubernetes/cnat/test/bench/internal/nullbackend"
)

const (
	peer  = "crd"
	floor = "etcd"
	// The null backend's component (pid file) and its backends, which pair with cnat's: cnat-X ÷ null-X.
	nullComponent = "nullbackend"
	nullAggJSON   = "null-agg-json"
	nullAggProto  = "null-agg-proto"
	nullDirect    = "null-direct"
	cnatAggJSON   = "cnat-agg-json"
	cnatAggProto  = "cnat-agg-proto"
	cnatDirect    = "cnat-direct"
	// k8s.io/sample-apiserver's Flunders through the aggregator, in JSON (it advertises protobuf, and cannot
	// serve it): what the generic server's request path costs without cnat's code.
	sampleComponent = "sample-apiserver"
	sampleAggJSON   = "sample-agg-json"
)

// backend is one way of storing Ats.
type backend struct {
	name      string
	newStore  func(namespace string, objects int) atstore.Store
	component string // the process that serves it: whose memory grows with the objects ("" for none)
	// noWatch: the null backend serves no watch, so it has no fan-out.
	noWatch bool
}

// allBackends are the backends of a run, in the order they run and are printed. The null backend's are left
// out when its URL is not known (a control plane started without CP_NULL_BACKEND=true).
func allBackends(o options, base *rest.Config, dyn dynamic.Interface, etcd *clientv3.Client, value string) ([]backend, error) {
	jsonConfig := rest.CopyConfig(base)
	jsonConfig.ContentType = runtime.ContentTypeJSON
	protoConfig := atstore.WithProtobuf(base)
	cnat := func(config *rest.Config) func(string, int) atstore.Store {
		client := versioned.NewForConfigOrDie(config).CnatV1beta1()
		return func(ns string, n int) atstore.Store { return atstore.NewCnat(client, ns, n) }
	}
	null := func(config *rest.Config) func(string, int) atstore.Store {
		client, err := nullbackend.NewClient(config)
		if err != nil {
			panic(err) // only for a config rest cannot use, which these are not
		}
		return func(ns string, n int) atstore.Store { return atstore.NewCnat(client, ns, n) }
	}
	backends := []backend{
		{name: peer, component: "kube-apiserver", newStore: func(ns string, n int) atstore.Store { return atstore.NewCRD(dyn, ns, n) }},
		{name: floor, newStore: func(ns string, n int) atstore.Store { return newEtcdStore(etcd, ns, n, value) }},
		{name: cnatAggJSON, component: "cnat-apiserver", newStore: cnat(jsonConfig)},
		{name: cnatAggProto, component: "cnat-apiserver", newStore: cnat(protoConfig)},
		{name: cnatDirect, component: "cnat-apiserver", newStore: cnat(direct(base, o.cnatURL))},
	}
	if o.nullURL != "" {
		backends = append(backends,
			backend{name: nullAggJSON, component: nullComponent, newStore: null(jsonConfig), noWatch: true},
			backend{name: nullAggProto, component: nullComponent, newStore: null(protoConfig), noWatch: true},
			backend{name: nullDirect, component: nullComponent, newStore: null(direct(base, o.nullURL)), noWatch: true},
		)
	} else {
		fmt.Fprintln(os.Stderr, "no null backend (NULL_BACKEND_URL, --null-url): its backends are left out")
	}
	if o.sample {
		backends = append(backends, backend{name: sampleAggJSON, component: sampleComponent,
			newStore: func(ns string, n int) atstore.Store { return atstore.NewFlunders(dyn, ns, n) }})
	}
	if o.backends == "" {
		return backends, nil
	}
	wanted := strings.Split(o.backends, ",")
	var chosen []backend
	for _, b := range backends {
		if slices.Contains(wanted, b.name) {
			chosen = append(chosen, b)
		}
	}
	if len(chosen) != len(wanted) {
		return nil, fmt.Errorf("--backends %s: not all of them are known or available", o.backends)
	}
	return chosen, nil
}

// direct is base in protobuf to a server's own URL rather than kube-apiserver's. The cluster CA signed both
// servers' serving certificates; cnat-apiserver's delegated authentication accepts the admin's client
// certificate, and the null backend asks for none.
func direct(base *rest.Config, url string) *rest.Config {
	config := atstore.WithProtobuf(base)
	config.Host = url
	return config
}
