package luascript

import (
	"context"
	"errors"
	"fmt"
	"path"
	"sort"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/yaml"

	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
)

// Keys of argocd-cm that hold Lua customizations.
const (
	healthKeyPrefix   = "resource.customizations.health."
	actionsKeyPrefix  = "resource.customizations.actions."
	combinedKey       = "resource.customizations"
	healthScriptField = "health.lua"
)

// Customizations are the Lua health checks and resource actions of one
// argocd-cm, compiled. A Customizations is safe for concurrent use.
type Customizations struct {
	limits  Limits
	health  patternTable[*Script]
	actions patternTable[*ActionSet]
}

// ActionSet is the custom actions of one kind: a discovery script and the
// action scripts by name.
type ActionSet struct {
	Discovery   *Script
	Definitions map[string]*Script
	// MergeBuiltin keeps the built-in actions of the kind besides these.
	MergeBuiltin bool

	limits Limits
}

// actionsConfig is the YAML of resource.customizations.actions.<group>_<Kind>.
type actionsConfig struct {
	Discovery   string `json:"discovery.lua"`
	Definitions []struct {
		Name   string `json:"name"`
		Action string `json:"action.lua"`
	} `json:"definitions"`
	MergeBuiltinActions bool `json:"mergeBuiltinActions"`
}

// combinedEntry is one entry of the combined resource.customizations key.
type combinedEntry struct {
	Health  string `json:"health.lua"`
	Actions string `json:"actions"`
}

// Parse compiles the Lua customizations of an argocd-cm's data. Entries
// that cannot be used are left out and reported together, each naming its
// key; the others work.
func Parse(data map[string]string, limits Limits) (*Customizations, error) {
	c := &Customizations{limits: limits}
	var errs []error
	keys := make([]string, 0, len(data))
	for key := range data {
		keys = append(keys, key)
	}
	sort.Strings(keys)
	for _, key := range keys {
		value := data[key]
		var err error
		switch {
		case strings.HasPrefix(key, healthKeyPrefix):
			err = c.addHealth(key, strings.TrimPrefix(key, healthKeyPrefix), value, true)
		case strings.HasPrefix(key, actionsKeyPrefix):
			err = c.addActions(key, strings.TrimPrefix(key, actionsKeyPrefix), value, true)
		case key == combinedKey:
			err = c.addCombined(value)
		}
		if err != nil {
			errs = append(errs, err)
		}
	}
	return c, errors.Join(errs...)
}

func (c *Customizations) addHealth(key, selector, source string, underscore bool) error {
	gk, err := parseSelector(selector, underscore)
	if err != nil {
		return fmt.Errorf("%s: %w", key, err)
	}
	script, err := Compile(key, source)
	if err != nil {
		return err
	}
	c.health.add(gk, script)
	return nil
}

func (c *Customizations) addActions(key, selector, value string, underscore bool) error {
	gk, err := parseSelector(selector, underscore)
	if err != nil {
		return fmt.Errorf("%s: %w", key, err)
	}
	var config actionsConfig
	if err := yaml.UnmarshalStrict([]byte(value), &config); err != nil {
		return fmt.Errorf("%s: %w", key, err)
	}
	set := &ActionSet{Definitions: map[string]*Script{}, MergeBuiltin: config.MergeBuiltinActions, limits: c.limits}
	if config.Discovery == "" {
		return fmt.Errorf("%s: discovery.lua is empty", key)
	}
	if set.Discovery, err = Compile(key+" discovery.lua", config.Discovery); err != nil {
		return err
	}
	for i, definition := range config.Definitions {
		if definition.Name == "" {
			return fmt.Errorf("%s: definitions[%d].name is empty", key, i)
		}
		if set.Definitions[definition.Name], err = Compile(key+" "+definition.Name+"/action.lua", definition.Action); err != nil {
			return err
		}
	}
	c.actions.add(gk, set)
	return nil
}

