package e2e

import (
	"bytes"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"

	"github.com/programming-kubernetes/cnat/test/internal/pki"
)

// The names the deploy artifacts tie together: kube-apiserver verifies the serving certificate against the
// APIServices' Service as <service>.<namespace>.svc.
const (
	deployGroup         = "cnat.programming-kubernetes.info"
	deployNamespace     = "cnat-system"
	deployServingSecret = "cnat-apiserver-serving"
	deployServiceDNS    = "cnat-apiserver.cnat-system.svc"
)

// deployCertSecrets are the Secrets the overlay of hack/deploy-certs.sh adds to artifacts/deploy.
var deployCertSecrets = []string{deployServingSecret, deployEtcdMemberSecret, deployEtcdClientSecret, deployEncryptionSecret}

// TestDeploy: the deploy artifacts of a real cluster (artifacts/deploy, its cert-manager overlay, and the
// overlay hack/deploy-certs.sh writes) render with kubectl's kustomize, fit together, and every object they
// render is accepted by the e2e kube-apiserver in a server-side dry-run (schema, validation, defaulting and
// admission of the real API; nothing is stored). The e2e cluster's only node is simulated (kwok); test/node
// installs and runs the hack/deploy-certs.sh overlay on a real one.
func TestDeploy(t *testing.T) {
	base := renderKustomize(t, filepath.Join(repoRoot, "artifacts", "deploy"))

	t.Run("base", func(t *testing.T) {
		checkDeployWiring(t, base)
		checkShutdownFitsGracePeriod(t, findObject(t, base, "Deployment", "cnat-apiserver"))
		dryRunApply(t, base)
	})

	t.Run("deploy-certs", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "deploy")
		out := deployCerts(t, dir)
		if want := "kubectl apply -k " + dir; !strings.Contains(out, want) {
			t.Errorf("hack/deploy-certs.sh does not say %q:\n%s", want, out)
		}
		objs := renderKustomize(t, dir)
		etcd := checkDeployWiring(t, objs)
		want := deployKeys(base)
		for _, secret := range deployCertSecrets {
			want = append(want, "Secret/"+deployNamespace+"/"+secret)
		}
		if got := deployKeys(objs); !equalSorted(got, want) {
			t.Errorf("the overlay renders\n%v\nwant artifacts/deploy and the Secrets:\n%v", got, want)
		}
		checkServingCert(t, objs)
		checkEtcdCerts(t, objs, etcd)
		checkEncryptionWiring(t, objs)
		checkEncryptionConfig(t, objs)

		// Run again: the CAs and certificates valid for long enough are kept (the caBundle of running
		// APIServices, and the CA etcd trusts, must not change behind them), and so is the encryption key
		// (the stored Ats need it).
		kept := []string{"ca.crt", "serving.crt", "etcd-ca.crt", "etcd-member.crt", "etcd-client.crt", deployEncryptionKey}
		before := map[string][]byte{}
		for _, f := range kept {
			data, err := os.ReadFile(filepath.Join(dir, f))
			if err != nil {
				t.Fatal(err)
			}
			before[f] = data
		}
		deployCerts(t, dir)
		for _, f := range kept {
			if again, err := os.ReadFile(filepath.Join(dir, f)); err != nil || !bytes.Equal(before[f], again) {
				t.Errorf("a second run replaced %s (err %v)", f, err)
			}
		}

		// A member certificate that expires within 30 days (a day here) is renewed, by the CA that is kept.
		ca, err := pki.LoadCA(filepath.Join(dir, "etcd-ca.crt"), filepath.Join(dir, "etcd-ca.key"))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ca.Issue(dir, "etcd-member", "cnat-etcd", nil, pki.Peer, etcd.memberNames()...); err != nil {
			t.Fatal(err)
		}
		expiring, err := os.ReadFile(filepath.Join(dir, "etcd-member.crt"))
		if err != nil {
			t.Fatal(err)
		}
		deployCerts(t, dir)
		renewed := renderKustomize(t, dir)
		if crt := secretData(t, renewed, deployEtcdMemberSecret, "tls.crt"); bytes.Equal(crt, expiring) {
			t.Error("a member certificate that expires within a day was kept")
		}
		if ca := secretData(t, renewed, deployEtcdMemberSecret, "ca.crt"); !bytes.Equal(ca, before["etcd-ca.crt"]) {
			t.Error("renewing the member certificate replaced the etcd CA")
		}
		checkEtcdCerts(t, renewed, checkDeployWiring(t, renewed))

		dryRunApply(t, objs)
	})

	t.Run("audit", func(t *testing.T) {
		objs := renderWithComponent(t, filepath.Join(repoRoot, "artifacts", "deploy"), deployAuditComponent)
		checkDeployWiring(t, objs)
		checkAuditWiring(t, objs)
		dryRunApply(t, objs)
	})

	t.Run("cert-manager", func(t *testing.T) {
		dir := filepath.Join(repoRoot, "artifacts", "deploy", "overlays", "cert-manager")
		certManager, rest := splitCertManager(renderKustomize(t, dir))
		// The overlay lists artifacts/deploy's parts itself (kustomize refuses ../..): the same objects.
		if got, want := deployKeys(rest), deployKeys(base); !equalSorted(got, want) {
			t.Errorf("the overlay renders, besides cert-manager objects,\n%v\nwant those of artifacts/deploy:\n%v", got, want)
		}
		etcd := checkDeployWiring(t, rest)
		checkCertManager(t, certManager, rest, etcd)

		// With encryption at rest, as docs/cluster.md says: the same objects, the Secret mounted.
		_, encrypted := splitCertManager(renderWithComponent(t, dir, deployEncryptionComponent))
		if got, want := deployKeys(encrypted), deployKeys(rest); !equalSorted(got, want) {
			t.Errorf("with the encryption component the overlay renders\n%v\nwant\n%v", got, want)
		}
		checkDeployWiring(t, encrypted)
		checkEncryptionWiring(t, encrypted)
		// Only the non-cert-manager objects: the e2e cluster has no cert-manager CRDs, so the API server
		// would reject Issuers and Certificates as unknown kinds, whatever they say.
		dryRunApply(t, rest)
	})

	// Dry-runs really were dry: the e2e cluster is shared with the other tests.
	for _, obj := range []string{"deployment/cnat-apiserver", "statefulset/" + deployEtcd, "secret/" + deployServingSecret,
		"secret/" + deployEtcdMemberSecret, "secret/" + deployEtcdClientSecret, "secret/" + deployEncryptionSecret,
		"service/" + deployDryRunService} {
		if out, err := kubectlErr("", "get", "-n", deployNamespace, obj); err == nil || !strings.Contains(out, "NotFound") {
			t.Errorf("%s exists after the dry-runs (err %v): %s", obj, err, out)
		}
	}
}

