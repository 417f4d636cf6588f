package template

import (
	"regexp"
	"strings"
	gotemplate "text/template"

	"github.com/Masterminds/sprig/v3"
	"sigs.k8s.io/yaml"
)

// funcMap is Sprig's function map without the functions Argo CD removes
// because they reveal the controller's environment (env, expandenv,
// getHostByName), plus Argo CD's own functions.
var funcMap = func() gotemplate.FuncMap {
	functions := sprig.TxtFuncMap()
	for _, name := range []string{"env", "expandenv", "getHostByName"} {
		delete(functions, name)
	}
	functions["normalize"] = Normalize
	functions["slugify"] = Slugify
	functions["toYaml"] = toYAML
	functions["fromYaml"] = fromYAML
	functions["fromYamlArray"] = fromYAMLArray
	return functions
}()

// maxNameLength is the longest DNS subdomain, the bound of Normalize.
const maxNameLength = 253

var notNameCharacters = regexp.MustCompile("[^-a-z0-9.]")

// Normalize turns name into a DNS subdomain as Argo CD's normalize function
// (and the *Normalized parameters) do: lower case, every other character a
// dash, at most 253 characters, no leading or trailing dash or dot.
func Normalize(name string) string {
	name = notNameCharacters.ReplaceAllString(strings.ToLower(name), "-")
	if len(name) > maxNameLength {
		name = name[:maxNameLength]
	}
	return strings.Trim(name, "-.")
}

var (
	notSlugCharacters = regexp.MustCompile("[^a-zA-Z0-9-_]")
	repeatedDashes    = regexp.MustCompile("-+")
)

// Slugify is Argo CD's slugify function: slugify NAME, slugify MAXSIZE NAME
// or slugify MAXSIZE SMARTTRUNCATE NAME. The name is normalized, dots become
// dashes, and the result is cut to MAXSIZE (default 50) characters, at the
// last dash before that size when smart truncation is on (the default).
func Slugify(args ...any) string {
	maxSize, smartTruncate, name := 50, true, ""
	for i, arg := range args {
		switch {
		case i == len(args)-1:
			name, _ = arg.(string)
		case i == 0:
			if size, ok := arg.(int); ok {
				maxSize = size
			}
		case i == 1:
			if smart, ok := arg.(bool); ok {
				smartTruncate = smart
			}
		}
	}
	slug := Normalize(name)
	if !smartTruncate && maxSize >= 0 && len(slug) >= maxSize {
		slug = slug[:maxSize]
	}
	slug = notSlugCharacters.ReplaceAllString(slug, "-")
	slug = strings.Trim(repeatedDashes.ReplaceAllString(slug, "-"), "-_")
	if !smartTruncate || maxSize <= 0 || len(slug) <= maxSize {
		return slug
	}
	for i := maxSize; i >= 0; i-- {
		if slug[i] == '-' {
			return slug[:i]
		}
	}
	return slug[:maxSize]
}

// toYAML renders v as YAML without the final newline, as Helm's toYaml does.
func toYAML(v any) (string, error) {
	data, err := yaml.Marshal(v)
	if err != nil {
		return "", err
	}
	return strings.TrimSuffix(string(data), "\n"), nil
}

// fromYAML parses a YAML mapping.
func fromYAML(text string) (map[string]any, error) {
	m := map[string]any{}
	if err := yaml.Unmarshal([]byte(text), &m); err != nil {
		return nil, err
	}
	return m, nil
}

// fromYAMLArray parses a YAML sequence.
func fromYAMLArray(text string) ([]any, error) {
	a := []any{}
	if err := yaml.Unmarshal([]byte(text), &a); err != nil {
		return nil, err
	}
	return a, nil
}
