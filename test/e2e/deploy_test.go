package e2e

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
)

// The names the deploy artifacts tie together: kube-apiserver verifies the serving certificate against the
// APIServices' Service as <service>.<namespace>.svc.
const (
	deployGroup         = "cnat.programming-kubernetes.info"
	deployNamespace     = "cnat-system"
	deployServingSecret = "cnat-apiserver-serving"
	deployServiceDNS    = "cnat-apiserver.cnat-system.svc"
)

// TestDeploy: the deploy artifacts of a real cluster (artifacts/deploy, its cert-manager overlay, and the
// overlay hack/deploy-certs.sh writes) render with kubectl's kustomize, fit together, and every object they
// render is accepted by the e2e kube-apiserver in a server-side dry-run (schema, validation, defaulting and
// admission of the real API; nothing is stored). The e2e cluster's only node is simulated (kwok): nothing
// could run here.
func TestDeploy(t *testing.T) {
	base := renderKustomize(t, filepath.Join(repoRoot, "artifacts", "deploy"))

	t.Run("base", func(t *testing.T) {
		checkDeployWiring(t, base)
		dryRunApply(t, base)
	})

	t.Run("deploy-certs", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "deploy")
		out := deployCerts(t, dir)
		if want := "kubectl apply -k " + dir; !strings.Contains(out, want) {
			t.Errorf("hack/deploy-certs.sh does not say %q:\n%s", want, out)
		}
		objs := renderKustomize(t, dir)
		checkDeployWiring(t, objs)
		if got, want := deployKeys(objs), append(deployKeys(base), "Secret/"+deployNamespace+"/"+deployServingSecret); !equalSorted(got, want) {
			t.Errorf("the overlay renders\n%v\nwant artifacts/deploy and the Secret:\n%v", got, want)
		}
		checkServingCert(t, objs)

		// Run again: the CA and a serving certificate valid for long enough are kept (the caBundle of
		// running APIServices must not change behind them).
		crt, err := os.ReadFile(filepath.Join(dir, "serving.crt"))
		if err != nil {
			t.Fatal(err)
		}
		deployCerts(t, dir)
		if again, err := os.ReadFile(filepath.Join(dir, "serving.crt")); err != nil || !bytes.Equal(crt, again) {
			t.Errorf("a second run replaced the serving certificate (err %v)", err)
		}

		dryRunApply(t, objs)
	})

	t.Run("cert-manager", func(t *testing.T) {
		objs := renderKustomize(t, filepath.Join(repoRoot, "artifacts", "deploy", "overlays", "cert-manager"))
		var certManager, rest []*unstructured.Unstructured
		for _, o := range objs {
			if strings.HasPrefix(o.GetAPIVersion(), "cert-manager.io/") {
				certManager = append(certManager, o)
			} else {
				rest = append(rest, o)
			}
		}
		// The overlay lists artifacts/deploy's parts itself (kustomize refuses ../..): the same objects.
		if got, want := deployKeys(rest), deployKeys(base); !equalSorted(got, want) {
			t.Errorf("the overlay renders, besides cert-manager objects,\n%v\nwant those of artifacts/deploy:\n%v", got, want)
		}
		checkDeployWiring(t, rest)
		checkCertManager(t, certManager, rest)
		// Only the non-cert-manager objects: the e2e cluster has no cert-manager CRDs, so the API server
		// would reject Issuers and Certificates as unknown kinds, whatever they say.
		dryRunApply(t, rest)
	})

	// Dry-runs really were dry: the e2e cluster is shared with the other tests.
	for _, obj := range []string{"deployment/cnat-apiserver", "statefulset/cnat-etcd", "secret/" + deployServingSecret,
		"service/" + deployDryRunService} {
		if out, err := kubectlErr("", "get", "-n", deployNamespace, obj); err == nil || !strings.Contains(out, "NotFound") {
			t.Errorf("%s exists after the dry-runs (err %v): %s", obj, err, out)
		}
	}
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
	for _, version := range []string{"v1beta1", "v1alpha1"} {
		services = append(services, findObject(t, objs, "APIService", version+"."+deployGroup))
	}
	return services
}

