package render

import (
	"context"
	"fmt"
	"strings"

	"helm.sh/helm/v3/pkg/action"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/release"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/klog/v2"

	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
)

// helmDefaultNamespace is what `helm template` uses without --namespace.
const helmDefaultNamespace = "default"

// renderHelm renders a chart like Argo CD's `helm template`: release name and
// namespace defaulting to the Application's name and destination namespace,
// CRDs included unless skipCrds, hooks kept as objects with their
// annotations, test hooks dropped with skipTests, NOTES.txt never output.
func (r *Renderer) renderHelm(ctx context.Context, job *renderJob) ([]*unstructured.Unstructured, error) {
	opts := job.source.Helm
	if opts == nil {
		opts = &v1alpha1.ApplicationSourceHelm{}
	}
	chrt, err := r.loadChart(ctx, job.req.Repo, job.appDir, 0)
	if err != nil {
		return nil, err
	}
	if !opts.SkipSchemaValidation {
		if err := checkSchemaReferences(chrt); err != nil {
			return nil, err
		}
	}
	values, err := r.helmValues(job, opts)
	if err != nil {
		return nil, err
	}
	install, err := newTemplateAction(ctx, job, opts)
	if err != nil {
		return nil, err
	}
	rel, err := install.RunWithContext(ctx, chrt, values)
	if err != nil {
		return nil, err
	}
	manifests := templateOutput(rel, opts.SkipTests)
	if err := r.checkOutputSize(int64(len(manifests)), "the helm template output"); err != nil {
		return nil, err
	}
	return splitYAML([]byte(manifests), "helm template output")
}

// newTemplateAction configures helm's install action the way `helm template`
// does, with the flags Argo CD passes.
func newTemplateAction(ctx context.Context, job *renderJob, opts *v1alpha1.ApplicationSourceHelm) (*action.Install, error) {
	logger := klog.FromContext(ctx)
	cfg := &action.Configuration{Log: func(format string, args ...any) {
		logger.V(4).Info("helm", "message", fmt.Sprintf(format, args...))
	}}
	install := action.NewInstall(cfg)
	install.DryRun = true
	install.DryRunOption = "true"
	install.ClientOnly = true
	install.Replace = true
	install.ReleaseName = opts.ReleaseName
	if install.ReleaseName == "" {
		install.ReleaseName = job.req.AppName
	}
	install.Namespace = opts.Namespace
	if install.Namespace == "" {
		install.Namespace = job.req.DestinationNamespace
	}
	if install.Namespace == "" {
		install.Namespace = helmDefaultNamespace
	}
	install.IncludeCRDs = !opts.SkipCrds
	install.SkipSchemaValidation = opts.SkipSchemaValidation

	kubeVersion := opts.KubeVersion
	if kubeVersion == "" {
		kubeVersion = job.req.KubeVersion
	}
	normalized, err := parseKubeVersion(kubeVersion)
	if err != nil {
		return nil, err
	}
	if normalized != "" {
		parsed, err := chartutil.ParseKubeVersion(normalized)
		if err != nil {
			return nil, fmt.Errorf("invalid kube version %q: %w", kubeVersion, err)
		}
		install.KubeVersion = parsed
	}
	apiVersions := opts.APIVersions
	if len(apiVersions) == 0 {
		apiVersions = job.req.APIVersions
	}
	install.APIVersions = chartutil.VersionSet(apiVersions)
	return install, nil
}

// templateOutput assembles the manifests exactly as `helm template` prints
// them: the release manifest, then every hook (minus test hooks when
// skipTests) with its "# Source:" comment.
func templateOutput(rel *release.Release, skipTests bool) string {
	var out strings.Builder
	out.WriteString(strings.TrimSpace(rel.Manifest))
	out.WriteString("\n")
	for _, hook := range rel.Hooks {
		if skipTests && isTestHook(hook) {
			continue
		}
		fmt.Fprintf(&out, "---\n# Source: %s\n%s\n", hook.Path, hook.Manifest)
	}
	return out.String()
}

// isTestHook reports a hook that runs on `helm test`.
func isTestHook(hook *release.Hook) bool {
	for _, event := range hook.Events {
		if event == release.HookTest {
			return true
		}
	}
	return false
}
