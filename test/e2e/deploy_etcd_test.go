package e2e

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"maps"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// The etcd of the deploy artifacts: a StatefulSet of three members that find each other by the stable names
// of a headless Service, mutual TLS towards clients and between members, and cnat-apiserver a client of all
// of them with a certificate of its own.
const (
	deployEtcd             = "cnat-etcd"
	deployEtcdMembers      = 3
	deployEtcdMemberSecret = "cnat-etcd-member"
	deployEtcdClientSecret = "cnat-etcd-client"
)

// envRef is a reference to an environment variable in a container's args, $(NAME), as the kubelet expands it.
var envRef = regexp.MustCompile(`\$\(([A-Z_]+)\)`)

// etcdDeployment is what the rendered objects say about etcd, for checking the certificates against it.
type etcdDeployment struct {
	sts, apiserver                    *unstructured.Unstructured
	etcdContainer, apiserverContainer map[string]any
	// servers are cnat-apiserver's --etcd-servers, peers the peer URLs of --initial-cluster.
	servers, peers []*url.URL
	// service is the headless Service's name, <service>.<namespace>.svc.
	service string
	// peerCN is the common name etcd admits as a peer (--peer-cert-allowed-cn).
	peerCN string
}

// memberNames are the names the member certificate must carry: every name clients and peers dial, with
// their .cluster.local forms, the headless Service's, and localhost for etcdctl inside a member's Pod or
// over kubectl port-forward.
func (d etcdDeployment) memberNames() []string {
	names := []string{d.service, d.service + ".cluster.local", "localhost", "127.0.0.1"}
	for _, u := range append(slices.Clone(d.servers), d.peers...) {
		names = append(names, u.Hostname(), u.Hostname()+".cluster.local")
	}
	slices.Sort(names)
	return slices.Compact(names)
}

