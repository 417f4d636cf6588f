package health

import (
	"errors"
	"fmt"
	"path"
	"sort"
	"strings"
	"sync"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/common"
	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"
	"github.com/google/cel-go/common/types/traits"
	"github.com/google/cel-go/ext"
	"github.com/google/cel-go/interpreter"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
)

// ruleKeyPrefix is the prefix of Argo CD's per-kind health keys in argocd-cm;
// rule keys may carry it so an Argo CD ConfigMap's keys work as they are.
const ruleKeyPrefix = "resource.customizations.health."

// objVariable is the name under which a rule sees the object.
const objVariable = "obj"

// RuleError reports a user health rule that cannot be used: its key is not
// "<group>_<Kind>", a wildcard pattern is malformed, or the expression does
// not compile.
type RuleError struct {
	// Key is the rule's key in Options.Rules.
	Key string
	// Group and Kind are the pattern the key selects.
	Group, Kind string
	// Err is the cause; for a compile error it names the key, line and column.
	Err error
}

// Error describes the rule and the cause.
func (e *RuleError) Error() string {
	return fmt.Sprintf("health rule %q for %s: %v", e.Key, formatGroupKind(e.Group, e.Kind), e.Err)
}

// Unwrap returns the cause.
func (e *RuleError) Unwrap() error { return e.Err }

// rule is one compiled user rule, or one that failed to compile: it then
// assesses every matching object as Unknown with its compile error.
type rule struct {
	key         string
	group, kind string
	program     cel.Program
	err         error
}

// ruleSet holds the user rules and resolves a group/kind to its rule: an
// exact key first, then the most specific wildcard pattern.
type ruleSet struct {
	exact     map[schema.GroupKind]*rule
	wildcards []*rule

	mu       sync.RWMutex
	resolved map[schema.GroupKind]*rule
}

// compileRules compiles every rule. Rules that fail are kept as broken rules
// and reported together.
func compileRules(expressions map[string]string, costLimit uint64) (*ruleSet, error) {
	env, err := cel.NewEnv(
		cel.Variable(objVariable, cel.MapType(cel.StringType, cel.DynType)),
		cel.OptionalTypes(),
		ext.Strings(),
	)
	if err != nil {
		return nil, fmt.Errorf("create CEL environment for health rules: %w", err)
	}
	set := &ruleSet{exact: map[schema.GroupKind]*rule{}, resolved: map[schema.GroupKind]*rule{}}
	var errs []error
	for key, expression := range expressions {
		compiled := compileRule(env, key, expression, costLimit)
		if compiled.err != nil {
			errs = append(errs, compiled.err)
		}
		gk := schema.GroupKind{Group: compiled.group, Kind: compiled.kind}
		if !isPattern(compiled.group) && !isPattern(compiled.kind) {
			if previous, ok := set.exact[gk]; ok && previous.key < key {
				continue
			}
			set.exact[gk] = compiled
			continue
		}
		set.wildcards = append(set.wildcards, compiled)
	}
	sort.Slice(set.wildcards, func(i, j int) bool {
		a, b := set.wildcards[i], set.wildcards[j]
		if sa, sb := specificity(a), specificity(b); sa != sb {
			return sa > sb
		}
		return a.key < b.key
	})
	sort.Slice(errs, func(i, j int) bool { return errs[i].Error() < errs[j].Error() })
	return set, errors.Join(errs...)
}

// compileRule parses the key and compiles the expression of one rule.
func compileRule(env *cel.Env, key, expression string, costLimit uint64) *rule {
	compiled := &rule{key: key}
	group, kind := parseRuleKey(key)
	compiled.group, compiled.kind = group, kind
	fail := func(err error) *rule {
		compiled.err = &RuleError{Key: key, Group: group, Kind: kind, Err: err}
		return compiled
	}
	if kind == "" {
		return fail(errors.New(`key must be "<group>_<Kind>", or "<Kind>" for the core group`))
	}
	for _, pattern := range []string{group, kind} {
		if _, err := path.Match(pattern, ""); err != nil {
			return fail(fmt.Errorf("pattern %q: %w", pattern, err))
		}
	}
	ast, issues := env.CompileSource(common.NewStringSource(expression, key))
	if issues.Err() != nil {
		return fail(issues.Err())
	}
	switch ast.OutputType().Kind() {
	case types.MapKind, types.DynKind, types.AnyKind, types.NullTypeKind:
	default:
		return fail(fmt.Errorf("expression returns %s, want a map with status and message", ast.OutputType()))
	}
	program, err := env.Program(ast, cel.CostLimit(costLimit))
	if err != nil {
		return fail(fmt.Errorf("plan expression: %w", err))
	}
	compiled.program = program
	return compiled
}

