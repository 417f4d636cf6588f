package plugin

import (
	"fmt"

	"github.com/spf13/cobra"
)

func newCompletionCommand(root *cobra.Command) *cobra.Command {
	return &cobra.Command{
		Use:   "completion bash|zsh",
		Short: "Print the shell completion script of kubectl capstan",
		Long: "completion prints a completion script for kubectl-capstan, completing verbs, flags and Application names " +
			"(from the cluster). For `kubectl capstan <TAB>`, kubectl (1.26 and later) runs kubectl_complete-capstan: make it " +
			"a link to kubectl-capstan on your PATH.",
		Example: "  source <(kubectl capstan completion bash)\n" +
			"  kubectl capstan completion zsh > \"${fpath[1]}/_kubectl-capstan\"\n" +
			"  ln -s \"$(command -v kubectl-capstan)\" \"$(dirname \"$(command -v kubectl-capstan)\")/kubectl_complete-capstan\"",
		Args:      cobra.ExactArgs(1),
		ValidArgs: []string{"bash", "zsh"},
		RunE: func(cmd *cobra.Command, args []string) error {
			switch args[0] {
			case "bash":
				return root.GenBashCompletionV2(cmd.OutOrStdout(), true)
			case "zsh":
				return root.GenZshCompletion(cmd.OutOrStdout())
			}
			return fmt.Errorf("shell %q: bash or zsh", args[0])
		},
	}
}
