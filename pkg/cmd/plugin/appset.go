package plugin

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	kjson "k8s.io/apimachinery/pkg/runtime/serializer/json"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/cli-runtime/pkg/printers"

	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
	"capstan.dev/capstan/pkg/convert"
)

func newAppSetCommand(c *clients) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "appset",
		Aliases: []string{"applicationset"},
		Short:   "Work with ApplicationSets",
	}
	cmd.AddCommand(newAppSetPreviewCommand(c))
	return cmd
}

func newAppSetPreviewCommand(c *clients) *cobra.Command {
	printFlags := genericclioptions.NewPrintFlags("")
	var file string
	cmd := &cobra.Command{
		Use:   "preview (NAME | -f FILE) [-o yaml|json]",
		Short: "Show the Applications an ApplicationSet generates now, and what the controller would do to each",
		Long: "preview runs the generators of the ApplicationSet NAME now, or of the candidate ApplicationSet in FILE (YAML or " +
			"JSON, Capstan's or Argo CD's apiVersion; '-' is standard input) without saving it, through the " +
			"applicationsets/preview subresource, and prints one row per Application: the action the ApplicationSet " +
			"controller would take (Create, Update, Delete, Unchanged, Kept when its policy forbids the change, Refused when " +
			"the project refuses it), its name, project and destination. Nothing is written. -o yaml|json prints the whole " +
			"preview, with the generated Applications and the diff of each update.",
		Example: "  kubectl capstan appset preview guestbooks -n argocd\n" +
			"  kubectl capstan appset preview -f appset.yaml\n" +
			"  kubectl capstan appset preview -f appset.yaml -o yaml",
		Args: func(cmd *cobra.Command, args []string) error {
			switch {
			case file == "" && len(args) != 1:
				return fmt.Errorf("give the name of an ApplicationSet, or a candidate with -f FILE")
			case file != "" && len(args) > 0:
				return fmt.Errorf("give either a name or -f FILE, not both")
			}
			return nil
		},
		ValidArgsFunction: c.completeAppSetNames,
		RunE: func(cmd *cobra.Command, args []string) error {
			preview, err := c.previewAppSet(cmd.Context(), args, file, cmd.InOrStdin())
			if err != nil {
				return err
			}
			if *printFlags.OutputFormat != "" {
				return printObject(printFlags, preview, c.streams.Out)
			}
			if len(preview.Items) == 0 {
				fmt.Fprintf(c.streams.ErrOut, "ApplicationSet %s generates no Applications.\n", preview.Name)
				return nil
			}
			return printAppSetPreview(c.streams.Out, preview)
		},
	}
	cmd.Flags().StringVarP(&file, "filename", "f", "", "File holding a candidate ApplicationSet to preview instead of a stored one; '-' is standard input.")
	_ = cmd.MarkFlagFilename("filename", "yaml", "yml", "json")
	printFlags.AddFlags(cmd)
	return cmd
}

// previewAppSet asks for the preview of the stored ApplicationSet args[0],
// or of the candidate in file.
func (c *clients) previewAppSet(ctx context.Context, args []string, file string, stdin io.Reader) (*v1alpha1.ApplicationSetPreview, error) {
	namespace, explicit, err := c.configFlags.ToRawKubeConfigLoader().Namespace()
	if err != nil {
		return nil, err
	}
	client, err := c.capstan()
	if err != nil {
		return nil, err
	}
	if file == "" {
		return client.CapstanV1alpha1().ApplicationSets(namespace).GetPreview(ctx, args[0], metav1.GetOptions{})
	}
	candidate, err := readCandidate(file, stdin)
	if err != nil {
		return nil, err
	}
	switch {
	case candidate.Namespace == "":
		candidate.Namespace = namespace
	case explicit && candidate.Namespace != namespace:
		return nil, fmt.Errorf("%s: the ApplicationSet's namespace %q does not match the namespace %q given with -n", file, candidate.Namespace, namespace)
	}
	return client.CapstanV1alpha1().ApplicationSets(candidate.Namespace).Preview(ctx, candidate.Name, candidate, metav1.CreateOptions{})
}

