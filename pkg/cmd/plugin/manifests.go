package plugin

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"
	"sigs.k8s.io/yaml"

	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
)

func newManifestsCommand(c *clients) *cobra.Command {
	var revision string
	var hard bool
	cmd := &cobra.Command{
		Use:   "manifests NAME [--revision REV]",
		Short: "Print the rendered target manifests of an Application",
		Long: "manifests prints, as YAML documents, the objects the Application's sources render at its target revision " +
			"(or --revision), before Capstan adds its tracking; Secret values are masked.",
		Example:           "  kubectl capstan manifests guestbook\n  kubectl capstan manifests guestbook --revision v1.2.0 | kubectl apply --dry-run=server -f -",
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: c.completeApplicationNames,
		RunE: func(cmd *cobra.Command, args []string) error {
			client, err := c.capstan()
			if err != nil {
				return err
			}
			namespace, err := c.namespace()
			if err != nil {
				return err
			}
			request := subresourceRequest(client.CapstanV1alpha1().RESTClient(), namespace, args[0], "manifests", revision, hard)
			manifests := &v1alpha1.ApplicationManifests{}
			if err := request.Do(cmd.Context()).Into(manifests); err != nil {
				return err
			}
			return printManifests(c.streams.Out, manifests)
		},
	}
	cmd.Flags().StringVar(&revision, "revision", "", "Render this revision instead of the targetRevision.")
	cmd.Flags().BoolVar(&hard, "hard-refresh", false, "Resolve and render again, bypassing the caches.")
	return cmd
}

// printManifests writes the manifests as YAML documents.
func printManifests(out io.Writer, manifests *v1alpha1.ApplicationManifests) error {
	for i, manifest := range manifests.Manifests {
		data, err := yaml.JSONToYAML(manifest.Raw)
		if err != nil {
			return fmt.Errorf("manifest %d: %w", i+1, err)
		}
		if i > 0 {
			fmt.Fprintln(out, "---")
		}
		if _, err := out.Write(data); err != nil {
			return err
		}
	}
	return nil
}