// checkEtcdWiring checks what makes the three members form a cluster, and cnat-apiserver reach it, that only
// fails at run time: names, URLs and ports that agree, the certificate files where the Secrets are mounted,
// mutual TLS on, probes on etcd's health endpoints, the PodDisruptionBudget, the spread over nodes and the
// NetworkPolicy.
func checkEtcdWiring(t *testing.T, objs []*unstructured.Unstructured) etcdDeployment {
	t.Helper()
	sts := findObject(t, objs, "StatefulSet", deployEtcd)
	if replicas, _ := num(field(sts.Object, "spec", "replicas")); replicas != deployEtcdMembers {
		t.Errorf("StatefulSet %s has %v replicas, want %d", sts.GetName(), field(sts.Object, "spec", "replicas"), deployEtcdMembers)
	}
	// OrderedReady would create member 1 once member 0 is ready, which it is only with a quorum: never.
	if policy := field(sts.Object, "spec", "podManagementPolicy"); policy != "Parallel" {
		t.Errorf("StatefulSet %s: podManagementPolicy %v, want Parallel", sts.GetName(), policy)
	}
	serviceName, _, _ := unstructured.NestedString(sts.Object, "spec", "serviceName")
	svc := findObject(t, objs, "Service", serviceName)
	if field(svc.Object, "spec", "clusterIP") != "None" {
		t.Errorf("Service %s is not headless: the members would get no names of their own", svc.GetName())
	}
	// Members are ready only once they have reached each other by name.
	if field(svc.Object, "spec", "publishNotReadyAddresses") != true {
		t.Errorf("Service %s publishes only ready members: the cluster could never form", svc.GetName())
	}
	selector, _, _ := unstructured.NestedStringMap(svc.Object, "spec", "selector")
	selects(t, "Service "+svc.GetName(), selector, sts)
	d := etcdDeployment{sts: sts, service: svc.GetName() + "." + sts.GetNamespace() + ".svc"}

	container := onlyContainer(t, sts)
	d.etcdContainer = container
	args := containerArgs(container)
	var podName bool
	env, _, _ := unstructured.NestedSlice(container, "env")
	for _, e := range env {
		if e := e.(map[string]any); e["name"] == "POD_NAME" {
			podName = field(e, "valueFrom", "fieldRef", "fieldPath") == "metadata.name"
		}
	}
	if !podName {
		t.Errorf("etcd has no environment variable POD_NAME from metadata.name: %v", env)
	}
	clientListen := parseURL(t, mustFlag(t, args, "listen-client-urls"))
	peerListen := parseURL(t, mustFlag(t, args, "listen-peer-urls"))

	// Each member, as the kubelet expands $(POD_NAME) in its Pod: its name and URLs are its own.
	wantCluster := map[string]string{}
	var clientURLs []string
	for i := range deployEtcdMembers {
		pod := fmt.Sprintf("%s-%d", sts.GetName(), i)
		expand := func(name string) string { return strings.ReplaceAll(mustFlag(t, args, name), "$(POD_NAME)", pod) }
		if name := expand("name"); name != pod {
			t.Errorf("member %s is named %q", pod, name)
		}
		for _, c := range []struct {
			flag   string
			listen *url.URL
		}{{"advertise-client-urls", clientListen}, {"initial-advertise-peer-urls", peerListen}} {
			u := parseURL(t, expand(c.flag))
			if u.Scheme != "https" || u.Hostname() != pod+"."+d.service || u.Port() != c.listen.Port() || c.listen.Scheme != "https" {
				t.Errorf("member %s: --%s=%s, want https://%s.%s:<the port of %s>", pod, c.flag, u, pod, d.service, c.listen)
			}
			if c.flag == "advertise-client-urls" {
				clientURLs = append(clientURLs, u.String())
			} else {
				wantCluster[pod] = u.String()
			}
		}
	}
	fromConfigMap := configMapEnv(t, objs, container)
	for _, arg := range args {
		for _, ref := range envRef.FindAllStringSubmatch(arg, -1) {
			if _, ok := fromConfigMap[ref[1]]; !ok && ref[1] != "POD_NAME" {
				t.Errorf("etcd's arg %s uses $(%s), which is neither POD_NAME nor from the ConfigMap", arg, ref[1])
			}
		}
	}
	cluster := map[string]string{}
	for entry := range strings.SplitSeq(mustFlag(t, args, "initial-cluster"), ",") {
		name, peer, _ := strings.Cut(entry, "=")
		cluster[name] = peer
		d.peers = append(d.peers, parseURL(t, peer))
	}
	if !maps.Equal(cluster, wantCluster) {
		t.Errorf("--initial-cluster names %v, want exactly the members' peer URLs %v", cluster, wantCluster)
	}
	// State and token come from the ConfigMap (a member replacement changes it, not the Pod template): a
	// fresh install bootstraps a new cluster.
	expandEnv := func(v string) string {
		return envRef.ReplaceAllStringFunc(v, func(ref string) string {
			return fromConfigMap[ref[2:len(ref)-1]]
		})
	}
	if arg := mustFlag(t, args, "initial-cluster-state"); !strings.Contains(arg, "$(") || expandEnv(arg) != "new" {
		t.Errorf("--initial-cluster-state=%s (%s), want new from the ConfigMap", arg, expandEnv(arg))
	}
	if arg := mustFlag(t, args, "initial-cluster-token"); !strings.Contains(arg, "$(") || expandEnv(arg) == "" {
		t.Errorf("--initial-cluster-token=%s (%q), want a token from the ConfigMap", arg, expandEnv(arg))
	}
	for _, name := range []string{"client-cert-auth", "peer-client-cert-auth"} {
		if v, _ := flag(t, args, name); v != "true" {
			t.Errorf("etcd: --%s is %q, want true: a TLS connection without a certificate of the CA would be let in", name, v)
		}
	}
	for _, f := range [][2]string{{"cert-file", "tls.crt"}, {"key-file", "tls.key"}, {"trusted-ca-file", "ca.crt"},
		{"peer-cert-file", "tls.crt"}, {"peer-key-file", "tls.key"}, {"peer-trusted-ca-file", "ca.crt"}} {
		checkSecretFile(t, sts, container, f[0], deployEtcdMemberSecret, f[1])
	}
	d.peerCN = mustFlag(t, args, "peer-cert-allowed-cn")

	// The kubelet probes etcd's own health endpoints where etcd serves them. Liveness must not need a quorum
	// (/readyz does): losing it would restart every member.
	metrics := parseURL(t, mustFlag(t, args, "listen-metrics-urls"))
	for probe, path := range map[string]string{"startupProbe": "/livez", "livenessProbe": "/livez", "readinessProbe": "/readyz"} {
		get, found, _ := unstructured.NestedMap(container, probe, "httpGet")
		if !found {
			t.Errorf("etcd has no %s over HTTP", probe)
			continue
		}
		scheme, _ := get["scheme"].(string)
		if scheme == "" {
			scheme = "HTTP"
		}
		if !strings.EqualFold(scheme, metrics.Scheme) || containerPort(t, container, get["port"]) != urlPort(t, metrics) || get["path"] != path {
			t.Errorf("etcd's %s gets %s %v%v, want %s on the metrics listener %s", probe, scheme, get["port"], get["path"], path, metrics)
		}
	}

	pdb := findObject(t, objs, "PodDisruptionBudget", sts.GetName())
	selector, _, _ = unstructured.NestedStringMap(pdb.Object, "spec", "selector", "matchLabels")
	selects(t, "PodDisruptionBudget "+pdb.GetName(), selector, sts)
	if maxUnavailable, _ := num(field(pdb.Object, "spec", "maxUnavailable")); maxUnavailable != 1 {
		t.Errorf("PodDisruptionBudget %s: maxUnavailable %v, want 1 (a quorum of 3 is 2)", pdb.GetName(), field(pdb.Object, "spec", "maxUnavailable"))
	}
	checkSpread(t, sts)
	checkEtcdNetworkPolicy(t, objs, sts, container, map[int64]string{
		urlPort(t, clientListen): "cnat-apiserver",
		urlPort(t, peerListen):   sts.GetName(),
	})

	// cnat-apiserver: a client of every member, with the certificate of its Secret.
	d.apiserver = findObject(t, objs, "Deployment", "cnat-apiserver")
	d.apiserverContainer = onlyContainer(t, d.apiserver)
	apiserverArgs := containerArgs(d.apiserverContainer)
	servers := strings.Split(mustFlag(t, apiserverArgs, "etcd-servers"), ",")
	if !equalSorted(servers, clientURLs) {
		t.Errorf("cnat-apiserver's --etcd-servers are %v, want every member's client URL %v", servers, clientURLs)
	}
	for _, s := range servers {
		d.servers = append(d.servers, parseURL(t, s))
	}
	for _, f := range [][2]string{{"etcd-cafile", "ca.crt"}, {"etcd-certfile", "tls.crt"}, {"etcd-keyfile", "tls.key"}} {
		checkSecretFile(t, d.apiserver, d.apiserverContainer, f[0], deployEtcdClientSecret, f[1])
	}
	return d
}