// splitCertManager separates cert-manager's objects from the others.
func splitCertManager(objs []*unstructured.Unstructured) (certManager, rest []*unstructured.Unstructured) {
	for _, o := range objs {
		if strings.HasPrefix(o.GetAPIVersion(), "cert-manager.io/") {
			certManager = append(certManager, o)
		} else {
			rest = append(rest, o)
		}
	}
	return certManager, rest
}

// renderKustomize renders a kustomization with kubectl kustomize (failing the test if it does not render)
// and returns its objects.
func renderKustomize(t *testing.T, dir string) []*unstructured.Unstructured {
	t.Helper()
	rendered := kubectl(t, "", "kustomize", dir)
	var objs []*unstructured.Unstructured
	decoder := utilyaml.NewYAMLOrJSONDecoder(strings.NewReader(rendered), 4096)
	for {
		var m map[string]any
		if err := decoder.Decode(&m); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatalf("kubectl kustomize %s: %v", dir, err)
		}
		if m != nil {
			objs = append(objs, &unstructured.Unstructured{Object: m})
		}
	}
	if len(objs) == 0 {
		t.Fatalf("kubectl kustomize %s rendered no objects", dir)
	}
	return objs
}

// deployDryRunService is the name the Service cnat-apiserver is dry-run under. local-up made that Service
// ExternalName localhost on a random port in the e2e cluster; server-side apply merges ports by port
// number, so applying the real Service onto it would yield two ports named https, a result no real cluster
// sees. Under a name of its own, it is dry-run as created in a fresh cluster.
const deployDryRunService = "cnat-apiserver-dry-run"

