package standalone

import (
	"k8s.io/apiserver/pkg/apis/apiserver"
	"k8s.io/apiserver/pkg/authentication/authenticatorfactory"
	genericapiserver "k8s.io/apiserver/pkg/server"
	"k8s.io/apiserver/pkg/server/dynamiccertificates"
)

// healthPaths may be read anonymously, so that probes need no certificate.
var healthPaths = []string{"/healthz", "/livez", "/readyz"}

// ApplyAuthentication authenticates client certificates signed by the client CA. Anonymous requests are
// accepted only on the health paths and answered 401 everywhere else, since with no cluster behind the
// server there is no one an anonymous user could be authorized as.
func (p PKI) ApplyAuthentication(info *genericapiserver.AuthenticationInfo, serving *genericapiserver.SecureServingInfo) error {
	clientCA, err := dynamiccertificates.NewDynamicCAContentFromFile("client-ca", p.ClientCACert())
	if err != nil {
		return err
	}
	anonymous := &apiserver.AnonymousAuthConfig{Enabled: true}
	for _, path := range healthPaths {
		anonymous.Conditions = append(anonymous.Conditions, apiserver.AnonymousAuthCondition{Path: path})
	}
	cfg := authenticatorfactory.DelegatingAuthenticatorConfig{
		Anonymous:                          anonymous,
		ClientCertificateCAContentProvider: clientCA,
	}
	authenticator, _, err := cfg.New()
	if err != nil {
		return err
	}
	info.Authenticator = authenticator
	// Have TLS ask for client certificates signed by this CA.
	return info.ApplyClientCert(clientCA, serving)
}
