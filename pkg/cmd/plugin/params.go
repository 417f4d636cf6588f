package plugin

import (
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/spf13/cobra"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/cli-runtime/pkg/printers"
	"k8s.io/client-go/rest"
	"k8s.io/utils/ptr"

	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
)

func newParamsCommand(c *clients) *cobra.Command {
	var revision string
	var hard bool
	printFlags := genericclioptions.NewPrintFlags("")
	cmd := &cobra.Command{
		Use:     "params NAME [--revision REV] [-o yaml|json]",
		Aliases: []string{"parameters"},
		Short:   "Print the parameters an Application's config management plugins announce",
		Long: "params prints the parameters the config management plugins of the Application's sources announce " +
			"(their static announcements and what their parameters.dynamic command prints for the source, as argocd app get --show-params shows them), " +
			"with each one's default and the value the Application sets. -o yaml|json prints the ApplicationParameters object.",
		Example:           "  kubectl capstan params guestbook\n  kubectl capstan params guestbook --revision v1.2.0 -o yaml",
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
			params := &v1alpha1.ApplicationParameters{}
			request := subresourceRequest(client.CapstanV1alpha1().RESTClient(), namespace, args[0], "parameters", revision, hard)
			if err := request.Do(cmd.Context()).Into(params); err != nil {
				return err
			}
			if format := *printFlags.OutputFormat; format != "" {
				return printObject(printFlags, params, c.streams.Out)
			}
			app, err := client.CapstanV1alpha1().Applications(namespace).Get(cmd.Context(), args[0], metav1.GetOptions{})
			if err != nil {
				return err
			}
			return printParameters(c.streams.Out, app, params)
		},
	}
	cmd.Flags().StringVar(&revision, "revision", "", "Announcements at this revision instead of the targetRevision.")
	cmd.Flags().BoolVar(&hard, "hard-refresh", false, "Resolve the revision again, bypassing the cache.")
	printFlags.AddFlags(cmd)
	return cmd
}

// subresourceRequest is a GET of an Application's subresource with the
// ?revision= and ?refresh=hard the manifests and parameters subresources take.
func subresourceRequest(client rest.Interface, namespace, name, subresource, revision string, hard bool) *rest.Request {
	request := client.Get().Namespace(namespace).Resource("applications").Name(name).SubResource(subresource)
	if revision != "" {
		request = request.Param("revision", revision)
	}
	if hard {
		request = request.Param("refresh", "hard")
	}
	return request
}

// printParameters writes one row per announced parameter, with the value the
// Application's source sets, if any.
func printParameters(out io.Writer, app *v1alpha1.Application, params *v1alpha1.ApplicationParameters) error {
	if len(params.Sources) == 0 {
		_, err := fmt.Fprintf(out, "application.capstan.dev/%s has no config management plugin source\n", app.Name)
		return err
	}
	sources := app.Spec.Sources
	if len(sources) == 0 && app.Spec.Source != nil {
		sources = []v1alpha1.ApplicationSource{*app.Spec.Source}
	}
	w := printers.GetNewTabWriter(out)
	fmt.Fprintln(w, "SOURCE\tPLUGIN\tNAME\tTITLE\tREQUIRED\tTYPE\tDEFAULT\tVALUE")
	for _, source := range params.Sources {
		values := map[string]string{}
		if i := int(source.Index); i < len(sources) && sources[i].Plugin != nil {
			for _, param := range sources[i].Plugin.Parameters {
				values[param.Name] = parameterValue(ptr.Deref(param.String, ""), optionalArray(param.OptionalArray), optionalMap(param.OptionalMap))
			}
		}
		for _, p := range source.Parameters {
			kind := orDefault(p.CollectionType, "string")
			if p.ItemType != "" && p.ItemType != "string" {
				kind += "/" + p.ItemType
			}
			value, set := values[p.Name]
			if !set {
				value = "-"
			}
			fmt.Fprintf(w, "%d\t%s\t%s\t%s\t%t\t%s\t%s\t%s\n", source.Index+1, source.Plugin, p.Name, orDefault(p.Title, "-"), p.Required, kind,
				orDefault(parameterValue(p.String, p.Array, p.Map), "-"), value)
		}
	}
	return w.Flush()
}

func optionalArray(a *v1alpha1.OptionalArray) []string {
	if a == nil {
		return nil
	}
	return a.Array
}

func optionalMap(m *v1alpha1.OptionalMap) map[string]string {
	if m == nil {
		return nil
	}
	return m.Map
}

// parameterValue shows a string, an array as [a,b] or a map as k=v,...
func parameterValue(s string, array []string, m map[string]string) string {
	switch {
	case array != nil:
		return "[" + strings.Join(array, ",") + "]"
	case m != nil:
		keys := make([]string, 0, len(m))
		for key := range m {
			keys = append(keys, key)
		}
		sort.Strings(keys)
		pairs := make([]string, len(keys))
		for i, key := range keys {
			pairs[i] = key + "=" + m[key]
		}
		return strings.Join(pairs, ",")
	}
	return s
}