// dryRunApply server-side applies the objects in a dry-run and checks that each of them was accepted.
// --force-conflicts: local-up applied the APIServices (caBundle and port patched for loopback) with
// client-side apply; the dry-run is about whether kube-apiserver accepts these objects, not about who owns
// which field in this cluster. A field manager of its own: kubectl then does not try to migrate
// client-side apply's ownership, a write of its own that is not part of the dry-run.
func dryRunApply(t *testing.T, objs []*unstructured.Unstructured) {
	t.Helper()
	var stream strings.Builder
	want := make([]string, 0, len(objs))
	for _, o := range objs {
		if o.GetKind() == "Service" && o.GetNamespace() == deployNamespace && o.GetName() == "cnat-apiserver" {
			o = o.DeepCopy()
			o.SetName(deployDryRunService)
		}
		data, err := json.Marshal(o.Object)
		if err != nil {
			t.Fatal(err)
		}
		stream.WriteString("---\n")
		stream.Write(data)
		stream.WriteString("\n")
		want = append(want, strings.ToLower(o.GetKind())+"/"+o.GetName())
	}
	out := kubectl(t, stream.String(), "apply", "--server-side", "--force-conflicts",
		"--field-manager=cnat-e2e-deploy", "--dry-run=server", "-o", "name", "-f", "-")
	// -o name prints <resource>.<group>/<name> per object applied.
	var got []string
	for _, line := range strings.Fields(out) {
		resource, name, _ := strings.Cut(line, "/")
		kind, _, _ := strings.Cut(resource, ".")
		got = append(got, kind+"/"+name)
	}
	if !equalSorted(got, want) {
		t.Errorf("server-side dry-run applied\n%v\nwant\n%v", got, want)
	}
}

// deployCerts runs hack/deploy-certs.sh <dir> and returns its output.
func deployCerts(t *testing.T, dir string) string {
	t.Helper()
	out, err := exec.Command(filepath.Join(repoRoot, "hack", "deploy-certs.sh"), dir).CombinedOutput()
	if err != nil {
		t.Fatalf("hack/deploy-certs.sh %s: %v\n%s", dir, err, out)
	}
	return string(out)
}

// deployKeys names each object as Kind/namespace/name.
func deployKeys(objs []*unstructured.Unstructured) []string {
	keys := make([]string, 0, len(objs))
	for _, o := range objs {
		keys = append(keys, o.GetKind()+"/"+o.GetNamespace()+"/"+o.GetName())
	}
	return keys
}

func equalSorted(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}

func findObject(t *testing.T, objs []*unstructured.Unstructured, kind, name string) *unstructured.Unstructured {
	t.Helper()
	for _, o := range objs {
		if o.GetKind() == kind && o.GetName() == name {
			return o
		}
	}
	t.Fatalf("no %s %s among the rendered objects %v", kind, name, deployKeys(objs))
	return nil
}

func apiServices(t *testing.T, objs []*unstructured.Unstructured) []*unstructured.Unstructured {
	t.Helper()
	var services []*unstructured.Unstructured
	for _, version := range []string{"v1", "v1beta1", "v1alpha1"} {
		services = append(services, findObject(t, objs, "APIService", version+"."+deployGroup))
	}
	return services
}

