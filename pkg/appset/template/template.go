// Package template renders ApplicationSet templates the way Argo CD does:
// every string of the template (map keys included) is rendered with one
// parameter set, either by plain {{param}} substitution (fasttemplate, the
// default) or, with goTemplate, by Go's text/template with Sprig and Argo CD's
// extra functions.
package template

import (
	"bytes"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"
	gotemplate "text/template"
)

// Options say how template strings are rendered: an ApplicationSet's
// goTemplate and goTemplateOptions.
type Options struct {
	// GoTemplate renders with text/template instead of {{param}} substitution.
	GoTemplate bool
	// GoTemplateOptions are text/template options such as "missingkey=error".
	GoTemplateOptions []string
}

// MaxOutputBytes bounds what one template string may render to: a template
// is user input, and Sprig can build large strings (repeat, until).
const MaxOutputBytes = 1 << 20

// Renderer renders template strings and remembers the Go templates it parsed,
// so that one template rendered with many parameter sets is parsed once. It
// is safe for concurrent use.
type Renderer struct {
	options Options

	mu     sync.Mutex
	parsed map[string]*gotemplate.Template
}

// NewRenderer returns a Renderer for one ApplicationSet's options.
func NewRenderer(options Options) *Renderer {
	return &Renderer{options: options, parsed: map[string]*gotemplate.Template{}}
}

// Options returns the options the Renderer renders with.
func (r *Renderer) Options() Options { return r.options }

// Replace renders one template string with params.
func (r *Renderer) Replace(text string, params map[string]any) (string, error) {
	if r.options.GoTemplate {
		return r.replaceGo(text, params)
	}
	return replaceFast(text, params)
}

// replaceGo executes text as a Go template. A string without "{{" renders to
// itself, so it is neither parsed nor executed.
func (r *Renderer) replaceGo(text string, params map[string]any) (string, error) {
	if !strings.Contains(text, "{{") {
		return text, nil
	}
	tmpl, err := r.parse(text)
	if err != nil {
		return "", err
	}
	out := &limitedBuffer{limit: MaxOutputBytes}
	if err := tmpl.Execute(out, params); err != nil {
		return "", fmt.Errorf("failed to execute go template %s: %w", text, err)
	}
	return out.String(), nil
}

func (r *Renderer) parse(text string) (*gotemplate.Template, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if tmpl, ok := r.parsed[text]; ok {
		return tmpl, nil
	}
	tmpl, err := gotemplate.New("").Funcs(funcMap).Parse(text)
	if err != nil {
		return nil, fmt.Errorf("failed to parse template %s: %w", text, err)
	}
	for _, option := range r.options.GoTemplateOptions {
		if err := setOption(tmpl, option); err != nil {
			return nil, err
		}
	}
	r.parsed[text] = tmpl
	return tmpl, nil
}

// setOption applies a text/template option, which panics on an unknown one.
func setOption(tmpl *gotemplate.Template, option string) (err error) {
	defer func() {
		if recovered := recover(); recovered != nil {
			err = fmt.Errorf("goTemplateOptions: unsupported option %q", option)
		}
	}()
	tmpl.Option(option)
	return nil
}

// errOutputTooLarge stops a template whose output passes MaxOutputBytes.
var errOutputTooLarge = fmt.Errorf("template output is larger than %d bytes", MaxOutputBytes)

// limitedBuffer is a bytes.Buffer that refuses to grow past limit.
type limitedBuffer struct {
	bytes.Buffer
	limit int
}

func (b *limitedBuffer) Write(p []byte) (int, error) {
	if b.Len()+len(p) > b.limit {
		return 0, errOutputTooLarge
	}
	return b.Buffer.Write(p)
}

// isTemplated is Argo CD's test for a string worth substituting: "{{" then
// "}}" on one line.
var isTemplated = regexp.MustCompile(".*{{.*}}.*")

// errNoEndTag is fasttemplate's error for a "{{" without a "}}" after it.
var errNoEndTag = errors.New("cannot find end tag")

// replaceFast substitutes {{param}} tags the way Argo CD's fasttemplate mode
// does: the tag is trimmed of spaces and looked up among params; a tag that
// names no string parameter is left as written, spaces included.
func replaceFast(text string, params map[string]any) (string, error) {
	if !isTemplated.MatchString(text) {
		return text, nil
	}
	var out strings.Builder
	rest := text
	for {
		start := strings.Index(rest, "{{")
		if start < 0 {
			out.WriteString(rest)
			return out.String(), nil
		}
		end := strings.Index(rest[start+2:], "}}")
		if end < 0 {
			return "", fmt.Errorf("invalid template: %w=%q in the template=%q", errNoEndTag, "}}", text)
		}
		out.WriteString(rest[:start])
		tag := rest[start+2 : start+2+end]
		trimmed := strings.TrimSpace(tag)
		if value, ok := params[trimmed].(string); ok && trimmed != "" {
			out.WriteString(value)
		} else {
			out.WriteString("{{" + tag + "}}")
		}
		rest = rest[start+2+end+2:]
	}
}
