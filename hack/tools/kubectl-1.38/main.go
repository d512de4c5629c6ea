// Command kubectl is kubectl 1.38, one minor newer than the newest control plane cnat is tested behind: the
// version-skew smoke (test/skew) runs it against cnat. No k8s.io/kubernetes 1.38 is served by the Go module
// proxy, so this is kubectl's own main (k8s.io/kubernetes/cmd/kubectl) over the k8s.io/kubectl module.
// Built by hack/build-control-plane.sh kubectl-1.38.
package main

import (
	"os"

	"k8s.io/component-base/cli"
	"k8s.io/component-base/logs"
	"k8s.io/kubectl/pkg/cmd"
	"k8s.io/kubectl/pkg/cmd/util"

	// Client auth plugins, as in upstream's kubectl.
	_ "k8s.io/client-go/plugin/pkg/client/auth"
)

func main() {
	// Verbosity before the command is built, as upstream does: building it already logs.
	logs.GlogSetter(cmd.GetLogVerbosity(os.Args)) //nolint:errcheck
	command := cmd.NewDefaultKubectlCommand()
	if err := cli.RunNoErrOutput(command); err != nil {
		util.CheckErr(err)
	}
}
