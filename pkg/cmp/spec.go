// Package cmp runs Argo CD's config management plugins (its
// ConfigManagementPlugin spec: init, generate, discover, parameters,
// preserveFileMode) out of process. A plugin runner serves one plugin over
// HTTP on a Unix socket — as a sidecar of the capstan-apiserver pod (Argo
// CD's model), or as a subprocess the server starts — and renders each
// request in a writable copy of the source tree in a temporary directory,
// deleted afterwards, with time, output-size and concurrency limits and no
// environment beyond what the spec and Argo CD's contract give.
package cmp

import (
	"errors"
	"fmt"
	"os"
	"path"

	"github.com/bmatcuk/doublestar/v4"
	"k8s.io/apimachinery/pkg/util/validation"
	"sigs.k8s.io/yaml"
)

// Plugin is a ConfigManagementPlugin (apiVersion argoproj.io/v1alpha1).
type Plugin struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Metadata   struct {
		Name string `json:"name"`
	} `json:"metadata"`
	Spec PluginSpec `json:"spec"`
}

// PluginSpec is what a plugin runs.
type PluginSpec struct {
	// Version, when set, is part of the plugin's name: "<name>-<version>".
	Version string `json:"version,omitempty"`
	// Init runs before Generate, in the same directory.
	Init *Command `json:"init,omitempty"`
	// Generate prints the manifests (YAML or JSON) on stdout.
	Generate Command `json:"generate"`
	// Discover says which sources the plugin renders when an Application
	// does not name it.
	Discover *Discover `json:"discover,omitempty"`
	// Parameters announce the parameters the plugin takes.
	Parameters *Parameters `json:"parameters,omitempty"`
	// PreserveFileMode keeps the files' modes (executable bits) in the copy
	// of the tree; otherwise files are 0644.
	PreserveFileMode bool `json:"preserveFileMode,omitempty"`
	// ProvideGitCreds is accepted for Argo CD's files but never honoured:
	// repository credentials do not reach plugins (pass what a plugin needs
	// to the runner with --pass-env).
	ProvideGitCreds bool `json:"provideGitCreds,omitempty"`
}

// Command is a command and its arguments.
type Command struct {
	Command []string `json:"command,omitempty"`
	Args    []string `json:"args,omitempty"`
}

// Discover matches sources by a file name glob in the source's directory,
// a glob of files below it, or a command that prints something on a match.
type Discover struct {
	FileName string `json:"fileName,omitempty"`
	Find     *struct {
		Glob    string   `json:"glob,omitempty"`
		Command []string `json:"command,omitempty"`
		Args    []string `json:"args,omitempty"`
	} `json:"find,omitempty"`
}

// Parameters announce a plugin's parameters.
type Parameters struct {
	Static  []ParameterAnnouncement `json:"static,omitempty"`
	Dynamic *Command                `json:"dynamic,omitempty"`
}

// ParameterAnnouncement describes one parameter.
type ParameterAnnouncement struct {
	Name           string            `json:"name"`
	Title          string            `json:"title,omitempty"`
	Tooltip        string            `json:"tooltip,omitempty"`
	Required       bool              `json:"required,omitempty"`
	ItemType       string            `json:"itemType,omitempty"`
	CollectionType string            `json:"collectionType,omitempty"`
	String         string            `json:"string,omitempty"`
	Array          []string          `json:"array,omitempty"`
	Map            map[string]string `json:"map,omitempty"`
}

// Name is the name Applications use for the plugin.
func (p *Plugin) Name() string {
	if p.Spec.Version != "" {
		return p.Metadata.Name + "-" + p.Spec.Version
	}
	return p.Metadata.Name
}

// LoadPlugin reads and checks a ConfigManagementPlugin file.
func LoadPlugin(file string) (*Plugin, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	plugin, err := ParsePlugin(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	return plugin, nil
}

// ParsePlugin parses and checks a ConfigManagementPlugin.
func ParsePlugin(data []byte) (*Plugin, error) {
	plugin := &Plugin{}
	if err := yaml.UnmarshalStrict(data, plugin); err != nil {
		return nil, fmt.Errorf("parse ConfigManagementPlugin: %w", err)
	}
	var errs []error
	if plugin.Kind != "ConfigManagementPlugin" {
		errs = append(errs, fmt.Errorf("kind is %q, want ConfigManagementPlugin", plugin.Kind))
	}
	if problems := validation.IsDNS1123Subdomain(plugin.Name()); len(problems) > 0 {
		errs = append(errs, fmt.Errorf("metadata.name: %q is not a valid name: %v", plugin.Name(), problems))
	}
	if len(plugin.Spec.Generate.Command) == 0 {
		errs = append(errs, errors.New("spec.generate.command is required"))
	}
	if plugin.Spec.Init != nil && len(plugin.Spec.Init.Command) == 0 {
		errs = append(errs, errors.New("spec.init.command is empty"))
	}
	if params := plugin.Spec.Parameters; params != nil {
		for i, announcement := range params.Static {
			if announcement.Name == "" {
				errs = append(errs, fmt.Errorf("spec.parameters.static[%d].name is required", i))
			}
		}
	}
	if d := plugin.Spec.Discover; d != nil {
		if _, err := path.Match(d.FileName, ""); err != nil {
			errs = append(errs, fmt.Errorf("spec.discover.fileName: %w", err))
		}
		if glob := globOf(d); !doublestar.ValidatePattern(glob) {
			errs = append(errs, fmt.Errorf("spec.discover.find.glob: %q is not a valid pattern", glob))
		}
	}
	return plugin, errors.Join(errs...)
}

func globOf(d *Discover) string {
	if d.Find == nil {
		return ""
	}
	return d.Find.Glob
}
