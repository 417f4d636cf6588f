package render

import (
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"regexp"
	"strconv"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
	"capstan.dev/capstan/pkg/cmp"
)

// PluginRenderer runs config management plugins out of process.
type PluginRenderer interface {
	// Generate renders the source at render.AppPath of tree with the plugin
	// name, or the one whose discovery matches when name is empty, and
	// returns what it printed.
	Generate(ctx context.Context, tree fs.FS, name string, render cmp.RenderRequest) ([]byte, error)
	// Parameters returns the name of the plugin that renders the source (as
	// Generate finds it) and the parameters it announces for it.
	Parameters(ctx context.Context, tree fs.FS, name string, render cmp.RenderRequest) (string, []cmp.ParameterAnnouncement, error)
}

// PluginParameters are the parameter announcements of a plugin source.
type PluginParameters struct {
	// Plugin is the name of the plugin that renders the source.
	Plugin string
	// Parameters are its announcements, dynamic then static.
	Parameters []cmp.ParameterAnnouncement
}

// Parameters returns the parameters the plugin of a plugin source announces
// (Argo CD's GetAppDetails for plugins): its static announcements and those
// its parameters.dynamic command prints, run on the source's tree with the
// environment generate gets (the Application's plugin.env and parameters
// included), within the render timeout. It is nil for sources of other
// tools. Nothing is cached: the announcements are asked for by a person.
func (r *Renderer) Parameters(ctx context.Context, req Request) (*PluginParameters, error) {
	if req.MultipleSources && req.Source.Ref != "" && req.Source.Path == "" && req.Source.Chart == "" {
		return nil, nil
	}
	job, err := r.prepare(&req)
	if err != nil {
		return nil, job.error(err)
	}
	if job.sourceType != v1alpha1.ApplicationSourceTypePlugin {
		return nil, nil
	}
	plugin, request, err := pluginRequest(job)
	if err != nil {
		return nil, job.error(err)
	}
	ctx, cancel := context.WithTimeout(ctx, r.opts.Timeout)
	defer cancel()
	name, announcements, err := r.opts.Plugins.Parameters(ctx, job.req.Repo, plugin.Name, request)
	if err != nil {
		return nil, job.error(err)
	}
	return &PluginParameters{Plugin: name, Parameters: announcements}, nil
}

// renderPlugin renders a plugin source: the plugin gets the tree, the
// source's directory, and Argo CD's environment: ARGOCD_APP_*, KUBE_VERSION,
// KUBE_API_VERSIONS, the Application's plugin.env as ARGOCD_ENV_<name> and
// its parameters as PARAM_<NAME> (arrays PARAM_<NAME>_<i>, maps
// PARAM_<NAME>_<KEY>) and ARGOCD_APP_PARAMETERS (JSON).
func (r *Renderer) renderPlugin(ctx context.Context, job *renderJob) ([]*unstructured.Unstructured, error) {
	plugin, request, err := pluginRequest(job)
	if err != nil {
		return nil, err
	}
	out, err := r.opts.Plugins.Generate(ctx, job.req.Repo, plugin.Name, request)
	if err != nil {
		return nil, err
	}
	if int64(len(out)) > r.opts.MaxManifestBytes {
		return nil, fmt.Errorf("%w: the plugin printed more than %d bytes", ErrTooLarge, r.opts.MaxManifestBytes)
	}
	name := "plugin " + plugin.Name
	if plugin.Name == "" {
		name = "discovered plugin"
	}
	return splitYAML(out, name)
}

// pluginRequest is the job's plugin spec and what its runner gets.
func pluginRequest(job *renderJob) (v1alpha1.ApplicationSourcePlugin, cmp.RenderRequest, error) {
	plugin := v1alpha1.ApplicationSourcePlugin{}
	if job.source.Plugin != nil {
		plugin = *job.source.Plugin
	}
	env, err := pluginEnv(job, plugin)
	return plugin, cmp.RenderRequest{AppPath: job.appDir, Env: env}, err
}

var nonAlphanumeric = regexp.MustCompile(`[^A-Za-z0-9_]`)

// paramName is a parameter name as an environment variable name.
func paramName(name string) string {
	return strings.ToUpper(nonAlphanumeric.ReplaceAllString(name, "_"))
}

func pluginEnv(job *renderJob, plugin v1alpha1.ApplicationSourcePlugin) (map[string]string, error) {
	env := map[string]string{
		"KUBE_VERSION":      job.req.KubeVersion,
		"KUBE_API_VERSIONS": strings.Join(job.req.APIVersions, ","),
	}
	for name, value := range job.env {
		env[name] = value
	}
	for _, entry := range plugin.Env {
		if entry != nil {
			env["ARGOCD_ENV_"+entry.Name] = job.env.substitute(entry.Value)
		}
	}
	for _, param := range plugin.Parameters {
		name := "PARAM_" + paramName(param.Name)
		switch {
		case param.String != nil:
			env[name] = *param.String
		case param.OptionalArray != nil:
			for i, value := range param.OptionalArray.Array {
				env[name+"_"+strconv.Itoa(i)] = value
			}
		case param.OptionalMap != nil:
			for key, value := range param.OptionalMap.Map {
				env[name+"_"+paramName(key)] = value
			}
		}
	}
	if len(plugin.Parameters) > 0 {
		encoded, err := json.Marshal(plugin.Parameters)
		if err != nil {
			return nil, err
		}
		env["ARGOCD_APP_PARAMETERS"] = string(encoded)
	}
	return env, nil
}