// checkDeployWiring checks the references between the rendered objects that only fail at run time, in a
// cluster: the Service selects the server's Pods and targets its port, the PodDisruptionBudget covers them,
// the Pods use the ServiceAccount of the RBAC, the serving certificate's files are where its Secret is
// mounted, the APIServices point at the Service, the admission configuration and the images are those of
// artifacts/deploy/images; etcd's members and cnat-apiserver's connection to them
// (checkEtcdWiring); nothing speaks plain HTTP but etcd's metrics listener; both speak TLS 1.2 at least with
// strong suites (checkTLSFlags). It returns what it found out about etcd.
func checkDeployWiring(t *testing.T, objs []*unstructured.Unstructured) etcdDeployment {
	t.Helper()
	deploy := findObject(t, objs, "Deployment", "cnat-apiserver")
	svc := findObject(t, objs, "Service", "cnat-apiserver")
	selector, _, _ := unstructured.NestedStringMap(svc.Object, "spec", "selector")
	selects(t, "Service cnat-apiserver", selector, deploy)
	// Both Deployments: a PodDisruptionBudget keeps one replica while nodes drain, and the replicas are
	// spread over nodes.
	for _, d := range []*unstructured.Unstructured{deploy, findObject(t, objs, "Deployment", "cnat-controller")} {
		pdb := findObject(t, objs, "PodDisruptionBudget", d.GetName())
		selector, _, _ = unstructured.NestedStringMap(pdb.Object, "spec", "selector", "matchLabels")
		selects(t, "PodDisruptionBudget "+pdb.GetName(), selector, d)
		if minAvailable, _ := num(field(pdb.Object, "spec", "minAvailable")); minAvailable != 1 {
			t.Errorf("PodDisruptionBudget %s: minAvailable %v, want 1", pdb.GetName(), field(pdb.Object, "spec", "minAvailable"))
		}
		if replicas, _ := num(field(d.Object, "spec", "replicas")); replicas < 2 {
			t.Errorf("Deployment %s has %d replicas: a PodDisruptionBudget of minAvailable 1 would block every drain", d.GetName(), replicas)
		}
		checkSpread(t, d)
		sa, _, _ := unstructured.NestedString(d.Object, "spec", "template", "spec", "serviceAccountName")
		findObject(t, objs, "ServiceAccount", sa)
	}

	container := onlyContainer(t, deploy)
	ports, _, _ := unstructured.NestedSlice(container, "ports")
	svcPorts, _, _ := unstructured.NestedSlice(svc.Object, "spec", "ports")
	if len(svcPorts) != 1 || len(ports) != 1 || svcPorts[0].(map[string]any)["targetPort"] != ports[0].(map[string]any)["name"] {
		t.Errorf("Service ports %v do not target the container ports %v", svcPorts, ports)
	}
	if sa, _, _ := unstructured.NestedString(deploy.Object, "spec", "template", "spec", "serviceAccountName"); sa != "cnat-apiserver" {
		t.Errorf("the Pods run as ServiceAccount %q, want cnat-apiserver (the RBAC's)", sa)
	}
	checkSecretFile(t, deploy, container, "tls-cert-file", deployServingSecret, "tls.crt")
	checkSecretFile(t, deploy, container, "tls-private-key-file", deployServingSecret, "tls.key")

	for _, as := range apiServices(t, objs) {
		name, _, _ := unstructured.NestedString(as.Object, "spec", "service", "name")
		ns, _, _ := unstructured.NestedString(as.Object, "spec", "service", "namespace")
		if name != svc.GetName() || ns != svc.GetNamespace() {
			t.Errorf("APIService %s points at Service %s/%s, want %s/%s", as.GetName(), ns, name, svc.GetNamespace(), svc.GetName())
		}
	}

	checkAdmissionConfig(t, objs)
	checkImagesPinned(t, objs)
	etcd := checkEtcdWiring(t, objs)
	checkNoPlainHTTP(t, objs)
	checkTLSFlags(t, objs)
	return etcd
}