// strictDecoder decodes the plugin's kinds, refusing unknown and duplicate
// fields with their paths.
var strictDecoder = kjson.NewSerializerWithOptions(kjson.DefaultMetaFactory, scheme, scheme, kjson.SerializerOptions{Strict: true})

// readCandidate reads the one ApplicationSet of file ('-': stdin), in
// Capstan's apiVersion or Argo CD's, refusing unknown fields.
func readCandidate(file string, stdin io.Reader) (*v1alpha1.ApplicationSet, error) {
	in := stdin
	if file != "-" {
		f, err := os.Open(file)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		in = f
	}
	var converted bytes.Buffer
	if _, err := convert.Convert(in, &converted, file); err != nil {
		return nil, err
	}
	decoder := utilyaml.NewYAMLOrJSONDecoder(&converted, 4096)
	var candidate *v1alpha1.ApplicationSet
	for {
		var document map[string]any
		if err := decoder.Decode(&document); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			return nil, fmt.Errorf("%s: %w", file, err)
		}
		if document == nil {
			continue
		}
		if candidate != nil {
			return nil, fmt.Errorf("%s: holds more than one document; preview takes one ApplicationSet", file)
		}
		apiVersion, _ := document["apiVersion"].(string)
		kind, _ := document["kind"].(string)
		if apiVersion != v1alpha1.SchemeGroupVersion.String() || kind != "ApplicationSet" {
			found := orDefault(strings.TrimSpace(apiVersion+" "+kind), "no apiVersion and kind")
			return nil, fmt.Errorf("%s: holds %s, not an ApplicationSet of apiVersion %s or argoproj.io/v1alpha1", file, found, v1alpha1.SchemeGroupVersion)
		}
		data, err := json.Marshal(document)
		if err != nil {
			return nil, err
		}
		candidate = &v1alpha1.ApplicationSet{}
		if _, _, err := strictDecoder.Decode(data, nil, candidate); err != nil {
			return nil, fmt.Errorf("%s: %w", file, err)
		}
		if candidate.Name == "" {
			return nil, fmt.Errorf("%s: metadata.name: the ApplicationSet needs a name", file)
		}
	}
	if candidate == nil {
		return nil, fmt.Errorf("%s: holds no ApplicationSet", file)
	}
	return candidate, nil
}

// printAppSetPreview writes one row per Application: ACTION, NAME,
// PROJECT, DESTINATION (server or name, and namespace) and MESSAGE.
func printAppSetPreview(out io.Writer, preview *v1alpha1.ApplicationSetPreview) error {
	w := printers.GetNewTabWriter(out)
	fmt.Fprintln(w, "ACTION\tNAME\tPROJECT\tDESTINATION\tMESSAGE")
	for _, item := range preview.Items {
		project, destination := "", ""
		if app := item.Application; app != nil {
			project = app.Spec.Project
			destination = orDefault(app.Spec.Destination.Server, app.Spec.Destination.Name) + "/" + app.Spec.Destination.Namespace
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\n", item.Action, item.Name, project, destination, oneLine(item.Message))
	}
	return w.Flush()
}

// completeAppSetNames completes ApplicationSet names of the namespace.
func (c *clients) completeAppSetNames(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
	if len(args) > 0 {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	namespace, err := c.namespace()
	if err != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	client, err := c.capstan()
	if err != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	list, err := client.CapstanV1alpha1().ApplicationSets(namespace).List(cmd.Context(), metav1.ListOptions{})
	if err != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	names := make([]string, 0, len(list.Items))
	for _, appSet := range list.Items {
		names = append(names, appSet.Name)
	}
	return completeFrom(names, args, toComplete)
}