// parseRuleKey splits "<group>_<Kind>" (or "<Kind>" for the core group, as in
// Argo CD) into group and kind. Neither may contain "_", so the first one
// separates them.
func parseRuleKey(key string) (group, kind string) {
	key = strings.TrimPrefix(key, ruleKeyPrefix)
	if i := strings.IndexByte(key, '_'); i >= 0 {
		return key[:i], key[i+1:]
	}
	return "", key
}

// isPattern reports whether a group or kind is a wildcard pattern.
func isPattern(s string) bool {
	return strings.ContainsAny(s, `*?[\`)
}

// specificity ranks wildcard rules: the more literal characters, the more
// specific, so "*.aws.crossplane.io_Bucket" wins over "*_Bucket".
func specificity(r *rule) int {
	literal := func(s string) int { return len(s) - strings.Count(s, "*") - strings.Count(s, "?") }
	return literal(r.group) + literal(r.kind)
}

// matches reports whether a wildcard rule selects the group/kind.
func (r *rule) matches(gk schema.GroupKind) bool {
	groupMatch, _ := path.Match(r.group, gk.Group)
	kindMatch, _ := path.Match(r.kind, gk.Kind)
	return groupMatch && kindMatch
}

// lookup returns the rule for a group/kind, or nil. Wildcard resolutions are
// cached because group/kinds repeat on every watch event.
func (s *ruleSet) lookup(gk schema.GroupKind) *rule {
	if r, ok := s.exact[gk]; ok {
		return r
	}
	if len(s.wildcards) == 0 {
		return nil
	}
	s.mu.RLock()
	r, ok := s.resolved[gk]
	s.mu.RUnlock()
	if ok {
		return r
	}
	for _, candidate := range s.wildcards {
		if candidate.matches(gk) {
			r = candidate
			break
		}
	}
	s.mu.Lock()
	s.resolved[gk] = r
	s.mu.Unlock()
	return r
}

// objActivation binds the object to the rule's variable without building a
// map per evaluation.
type objActivation struct {
	obj map[string]any
}

// ResolveName resolves the object variable.
func (a *objActivation) ResolveName(name string) (any, bool) {
	if name == objVariable {
		return a.obj, true
	}
	return nil, false
}

// Parent returns nil: there is no enclosing scope.
func (a *objActivation) Parent() interpreter.Activation { return nil }

// evaluate runs the rule on obj. It returns nil when the rule has no opinion,
// and an error when the rule is broken or fails at run time (including
// exceeding the cost limit).
func (r *rule) evaluate(obj map[string]any) (*v1alpha1.HealthStatus, error) {
	if r.err != nil {
		return nil, r.err
	}
	out, _, err := r.program.Eval(&objActivation{obj: obj})
	if err != nil {
		return nil, fmt.Errorf("health rule %q: %w", r.key, err)
	}
	health, err := healthFromValue(out)
	if err != nil {
		return nil, fmt.Errorf("health rule %q: %w", r.key, err)
	}
	return health, nil
}

// healthFromValue turns a rule's result into a health, with Argo CD's
// contract for Lua scripts: null or an empty map is no opinion, and a status
// that is not a health code is Unknown.
func healthFromValue(out ref.Val) (*v1alpha1.HealthStatus, error) {
	if out == nil || out == types.NullValue {
		return nil, nil
	}
	result, ok := out.(traits.Mapper)
	if !ok {
		return nil, fmt.Errorf("returned %s, want a map with status and message", out.Type().TypeName())
	}
	if size, _ := result.Size().(types.Int); size == 0 {
		return nil, nil
	}
	status, err := stringEntry(result, "status")
	if err != nil {
		return nil, err
	}
	message, err := stringEntry(result, "message")
	if err != nil {
		return nil, err
	}
	if status == "" && message == "" {
		return nil, nil
	}
	if !isHealthCode(v1alpha1.HealthStatusCode(status)) {
		return newHealth(v1alpha1.HealthStatusUnknown, fmt.Sprintf("health rule returned an invalid status %q", status)), nil
	}
	return newHealth(v1alpha1.HealthStatusCode(status), message), nil
}

// stringEntry reads an optional string entry of a rule's result map.
func stringEntry(result traits.Mapper, key string) (string, error) {
	value, found := result.Find(types.String(key))
	if !found || value == types.NullValue {
		return "", nil
	}
	if types.IsError(value) {
		return "", fmt.Errorf("read %s: %v", key, value)
	}
	text, ok := value.(types.String)
	if !ok {
		return "", fmt.Errorf("%s is %s, want string", key, value.Type().TypeName())
	}
	return string(text), nil
}
