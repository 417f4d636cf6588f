package generators

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/runtime"

	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
)

// pluginPath is where Argo CD's plugin generator posts its requests.
const pluginPath = "/api/v1/getparams.execute"

// pluginRequest and pluginResponse are Argo CD's plugin protocol.
type pluginRequest struct {
	ApplicationSetName string `json:"applicationSetName"`
	Input              struct {
		Parameters map[string]any `json:"parameters"`
	} `json:"input"`
}

type pluginResponse struct {
	Output *struct {
		Parameters []map[string]any `json:"parameters"`
	} `json:"output"`
}

// plugin posts the generator's input parameters to the plugin service its
// ConfigMap names (keys baseUrl, token as "$<secret>:<key>", optional
// requestTimeout in seconds), both read from the ApplicationSet's
// namespace, and yields the parameter sets of the answer, each with
// generator.input.parameters (flattened in the flat form) and values.
func (r *run) plugin(ctx context.Context, generator *v1alpha1.PluginGenerator) ([]map[string]any, error) {
	config, err := r.configMapData(ctx, generator.ConfigMapRef.Name, "plugin.configMapRef")
	if err != nil {
		return nil, err
	}
	if config["baseUrl"] == "" {
		return nil, fmt.Errorf("plugin.configMapRef: ConfigMap %s has no baseUrl", generator.ConfigMapRef.Name)
	}
	secretName, key, err := parsePluginToken(config["token"])
	if err != nil {
		return nil, fmt.Errorf("plugin.configMapRef: ConfigMap %s: %w", generator.ConfigMapRef.Name, err)
	}
	token, err := r.secretValue(ctx, &v1alpha1.SecretRef{SecretName: secretName, Key: key}, "plugin token")
	if err != nil {
		return nil, err
	}
	if timeout := config["requestTimeout"]; timeout != "" {
		seconds, err := strconv.Atoi(timeout)
		if err != nil || seconds <= 0 {
			return nil, fmt.Errorf("plugin.configMapRef: ConfigMap %s: requestTimeout %q is not a positive number of seconds", generator.ConfigMapRef.Name, timeout)
		}
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, time.Duration(seconds)*time.Second)
		defer cancel()
	}
	remote, err := newRemote("plugin "+generator.ConfigMapRef.Name, config["baseUrl"], r.generators.sources.HTTPClient, bearer("Bearer", token))
	if err != nil {
		return nil, err
	}
	input, err := pluginInput(generator.Input.Parameters)
	if err != nil {
		return nil, err
	}
	request := pluginRequest{ApplicationSetName: r.appSet.Name}
	request.Input.Parameters = input
	body, err := json.Marshal(request)
	if err != nil {
		return nil, fmt.Errorf("encode the plugin request: %w", err)
	}
	var response json.RawMessage
	if _, err := remote.do(ctx, http.MethodPost, remote.url(pluginPath, nil), body, &response); err != nil {
		return nil, err
	}
	objects, err := decodePluginResponse(response)
	if err != nil {
		return nil, fmt.Errorf("plugin %s: %w", generator.ConfigMapRef.Name, err)
	}
	params := make([]map[string]any, 0, len(objects))
	for _, object := range objects {
		set := object
		if r.goTemplate() {
			set["generator"] = map[string]any{"input": map[string]any{"parameters": input}}
		} else {
			set = flatParams(object)
			for key, value := range flatten(map[string]any{"generator": map[string]any{"input": map[string]any{"parameters": input}}}) {
				set[key] = value
			}
		}
		if err := appendValues(generator.Values, set, r.renderer); err != nil {
			return nil, fmt.Errorf("plugin %s: %w", generator.ConfigMapRef.Name, err)
		}
		params = append(params, set)
	}
	return params, nil
}

// parsePluginToken reads Argo CD's "$<secret>:<key>" token reference.
func parsePluginToken(reference string) (secret, key string, err error) {
	rest, ok := strings.CutPrefix(reference, "$")
	if !ok {
		return "", "", fmt.Errorf(`token must reference a Secret key as "$<secret>:<key>"`)
	}
	secret, key, ok = strings.Cut(rest, ":")
	if !ok || secret == "" || key == "" {
		return "", "", fmt.Errorf(`token must reference a Secret key as "$<secret>:<key>"`)
	}
	return secret, key, nil
}

// pluginInput decodes the generator's input parameters.
func pluginInput(raw map[string]runtime.RawExtension) (map[string]any, error) {
	input := make(map[string]any, len(raw))
	for key, value := range raw {
		var decoded any
		if len(value.Raw) > 0 {
			if err := json.Unmarshal(value.Raw, &decoded); err != nil {
				return nil, fmt.Errorf("plugin.input.parameters.%s: %w", key, err)
			}
		}
		input[key] = decoded
	}
	return input, nil
}

// decodePluginResponse reads the parameter sets of a plugin's answer,
// {"output": {"parameters": [{...}, ...]}}. An answer without output is an
// error, never "no parameters".
func decodePluginResponse(data []byte) ([]map[string]any, error) {
	var response pluginResponse
	if err := json.Unmarshal(data, &response); err != nil {
		return nil, fmt.Errorf("the response is not the plugin protocol's JSON")
	}
	if response.Output == nil || response.Output.Parameters == nil {
		return nil, fmt.Errorf("the response has no output.parameters list")
	}
	for i, object := range response.Output.Parameters {
		if object == nil {
			return nil, fmt.Errorf("output.parameters[%d] is not an object", i)
		}
	}
	return response.Output.Parameters, nil
}
