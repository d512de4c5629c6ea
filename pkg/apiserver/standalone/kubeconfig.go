package standalone

import (
	"os"

	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// WriteAdminKubeconfig writes a kubeconfig for serverURL that trusts the serving CA and authenticates with the
// admin certificate, with everything embedded, so that `kubectl --kubeconfig` uses it as it is from anywhere.
func (p PKI) WriteAdminKubeconfig(path, serverURL string) error {
	ca, err := os.ReadFile(p.ServingCACert())
	if err != nil {
		return err
	}
	cert, err := os.ReadFile(p.AdminCert())
	if err != nil {
		return err
	}
	key, err := os.ReadFile(p.AdminKey())
	if err != nil {
		return err
	}
	const name = "cnat"
	config := clientcmdapi.Config{
		Clusters:       map[string]*clientcmdapi.Cluster{name: {Server: serverURL, CertificateAuthorityData: ca}},
		AuthInfos:      map[string]*clientcmdapi.AuthInfo{AdminUser: {ClientCertificateData: cert, ClientKeyData: key}},
		Contexts:       map[string]*clientcmdapi.Context{name: {Cluster: name, AuthInfo: AdminUser, Namespace: "default"}},
		CurrentContext: name,
	}
	return clientcmd.WriteToFile(config, path)
}