// checkShutdownFitsGracePeriod: the kubelet's SIGKILL comes after cnat-apiserver has drained. On SIGTERM
// it keeps serving for the shutdown delay, then finishes the requests in flight (up to the request timeout)
// while it ends its watches (up to the watch grace period): terminationGracePeriodSeconds must exceed
// delay + max(timeout, watch grace). The values are the Deployment's flags, or else the aggregated-mode
// defaults the real binary's --help states.
func checkShutdownFitsGracePeriod(t *testing.T, deploy *unstructured.Unstructured) {
	t.Helper()
	binDir := os.Getenv("CP_BIN_DIR") // where local-up built it
	if binDir == "" {
		binDir = filepath.Join(repoRoot, "_output", "bin")
	}
	help, err := exec.Command(filepath.Join(binDir, "cnat-apiserver"), "--help").CombinedOutput()
	if err != nil {
		t.Fatalf("cnat-apiserver --help: %v\n%s", err, help)
	}
	args := containerArgs(onlyContainer(t, deploy))
	value := func(name, defaultPattern string) time.Duration {
		v, given := flag(t, args, name)
		if !given {
			line := regexp.MustCompile(`(?m)^\s*--` + name + ` duration .*$`).Find(help)
			m := regexp.MustCompile(defaultPattern).FindSubmatch(line)
			if m == nil {
				t.Fatalf("cnat-apiserver --help states no %q default for --%s: %q", defaultPattern, name, line)
			}
			v = string(m[1])
		}
		d, err := time.ParseDuration(v)
		if err != nil {
			t.Fatalf("--%s=%s: %v", name, v, err)
		}
		return d
	}
	const aggregated, plain = `defaults to (\S+) in aggregated mode`, `\(default (\S+)\)`
	delay := value("shutdown-delay-duration", aggregated)
	watchGrace := value("shutdown-watch-termination-grace-period", aggregated)
	requestTimeout := value("request-timeout", plain)
	grace, _ := num(field(deploy.Object, "spec", "template", "spec", "terminationGracePeriodSeconds"))
	if need := delay + max(requestTimeout, watchGrace); time.Duration(grace)*time.Second <= need {
		t.Errorf("terminationGracePeriodSeconds %d: SIGKILL would cut requests short, draining takes up to %s (delay %s + max(request timeout %s, watch grace %s))",
			grace, need, delay, requestTimeout, watchGrace)
	}
	if delay == 0 {
		t.Error("no shutdown delay: the aggregator would still send requests to a replica that stopped listening")
	}
}

// checkNoPlainHTTP: no URL in any rendered object is plain HTTP (etcd's client and peer URLs above all),
// except etcd's metrics listener, which the kubelet probes without a client certificate and which reads and
// writes no key.
func checkNoPlainHTTP(t *testing.T, objs []*unstructured.Unstructured) {
	t.Helper()
	var walk func(where string, v any)
	walk = func(where string, v any) {
		switch v := v.(type) {
		case map[string]any:
			for k, x := range v {
				walk(where+"."+k, x)
			}
		case []any:
			for i, x := range v {
				walk(fmt.Sprintf("%s[%d]", where, i), x)
			}
		case string:
			if strings.Contains(strings.ToLower(v), "http://") && !strings.HasPrefix(v, "--listen-metrics-urls=") {
				t.Errorf("%s is plain HTTP: %q", where, v)
			}
		}
	}
	for _, o := range objs {
		walk(o.GetKind()+"/"+o.GetName(), o.Object)
	}
}

// checkServingCert: the Secret the overlay of hack/deploy-certs.sh adds is a TLS key pair for the name
// kube-apiserver verifies, signed by the CA in both APIServices' caBundle.
func checkServingCert(t *testing.T, objs []*unstructured.Unstructured) {
	t.Helper()
	secret := findObject(t, objs, "Secret", deployServingSecret)
	if typ, _, _ := unstructured.NestedString(secret.Object, "type"); typ != "kubernetes.io/tls" {
		t.Errorf("Secret %s has type %q, want kubernetes.io/tls", deployServingSecret, typ)
	}
	data := func(key string) []byte { return secretData(t, objs, deployServingSecret, key) }
	leaf := leafCert(t, data("tls.crt"), data("tls.key"))
	if !slices.Contains(leaf.DNSNames, deployServiceDNS) || !slices.Contains(leaf.DNSNames, deployServiceDNS+".cluster.local") {
		t.Errorf("serving certificate names %v, want %s and %s.cluster.local", leaf.DNSNames, deployServiceDNS, deployServiceDNS)
	}
	for _, as := range apiServices(t, objs) {
		caBundle, _, _ := unstructured.NestedString(as.Object, "spec", "caBundle")
		ca, err := base64.StdEncoding.DecodeString(caBundle)
		if err != nil || len(ca) == 0 {
			t.Fatalf("APIService %s: caBundle %q: %v", as.GetName(), caBundle, err)
		}
		roots := x509.NewCertPool()
		if !roots.AppendCertsFromPEM(ca) {
			t.Fatalf("APIService %s: caBundle is no PEM certificate", as.GetName())
		}
		// What the aggregator's TLS client does.
		if _, err := leaf.Verify(x509.VerifyOptions{DNSName: deployServiceDNS, Roots: roots,
			KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}); err != nil {
			t.Errorf("APIService %s: the serving certificate does not verify with its caBundle: %v", as.GetName(), err)
		}
		if block, _ := pem.Decode(data("ca.crt")); block == nil || !bytes.Contains(ca, pem.EncodeToMemory(block)) {
			t.Errorf("APIService %s: caBundle is not the Secret's ca.crt", as.GetName())
		}
	}
}

