// Package encryptionconfig writes the EncryptionConfiguration files of the encryption-at-rest tests: the
// secretbox provider for ats, as docs/operations.md and the deployment's component configure it.
package encryptionconfig

import (
	"fmt"
	"strings"
)

// Keys are test keys by name: 32 bytes each, base64, as secretbox takes them.
var Keys = map[string]string{
	"key1": "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=",
	"key2": "ZmVkY2JhOTg3NjU0MzIxMGZlZGNiYTk4NzY1NDMyMTA=",
}

// For returns an EncryptionConfiguration for ats with the named keys of Keys, the first of which encrypts;
// with identity, data written before encryption (or in clear) stays readable.
func For(identity bool, keys ...string) string {
	var b strings.Builder
	b.WriteString("apiVersion: apiserver.config.k8s.io/v1\nkind: EncryptionConfiguration\nresources:\n")
	b.WriteString("- resources: [ats.cnat.programming-kubernetes.info]\n  providers:\n  - secretbox:\n      keys:\n")
	for _, k := range keys {
		fmt.Fprintf(&b, "      - name: %s\n        secret: %s\n", k, Keys[k])
	}
	if identity {
		b.WriteString("  - identity: {}\n")
	}
	return b.String()
}

// Prefix is what a value encrypted with the named key starts with in etcd.
func Prefix(key string) string { return "k8s:enc:secretbox:v1:" + key + ":" }
