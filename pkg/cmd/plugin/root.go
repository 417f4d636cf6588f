// Package plugin is `kubectl capstan`, the kubectl plugin for Capstan: Argo
// CD's `argocd app ...` verbs over Capstan's API (get with the resource tree,
// sync, wait, diff, history, rollback, terminate, manifests, refresh,
// delete), previews of ApplicationSets, onboarding of clusters and repositories, conversion of Argo CD
// manifests and shell completion, with kubectl's flags (--kubeconfig,
// --context, -n, -o) and printers.
package plugin

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/cli-runtime/pkg/genericiooptions"
)

// ExitError ends the command with Code; Err, when set, is printed first.
type ExitError struct {
	Code int
	Err  error
}

func (e *ExitError) Error() string {
	if e.Err == nil {
		return fmt.Sprintf("exit status %d", e.Code)
	}
	return e.Err.Error()
}

func (e *ExitError) Unwrap() error { return e.Err }

// Main runs the plugin with args and returns its exit code: 0 on success,
// 1 on error (printed as kubectl prints errors), or the code of an
// ExitError. Invoked as kubectl_complete-capstan (kubectl's plugin
// completion), it answers completions.
func Main(args []string, streams genericiooptions.IOStreams) int {
	root := NewRootCommand(streams)
	if len(args) > 0 && strings.HasPrefix(filepath.Base(args[0]), "kubectl_complete-") {
		args = append([]string{args[0], cobra.ShellCompRequestCmd}, args[1:]...)
	}
	if len(args) > 0 {
		root.SetArgs(args[1:])
	}
	err := root.Execute()
	if err == nil {
		return 0
	}
	var exit *ExitError
	if errors.As(err, &exit) {
		if exit.Err != nil {
			fmt.Fprintf(streams.ErrOut, "error: %v\n", exit.Err)
		}
		return exit.Code
	}
	fmt.Fprintf(streams.ErrOut, "error: %v\n", err)
	return 1
}

// NewRootCommand returns `kubectl capstan` with every verb.
func NewRootCommand(streams genericiooptions.IOStreams) *cobra.Command {
	root := &cobra.Command{
		Use: "kubectl-capstan",
		// kubectl runs kubectl-capstan for `kubectl capstan`: help shows the latter.
		Annotations: map[string]string{cobra.CommandDisplayNameAnnotation: "kubectl capstan"},
		Short:       "GitOps with Capstan: Argo CD's Applications served by Kubernetes",
		Long: "kubectl capstan works with Capstan's Applications as argocd app does with Argo CD's: " +
			"see their resource trees, sync and wait for them, diff, roll back, refresh, delete, preview ApplicationSets, and add clusters and repositories.",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetIn(streams.In)
	root.SetOut(streams.Out)
	root.SetErr(streams.ErrOut)
	c := newClients(genericclioptions.NewConfigFlags(true), streams)
	c.configFlags.AddFlags(root.PersistentFlags())
	root.AddCommand(
		newGetCommand(c),
		newSyncCommand(c),
		newWaitCommand(c),
		newDiffCommand(c),
		newHistoryCommand(c),
		newRollbackCommand(c),
		newTerminateCommand(c),
		newManifestsCommand(c),
		newParamsCommand(c),
		newRefreshCommand(c),
		newDeleteCommand(c),
		newAppSetCommand(c),
		newClusterCommand(c),
		newRepoCommand(c),
		newConvertCommand(),
		newDashboardCommand(c),
		newCompletionCommand(root),
	)
	return root
}

// Run is main for cmd/kubectl-capstan.
func Run() {
	os.Exit(Main(os.Args, genericiooptions.IOStreams{In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr}))
}