// checkEtcdNetworkPolicy checks that etcd's NetworkPolicy admits to each port the Pods of the given
// workload only, and to no other port anything at all.
func checkEtcdNetworkPolicy(t *testing.T, objs []*unstructured.Unstructured, sts *unstructured.Unstructured, container map[string]any, want map[int64]string) {
	t.Helper()
	np := findObject(t, objs, "NetworkPolicy", sts.GetName())
	selector, _, _ := unstructured.NestedStringMap(np.Object, "spec", "podSelector", "matchLabels")
	selects(t, "NetworkPolicy "+np.GetName(), selector, sts)
	if types, _, _ := unstructured.NestedStringSlice(np.Object, "spec", "policyTypes"); !slices.Contains(types, "Ingress") {
		t.Errorf("NetworkPolicy %s does not restrict ingress: %v", np.GetName(), types)
	}
	got := map[int64][]string{}
	rules, _, _ := unstructured.NestedSlice(np.Object, "spec", "ingress")
	for _, r := range rules {
		from, _, _ := unstructured.NestedSlice(r.(map[string]any), "from")
		ports, _, _ := unstructured.NestedSlice(r.(map[string]any), "ports")
		if len(from) == 0 || len(ports) == 0 {
			t.Errorf("NetworkPolicy %s admits any source or any port: %v", np.GetName(), r)
			continue
		}
		var sources []string
		for _, f := range from {
			f := f.(map[string]any)
			podSelector, _, _ := unstructured.NestedStringMap(f, "podSelector", "matchLabels")
			if len(f) != 1 || len(podSelector) == 0 {
				t.Errorf("NetworkPolicy %s admits more than Pods of its namespace by label: %v", np.GetName(), f)
				continue
			}
			sources = append(sources, selectedWorkloads(objs, sts.GetNamespace(), podSelector)...)
		}
		for _, p := range ports {
			port := containerPort(t, container, field(p, "port"))
			got[port] = append(got[port], sources...)
		}
	}
	admitted := map[int64]string{}
	for port, sources := range got {
		slices.Sort(sources)
		admitted[port] = strings.Join(slices.Compact(sources), ",")
	}
	if !maps.Equal(admitted, want) {
		t.Errorf("NetworkPolicy %s admits to each port the Pods of %v, want %v", np.GetName(), admitted, want)
	}
}

