package options

import "github.com/spf13/pflag"

// strongCipherSuites are the TLS 1.2 cipher suites cnat-apiserver accepts unless --tls-cipher-suites says
// otherwise: forward secrecy (ECDHE) and authenticated encryption (GCM, ChaCha20-Poly1305), for ECDSA and
// RSA certificates alike. Go's own default adds the CBC suites with SHA-1 MACs, which security reviews flag.
// TLS 1.3, which Go clients negotiate, has only suites of this kind and ignores the list.
//
// TLS 1.0 and 1.1 are refused without a flag too: k8s.io/apiserver serves TLS 1.2 at least.
var strongCipherSuites = []string{
	"TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
	"TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
	"TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
	"TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
	"TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
	"TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
}

// describeTLSDefaults corrects --tls-cipher-suites' help, which says Go's suites are the default.
func describeTLSDefaults(fs *pflag.FlagSet) {
	if f := fs.Lookup("tls-cipher-suites"); f != nil {
		f.Usage += " cnat-apiserver: without the flag, the ECDHE suites with GCM or ChaCha20-Poly1305 only, not Go's default."
	}
}