// addCombined reads the resource.customizations key: a YAML map of
// "<group>/<Kind>" (wildcards allowed) to health.lua and actions.
func (c *Customizations) addCombined(value string) error {
	var entries map[string]combinedEntry
	if err := yaml.Unmarshal([]byte(value), &entries); err != nil {
		return fmt.Errorf("%s: %w", combinedKey, err)
	}
	var errs []error
	for selector, entry := range entries {
		key := combinedKey + " " + selector
		if entry.Health != "" {
			errs = append(errs, c.addHealth(key, selector, entry.Health, false))
		}
		if entry.Actions != "" {
			errs = append(errs, c.addActions(key, selector, entry.Actions, false))
		}
	}
	return errors.Join(errs...)
}

// parseSelector reads "<group>_<Kind>" (underscore) or "<group>/<Kind>";
// a selector without separator is a core kind. Group and kind may hold "*".
func parseSelector(selector string, underscore bool) (schema.GroupKind, error) {
	separator := "/"
	if underscore {
		separator = "_"
	}
	group, kind, found := strings.Cut(selector, separator)
	if !found {
		group, kind = "", selector
	}
	if kind == "" {
		return schema.GroupKind{}, fmt.Errorf("no kind in %q: want \"<group>%s<Kind>\"", selector, separator)
	}
	for _, pattern := range []string{group, kind} {
		if _, err := path.Match(pattern, ""); err != nil {
			return schema.GroupKind{}, fmt.Errorf("pattern %q: %w", pattern, err)
		}
	}
	return schema.GroupKind{Group: group, Kind: kind}, nil
}

// patternTable finds the entry of a group/kind: an exact one first, then
// the first wildcard pattern that matches, in the order they were added.
type patternTable[T any] struct {
	exact     map[schema.GroupKind]T
	wildcards []patternEntry[T]
}

type patternEntry[T any] struct {
	gk    schema.GroupKind
	value T
}

func (t *patternTable[T]) add(gk schema.GroupKind, value T) {
	if strings.ContainsAny(gk.Group+gk.Kind, `*?[`) {
		t.wildcards = append(t.wildcards, patternEntry[T]{gk, value})
		return
	}
	if t.exact == nil {
		t.exact = map[schema.GroupKind]T{}
	}
	t.exact[gk] = value
}

func (t *patternTable[T]) lookup(gk schema.GroupKind) (T, bool) {
	if value, ok := t.exact[gk]; ok {
		return value, true
	}
	for _, entry := range t.wildcards {
		groupMatch, _ := path.Match(entry.gk.Group, gk.Group)
		kindMatch, _ := path.Match(entry.gk.Kind, gk.Kind)
		if groupMatch && kindMatch {
			return entry.value, true
		}
	}
	var zero T
	return zero, false
}

// HasHealth tells whether a health script selects the group/kind.
func (c *Customizations) HasHealth(gk schema.GroupKind) bool {
	if c == nil {
		return false
	}
	_, ok := c.health.lookup(gk)
	return ok
}

// Health runs the health script of obj's kind, with Argo CD's contract: the
// global obj is the object; the script returns {status=..., message=...}.
// Nil (no script, or a nil or empty result) means no opinion; a status that
// is not a health code is Unknown; a failing script is an error.
func (c *Customizations) Health(ctx context.Context, obj *unstructured.Unstructured) (*v1alpha1.HealthStatus, error) {
	if c == nil {
		return nil, nil
	}
	script, ok := c.health.lookup(obj.GroupVersionKind().GroupKind())
	if !ok {
		return nil, nil
	}
	out, err := script.run(ctx, c.limits, map[string]any{"obj": obj.Object}, nil)
	if err != nil {
		return nil, err
	}
	result, isMap := out.(map[string]any)
	if out == nil || isMap && len(result) == 0 {
		return nil, nil
	}
	if !isMap {
		return nil, fmt.Errorf("%s: returned %T, want a table with status and message", script.name, out)
	}
	status, _ := result["status"].(string)
	message, _ := result["message"].(string)
	switch code := v1alpha1.HealthStatusCode(status); code {
	case v1alpha1.HealthStatusHealthy, v1alpha1.HealthStatusProgressing, v1alpha1.HealthStatusDegraded,
		v1alpha1.HealthStatusSuspended, v1alpha1.HealthStatusMissing, v1alpha1.HealthStatusUnknown:
		return &v1alpha1.HealthStatus{Status: code, Message: message}, nil
	}
	return &v1alpha1.HealthStatus{Status: v1alpha1.HealthStatusUnknown, Message: message}, nil
}