// selectedWorkloads names the Deployments and StatefulSets of a namespace whose Pods a label selector
// selects.
func selectedWorkloads(objs []*unstructured.Unstructured, namespace string, selector map[string]string) []string {
	var names []string
	for _, o := range objs {
		if (o.GetKind() != "Deployment" && o.GetKind() != "StatefulSet") || o.GetNamespace() != namespace {
			continue
		}
		if matchesLabels(selector, podLabels(o)) {
			names = append(names, o.GetName())
		}
	}
	return names
}

// checkEtcdCerts checks the certificates of the overlay of hack/deploy-certs.sh as etcd and cnat-apiserver
// use them, read from the files their flags name: cnat-apiserver accepts the certificate every member
// serves at the URL it dials, etcd accepts cnat-apiserver's client certificate, each member accepts the
// others as peers at their peer URLs, a client certificate cannot pass as a peer, and the etcd CA is not the
// serving CA.
func checkEtcdCerts(t *testing.T, objs []*unstructured.Unstructured, d etcdDeployment) {
	t.Helper()
	etcdFile := func(flag string) []byte { return fileData(t, objs, d.sts, d.etcdContainer, flag) }
	apiserverFile := func(flag string) []byte { return fileData(t, objs, d.apiserver, d.apiserverContainer, flag) }

	member := leafCert(t, etcdFile("cert-file"), etcdFile("key-file"))
	peer := leafCert(t, etcdFile("peer-cert-file"), etcdFile("peer-key-file"))
	client := leafCert(t, apiserverFile("etcd-certfile"), apiserverFile("etcd-keyfile"))
	etcdClientCAs, etcdPeerCAs, apiserverCAs := certPool(t, etcdFile("trusted-ca-file")), certPool(t, etcdFile("peer-trusted-ca-file")), certPool(t, apiserverFile("etcd-cafile"))

	// What cnat-apiserver's etcd client checks at each member it dials, and etcdctl inside a Pod or over
	// port-forward (with the client Secret's CA too).
	for _, name := range d.memberNames() {
		if err := verifies(member, apiserverCAs, name, x509.ExtKeyUsageServerAuth); err != nil {
			t.Errorf("the member certificate does not verify for %s with cnat-apiserver's etcd CA: %v", name, err)
		}
	}
	// What a member checks of the member it dials, and of the member that dials it.
	for _, u := range d.peers {
		if err := verifies(peer, etcdPeerCAs, u.Hostname(), x509.ExtKeyUsageServerAuth); err != nil {
			t.Errorf("peers do not accept the peer certificate served at %s: %v", u, err)
		}
	}
	if err := verifies(peer, etcdPeerCAs, "", x509.ExtKeyUsageClientAuth); err != nil {
		t.Errorf("peers do not accept the peer certificate from a member that dials them: %v", err)
	}
	if peer.Subject.CommonName != d.peerCN {
		t.Errorf("the peer certificate is for %q, but etcd admits only %q as a peer", peer.Subject.CommonName, d.peerCN)
	}
	// What etcd checks of cnat-apiserver.
	if err := verifies(client, etcdClientCAs, "", x509.ExtKeyUsageClientAuth); err != nil {
		t.Errorf("etcd does not accept cnat-apiserver's client certificate: %v", err)
	}
	if client.Subject.CommonName == d.peerCN {
		t.Errorf("cnat-apiserver's client certificate is for %q: it could join the cluster as a peer", d.peerCN)
	}
	for _, ca := range pemCerts(t, etcdFile("trusted-ca-file")) {
		for _, serving := range pemCerts(t, secretData(t, objs, deployServingSecret, "ca.crt")) {
			if ca.Equal(serving) {
				t.Errorf("etcd trusts the serving CA %s: whatever it signs could read and write every At", ca.Subject)
			}
		}
	}
}

// leafCert is the certificate of a key pair, failing the test if certificate and key do not belong together.
func leafCert(t *testing.T, certPEM, keyPEM []byte) *x509.Certificate {
	t.Helper()
	pair, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil || pair.Leaf == nil {
		t.Fatalf("not a key pair: %v", err)
	}
	return pair.Leaf
}

// pemCerts are the certificates of a PEM bundle.
func pemCerts(t *testing.T, data []byte) []*x509.Certificate {
	t.Helper()
	var certs []*x509.Certificate
	for block, rest := pem.Decode(data); block != nil; block, rest = pem.Decode(rest) {
		cert, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			t.Fatalf("PEM bundle: %v", err)
		}
		certs = append(certs, cert)
	}
	if len(certs) == 0 {
		t.Fatalf("no certificate in %q", data)
	}
	return certs
}

