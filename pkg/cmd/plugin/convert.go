package plugin

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"capstan.dev/capstan/pkg/convert"
)

func newConvertCommand() *cobra.Command {
	var files []string
	cmd := &cobra.Command{
		Use:   "convert [-f FILE]...",
		Short: "Rewrite Argo CD manifests (argoproj.io/v1alpha1) as Capstan manifests",
		Long: "convert reads YAML or JSON documents from the files given with -f (or standard input " +
			"when none or '-' is given) and writes them to standard output. Applications, ApplicationSets " +
			"and AppProjects of argoproj.io/v1alpha1 get apiVersion capstan.dev/v1alpha1; AppProjects " +
			"lose metadata.namespace because Capstan's AppProject is cluster-scoped. Other documents " +
			"are written unchanged.",
		Example: "  kubectl capstan convert -f argocd-apps.yaml | kubectl apply -f -",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(files) == 0 {
				files = []string{"-"}
			}
			var total convert.Stats
			for i, name := range files {
				if i > 0 {
					fmt.Fprintln(cmd.OutOrStdout(), "---")
				}
				stats, err := convertFile(cmd, name)
				if err != nil {
					return err
				}
				total.Converted += stats.Converted
				total.Unchanged += stats.Unchanged
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "converted %d document(s), %d left unchanged\n", total.Converted, total.Unchanged)
			return nil
		},
	}
	cmd.Flags().StringSliceVarP(&files, "filename", "f", nil, "File to convert; '-' is standard input. Repeatable.")
	return cmd
}

func convertFile(cmd *cobra.Command, name string) (convert.Stats, error) {
	if name == "-" {
		return convert.Convert(cmd.InOrStdin(), cmd.OutOrStdout(), "<stdin>")
	}
	f, err := os.Open(name)
	if err != nil {
		return convert.Stats{}, err
	}
	defer f.Close()
	return convert.Convert(f, cmd.OutOrStdout(), name)
}