// checkDeployWiring checks the references between the rendered objects that only fail at run time, in a
// cluster: the Service selects the server's Pods and targets its port, the PodDisruptionBudget covers them,
// the Pods mount the serving Secret and use the ServiceAccount of the RBAC, --etcd-servers names the etcd
// member, the APIServices point at the Service.
func checkDeployWiring(t *testing.T, objs []*unstructured.Unstructured) {
	t.Helper()
	deploy := findObject(t, objs, "Deployment", "cnat-apiserver")
	podLabels, _, _ := unstructured.NestedStringMap(deploy.Object, "spec", "template", "metadata", "labels")
	matches := func(what string, selector map[string]string) {
		if len(selector) == 0 {
			t.Errorf("%s has no selector", what)
		}
		for k, v := range selector {
			if podLabels[k] != v {
				t.Errorf("%s selects %s=%s, the cnat-apiserver Pods are labelled %v", what, k, v, podLabels)
			}
		}
	}
	svc := findObject(t, objs, "Service", "cnat-apiserver")
	selector, _, _ := unstructured.NestedStringMap(svc.Object, "spec", "selector")
	matches("Service cnat-apiserver", selector)
	pdb := findObject(t, objs, "PodDisruptionBudget", "cnat-apiserver")
	selector, _, _ = unstructured.NestedStringMap(pdb.Object, "spec", "selector", "matchLabels")
	matches("PodDisruptionBudget cnat-apiserver", selector)

	containers, _, _ := unstructured.NestedSlice(deploy.Object, "spec", "template", "spec", "containers")
	if len(containers) != 1 {
		t.Fatalf("Deployment cnat-apiserver has %d containers, want 1", len(containers))
	}
	container := containers[0].(map[string]any)
	ports, _, _ := unstructured.NestedSlice(container, "ports")
	svcPorts, _, _ := unstructured.NestedSlice(svc.Object, "spec", "ports")
	if len(svcPorts) != 1 || len(ports) != 1 || svcPorts[0].(map[string]any)["targetPort"] != ports[0].(map[string]any)["name"] {
		t.Errorf("Service ports %v do not target the container ports %v", svcPorts, ports)
	}
	if sa, _, _ := unstructured.NestedString(deploy.Object, "spec", "template", "spec", "serviceAccountName"); sa != "cnat-apiserver" {
		t.Errorf("the Pods run as ServiceAccount %q, want cnat-apiserver (the RBAC's)", sa)
	}
	findObject(t, objs, "ServiceAccount", "cnat-apiserver")

	volumes, _, _ := unstructured.NestedSlice(deploy.Object, "spec", "template", "spec", "volumes")
	mountsSecret := false
	for _, v := range volumes {
		if name, _, _ := unstructured.NestedString(v.(map[string]any), "secret", "secretName"); name == deployServingSecret {
			mountsSecret = true
		}
	}
	if !mountsSecret {
		t.Errorf("the Pods do not mount Secret %s: volumes %v", deployServingSecret, volumes)
	}

	etcd := findObject(t, objs, "StatefulSet", "cnat-etcd")
	etcdService, _, _ := unstructured.NestedString(etcd.Object, "spec", "serviceName")
	findObject(t, objs, "Service", etcdService)
	args, _, _ := unstructured.NestedStringSlice(container, "args")
	wantEtcd := "--etcd-servers=http://" + etcd.GetName() + "-0." + etcdService + "." + etcd.GetNamespace() + ".svc:2379"
	if !slices.Contains(args, wantEtcd) {
		t.Errorf("cnat-apiserver's args %v lack %s", args, wantEtcd)
	}

	for _, as := range apiServices(t, objs) {
		name, _, _ := unstructured.NestedString(as.Object, "spec", "service", "name")
		ns, _, _ := unstructured.NestedString(as.Object, "spec", "service", "namespace")
		if name != svc.GetName() || ns != svc.GetNamespace() {
			t.Errorf("APIService %s points at Service %s/%s, want %s/%s", as.GetName(), ns, name, svc.GetNamespace(), svc.GetName())
		}
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
	data := func(key string) []byte {
		s, _, _ := unstructured.NestedString(secret.Object, "data", key)
		b, err := base64.StdEncoding.DecodeString(s)
		if err != nil || len(b) == 0 {
			t.Fatalf("Secret %s: data %s: %v", deployServingSecret, key, err)
		}
		return b
	}
	pair, err := tls.X509KeyPair(data("tls.crt"), data("tls.key"))
	if err != nil {
		t.Fatalf("Secret %s: %v", deployServingSecret, err)
	}
	leaf := pair.Leaf
	if leaf == nil {
		t.Fatal("no leaf certificate")
	}
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
// blank).
func checkCertManager(t *testing.T, certManager, objs []*unstructured.Unstructured) {
	t.Helper()
	var serving *unstructured.Unstructured
	for _, o := range certManager {
		if name, _, _ := unstructured.NestedString(o.Object, "spec", "secretName"); o.GetKind() == "Certificate" && name == deployServingSecret {
			serving = o
		}
	}
	if serving == nil {
		t.Fatalf("no cert-manager Certificate writes Secret %s: %v", deployServingSecret, deployKeys(certManager))
	}
	dnsNames, _, _ := unstructured.NestedStringSlice(serving.Object, "spec", "dnsNames")
	if !slices.Contains(dnsNames, deployServiceDNS) || !slices.Contains(dnsNames, deployServiceDNS+".cluster.local") {
		t.Errorf("Certificate %s is for %v, want %s and %s.cluster.local", serving.GetName(), dnsNames, deployServiceDNS, deployServiceDNS)
	}
	issuer, _, _ := unstructured.NestedString(serving.Object, "spec", "issuerRef", "name")
	findObject(t, certManager, "Issuer", issuer)
	want := serving.GetNamespace() + "/" + serving.GetName()
	for _, as := range apiServices(t, objs) {
		if got := as.GetAnnotations()["cert-manager.io/inject-ca-from"]; got != want {
			t.Errorf("APIService %s: cert-manager.io/inject-ca-from is %q, want %q", as.GetName(), got, want)
		}
		if _, found, _ := unstructured.NestedFieldNoCopy(as.Object, "spec", "caBundle"); found {
			t.Errorf("APIService %s carries a caBundle: re-applying it would overwrite the injected one", as.GetName())
		}
	}
}