// certPool is a pool of the certificates of a PEM bundle.
func certPool(t *testing.T, data []byte) *x509.CertPool {
	t.Helper()
	pool := x509.NewCertPool()
	for _, cert := range pemCerts(t, data) {
		pool.AddCert(cert)
	}
	return pool
}

// verifies is what a TLS peer checks of a certificate: it chains to roots, is for name (any if empty), and
// may be used as usage.
func verifies(cert *x509.Certificate, roots *x509.CertPool, name string, usage x509.ExtKeyUsage) error {
	_, err := cert.Verify(x509.VerifyOptions{DNSName: name, Roots: roots, KeyUsages: []x509.ExtKeyUsage{usage}})
	return err
}

// checkCertManagerEtcd checks the Certificates of the cert-manager overlay for etcd: the member certificate
// carries every name of memberNames, is for servers and clients (peers dial with it) and for the common name
// etcd admits as a peer; cnat-apiserver's is a client certificate that cannot pass as a peer; both come
// from one CA that is not the serving CA.
func checkCertManagerEtcd(t *testing.T, certManager []*unstructured.Unstructured, d etcdDeployment, servingCA *unstructured.Unstructured) {
	t.Helper()
	member := certificateFor(t, certManager, deployEtcdMemberSecret)
	client := certificateFor(t, certManager, deployEtcdClientSecret)
	dnsNames, _, _ := unstructured.NestedStringSlice(member.Object, "spec", "dnsNames")
	ips, _, _ := unstructured.NestedStringSlice(member.Object, "spec", "ipAddresses")
	for _, name := range d.memberNames() {
		if !slices.Contains(dnsNames, name) && !slices.Contains(ips, name) {
			t.Errorf("Certificate %s lacks %s: dnsNames %v, ipAddresses %v", member.GetName(), name, dnsNames, ips)
		}
	}
	usages := func(c *unstructured.Unstructured) []string {
		u, _, _ := unstructured.NestedStringSlice(c.Object, "spec", "usages")
		return u
	}
	if u := usages(member); !slices.Contains(u, "server auth") || !slices.Contains(u, "client auth") {
		t.Errorf("Certificate %s has usages %v, want server auth and client auth", member.GetName(), u)
	}
	if u := usages(client); !slices.Contains(u, "client auth") {
		t.Errorf("Certificate %s has usages %v, want client auth", client.GetName(), u)
	}
	if cn := field(member.Object, "spec", "commonName"); cn != d.peerCN {
		t.Errorf("Certificate %s is for %v, but etcd admits only %q as a peer", member.GetName(), cn, d.peerCN)
	}
	if cn := field(client.Object, "spec", "commonName"); cn == d.peerCN {
		t.Errorf("Certificate %s is for %v: cnat-apiserver could join the cluster as a peer", client.GetName(), cn)
	}
	memberCA, clientCA := caCertificate(t, certManager, member), caCertificate(t, certManager, client)
	if memberCA.GetName() != clientCA.GetName() {
		t.Errorf("the member certificate is signed by %s, cnat-apiserver's by %s: they would not trust each other", memberCA.GetName(), clientCA.GetName())
	}
	if memberCA.GetName() == servingCA.GetName() {
		t.Errorf("the etcd certificates come from the serving CA %s: etcd would trust whatever it signs", servingCA.GetName())
	}
}

// configMapEnv resolves the container's environment variables that come from ConfigMaps among objs (a
// missing ConfigMap or key fails the test: the Pod would not start).
func configMapEnv(t *testing.T, objs []*unstructured.Unstructured, container map[string]any) map[string]string {
	t.Helper()
	values := map[string]string{}
	env, _, _ := unstructured.NestedSlice(container, "env")
	for _, e := range env {
		e := e.(map[string]any)
		ref, found, _ := unstructured.NestedStringMap(e, "valueFrom", "configMapKeyRef")
		if !found {
			continue
		}
		cm := findObject(t, objs, "ConfigMap", ref["name"])
		value, found, _ := unstructured.NestedString(cm.Object, "data", ref["key"])
		if !found {
			t.Errorf("env %v: ConfigMap %s has no key %s", e["name"], ref["name"], ref["key"])
		}
		values[e["name"].(string)] = value
	}
	return values
}
