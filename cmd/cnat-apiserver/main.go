// Command cnat-apiserver serves the At API of cnat.programming-kubernetes.info.
package main

import (
	"os"

	genericapiserver "k8s.io/apiserver/pkg/server"
	"k8s.io/component-base/cli"

	"github.com/programming-kubernetes/cnat/cmd/cnat-apiserver/app"
	"github.com/programming-kubernetes/cnat/pkg/apiserver/options"
)

func main() {
	ctx := genericapiserver.SetupSignalContext()
	os.Exit(cli.Run(app.NewCommand(ctx, options.NewOptions())))
}