// checkCertManager: the Certificate that writes the serving Secret is for the Service's name, and both
// APIServices get their caBundle injected from it (and carry none of their own, which re-applying would
// blank); etcd's certificates (checkCertManagerEtcd).
func checkCertManager(t *testing.T, certManager, objs []*unstructured.Unstructured, etcd etcdDeployment) {
	t.Helper()
	serving := certificateFor(t, certManager, deployServingSecret)
	dnsNames, _, _ := unstructured.NestedStringSlice(serving.Object, "spec", "dnsNames")
	if !slices.Contains(dnsNames, deployServiceDNS) || !slices.Contains(dnsNames, deployServiceDNS+".cluster.local") {
		t.Errorf("Certificate %s is for %v, want %s and %s.cluster.local", serving.GetName(), dnsNames, deployServiceDNS, deployServiceDNS)
	}
	servingCA := caCertificate(t, certManager, serving)
	want := serving.GetNamespace() + "/" + serving.GetName()
	for _, as := range apiServices(t, objs) {
		if got := as.GetAnnotations()["cert-manager.io/inject-ca-from"]; got != want {
			t.Errorf("APIService %s: cert-manager.io/inject-ca-from is %q, want %q", as.GetName(), got, want)
		}
		if _, found, _ := unstructured.NestedFieldNoCopy(as.Object, "spec", "caBundle"); found {
			t.Errorf("APIService %s carries a caBundle: re-applying it would overwrite the injected one", as.GetName())
		}
	}
	checkCertManagerEtcd(t, certManager, etcd, servingCA)
}

// certificateFor is the cert-manager Certificate that writes a Secret.
func certificateFor(t *testing.T, certManager []*unstructured.Unstructured, secret string) *unstructured.Unstructured {
	t.Helper()
	for _, o := range certManager {
		if name, _, _ := unstructured.NestedString(o.Object, "spec", "secretName"); o.GetKind() == "Certificate" && name == secret {
			return o
		}
	}
	t.Fatalf("no cert-manager Certificate writes Secret %s: %v", secret, deployKeys(certManager))
	return nil
}

// caCertificate follows a Certificate's issuer to the CA that signs it: an Issuer of kind CA, whose Secret
// a CA Certificate writes, itself signed by a self-signed Issuer. It returns that CA Certificate.
func caCertificate(t *testing.T, certManager []*unstructured.Unstructured, cert *unstructured.Unstructured) *unstructured.Unstructured {
	t.Helper()
	issuer := func(c *unstructured.Unstructured) *unstructured.Unstructured {
		if kind := field(c.Object, "spec", "issuerRef", "kind"); kind != nil && kind != "Issuer" {
			t.Fatalf("Certificate %s is issued by a %v, want an Issuer of the namespace", c.GetName(), kind)
		}
		name, _, _ := unstructured.NestedString(c.Object, "spec", "issuerRef", "name")
		return findObject(t, certManager, "Issuer", name)
	}
	caSecret, _, _ := unstructured.NestedString(issuer(cert).Object, "spec", "ca", "secretName")
	if caSecret == "" {
		t.Fatalf("Certificate %s is not issued by a CA Issuer", cert.GetName())
	}
	ca := certificateFor(t, certManager, caSecret)
	if field(ca.Object, "spec", "isCA") != true {
		t.Errorf("Certificate %s, the CA of %s, is not a CA", ca.GetName(), cert.GetName())
	}
	if _, selfSigned := field(issuer(ca).Object, "spec", "selfSigned").(map[string]any); !selfSigned {
		t.Errorf("Certificate %s, the CA of %s, is not self-signed", ca.GetName(), cert.GetName())
	}
	return ca
}
