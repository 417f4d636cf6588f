// Command capstan-apiserver serves the capstan.dev API and runs its controllers.
package main

import (
	"os"

	genericapiserver "k8s.io/apiserver/pkg/server"
	"k8s.io/component-base/cli"

	"capstan.dev/capstan/pkg/cmd/server"
)

func main() {
	ctx := genericapiserver.SetupSignalContext()
	options := server.NewOptions(os.Stdout, os.Stderr)
	os.Exit(cli.Run(server.NewCommand(ctx, options)))
}
