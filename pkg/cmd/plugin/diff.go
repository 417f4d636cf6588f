package plugin

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
	"capstan.dev/capstan/pkg/cluster"
	"capstan.dev/capstan/pkg/render"
)

// diffOptions are the flags of `diff`.
type diffOptions struct {
	revision  string
	hard      bool
	local     string
	localRoot string
}

func newDiffCommand(c *clients) *cobra.Command {
	var o diffOptions
	cmd := &cobra.Command{
		Use:   "diff NAME [--revision REV] [--local DIR [--local-repo-root ROOT]]",
		Short: "Show how the target state differs from the live state",
		Long: "diff prints, for every resource of the Application NAME whose live state differs from its target state, a " +
			"unified diff from live to target, computed by the server exactly as its comparison does (normalization, " +
			"ignoreDifferences, Secret values masked, only the live objects you may read). With --local the target state " +
			"is rendered here from the files in DIR, with the Application's source options, instead of from its repository " +
			"(--local-repo-root is the repository root DIR lies in, for Helm value files and Kustomize bases outside DIR). " +
			"The exit code is 0 without differences, 1 with differences and 2 on errors, as kubectl diff.",
		Example: "  kubectl capstan diff guestbook\n  kubectl capstan diff guestbook --revision feature\n" +
			"  kubectl capstan diff guestbook --local ./guestbook",
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: c.completeApplicationNames,
		RunE: func(cmd *cobra.Command, args []string) error {
			diff, err := o.run(cmd.Context(), c, args[0])
			if err != nil {
				return &ExitError{Code: 2, Err: err}
			}
			if printDiff(c.streams.Out, diff) {
				return &ExitError{Code: 1}
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&o.revision, "revision", "", "Compare the target state at this revision instead of the targetRevision.")
	cmd.Flags().BoolVar(&o.hard, "hard-refresh", false, "Resolve and render again, bypassing the caches.")
	cmd.Flags().StringVar(&o.local, "local", "", "Render the target state from the files in this directory.")
	cmd.Flags().StringVar(&o.localRoot, "local-repo-root", "", "Repository root that --local lies in (default: the --local directory).")
	_ = cmd.MarkFlagDirname("local")
	_ = cmd.MarkFlagDirname("local-repo-root")
	return cmd
}

// run asks the server for the diff: of the Application's target state, or
// of the manifests rendered from --local.
func (o *diffOptions) run(ctx context.Context, c *clients, name string) (*v1alpha1.ApplicationDiff, error) {
	client, err := c.capstan()
	if err != nil {
		return nil, err
	}
	namespace, err := c.namespace()
	if err != nil {
		return nil, err
	}
	apps := client.CapstanV1alpha1().Applications(namespace)
	if o.local == "" {
		if o.localRoot != "" {
			return nil, fmt.Errorf("--local-repo-root is only used with --local")
		}
		diff := &v1alpha1.ApplicationDiff{}
		request := client.CapstanV1alpha1().RESTClient().Get().Namespace(namespace).Resource("applications").Name(name).SubResource("diff")
		if o.revision != "" {
			request = request.Param("revision", o.revision)
		}
		if o.hard {
			request = request.Param("refresh", "hard")
		}
		return diff, request.Do(ctx).Into(diff)
	}
	if o.revision != "" {
		return nil, fmt.Errorf("--revision cannot be used with --local")
	}
	app, err := apps.Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return nil, err
	}
	manifests, err := o.renderLocal(ctx, c, app)
	if err != nil {
		return nil, err
	}
	request := &v1alpha1.ApplicationDiffRequest{ObjectMeta: metav1.ObjectMeta{Name: name}, Manifests: manifests}
	request.SetGroupVersionKind(v1alpha1.SchemeGroupVersion.WithKind("ApplicationDiffRequest"))
	return apps.DiffManifests(ctx, name, request, metav1.CreateOptions{})
}

// renderLocal renders the files of --local with the Application's source
// options, as its repository would be rendered.
func (o *diffOptions) renderLocal(ctx context.Context, c *clients, app *v1alpha1.Application) ([]runtime.RawExtension, error) {
	if app.Spec.Source == nil || len(app.Spec.Sources) > 0 {
		return nil, fmt.Errorf("--local works with single-source Applications only")
	}
	if app.Spec.Source.Chart != "" {
		return nil, fmt.Errorf("--local renders files from Git: the Application's source is the Helm chart %s", app.Spec.Source.Chart)
	}
	dir, err := filepath.Abs(o.local)
	if err != nil {
		return nil, err
	}
	root := dir
	if o.localRoot != "" {
		if root, err = filepath.Abs(o.localRoot); err != nil {
			return nil, err
		}
	}
	relative, err := filepath.Rel(root, dir)
	if err != nil || relative == ".." || strings.HasPrefix(relative, ".."+string(filepath.Separator)) {
		return nil, fmt.Errorf("--local %s is not inside --local-repo-root %s", o.local, o.localRoot)
	}
	if info, err := os.Stat(dir); err != nil || !info.IsDir() {
		return nil, fmt.Errorf("--local %s: not a directory", o.local)
	}
	source := *app.Spec.Source
	source.Path = filepath.ToSlash(relative)
	request := render.Request{
		Source: source, Repo: os.DirFS(root), Revision: "local",
		AppName: app.Name, AppNamespace: app.Namespace, Project: app.Spec.Project,
		DestinationNamespace: app.Spec.Destination.Namespace, DestinationServer: app.Spec.Destination.Server,
	}
	if readsCurrentCluster(app) {
		if kube, err := c.kube(); err == nil {
			request.KubeVersion, request.APIVersions, _ = cluster.DiscoverVersions(kube.Discovery())
		}
	}
	result, err := render.NewRenderer(render.Options{}).Render(ctx, request)
	if err != nil {
		return nil, fmt.Errorf("render --local %s: %w", o.local, err)
	}
	manifests := make([]runtime.RawExtension, 0, len(result.Objects))
	for _, obj := range result.Objects {
		data, err := obj.MarshalJSON()
		if err != nil {
			return nil, err
		}
		manifests = append(manifests, runtime.RawExtension{Raw: data})
	}
	return manifests, nil
}

// printDiff writes each resource that differs as kubectl diff does, and
// reports whether any differs.
func printDiff(out io.Writer, diff *v1alpha1.ApplicationDiff) bool {
	differs := false
	for _, item := range diff.Items {
		changed := item.Diff != "" || item.Status == "Missing" || item.Status == "RequiresPruning"
		if !changed && item.Message == "" {
			continue
		}
		differs = differs || changed
		kind := item.Kind
		if item.Group != "" {
			kind += "." + item.Group
		}
		name := item.Name
		if item.Namespace != "" {
			name = item.Namespace + "/" + item.Name
		}
		fmt.Fprintf(out, "===== %s %s (%s) =====\n", kind, name, item.Status)
		if item.Message != "" {
			fmt.Fprintf(out, "%s\n", item.Message)
		}
		if item.Diff != "" {
			fmt.Fprint(out, strings.TrimSuffix(item.Diff, "\n")+"\n")
		}
	}
	return differs
}
