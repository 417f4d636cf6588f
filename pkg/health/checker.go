// Package health assesses the health of Kubernetes objects and aggregates it
// into an application's health, with Argo CD's semantics: its built-in checks
// for the common kinds and for the custom resources Argo CD covers, kstatus
// for other kinds that carry the conditions kstatus understands, and user
// rules written in CEL per group and kind, which override both.
package health

import (
	"context"
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
)

// DefaultCostLimit bounds the evaluation cost of one user rule when
// Options.CostLimit is zero. It is the per-call limit Kubernetes applies to
// CEL validation rules in CRDs.
const DefaultCostLimit uint64 = 1_000_000

// Options configure a Checker.
type Options struct {
	// Rules are user health rules written in CEL, keyed like Argo CD's
	// resource.customizations.health.<group>_<Kind> keys: "<group>_<Kind>",
	// or "<Kind>" for the core group, optionally with the
	// "resource.customizations.health." prefix. Group and kind may hold "*"
	// wildcards. The expression sees the object as obj and returns a map
	// {"status": <health code>, "message": <string>}; null or an empty map
	// means the rule has no opinion and the built-in assessment applies.
	Rules map[string]string
	// CostLimit bounds the evaluation cost of one rule; 0 means DefaultCostLimit.
	CostLimit uint64
	// AssessApplicationHealth gives child Applications (capstan.dev and
	// argoproj.io) their own status.health as their health, as the argocd-cm
	// rule app-of-apps users add to Argo CD; without it they have none, as in
	// Argo CD since 1.8 (--assess-application-health).
	AssessApplicationHealth bool
	// Scripts are user health scripts (Argo CD's Lua customizations from
	// argocd-cm), consulted first; the CEL rules sit beside them and decide
	// where no script has an opinion.
	Scripts ScriptRules
}

// ScriptRules are user health scripts.
type ScriptRules interface {
	// Health returns the health a script gives obj, or nil when no script
	// selects its kind or the script has no opinion.
	Health(ctx context.Context, obj *unstructured.Unstructured) (*v1alpha1.HealthStatus, error)
}

// Assessor assesses the health of one live object; nil means its kind has no
// health. *Checker is one; the comparison and the sync engine take any.
type Assessor interface {
	Assess(obj *unstructured.Unstructured) (*v1alpha1.HealthStatus, error)
}

// Checker assesses the health of objects. Its zero value applies the built-in
// checks and kstatus without user rules. A Checker is safe for concurrent use.
type Checker struct {
	scripts ScriptRules
	rules   *ruleSet
	// applications assesses child Applications (Options.AssessApplicationHealth).
	applications bool
}

// NewChecker compiles the user rules in opts and returns a Checker that
// applies them before the built-in checks. When some rules do not compile,
// NewChecker still returns a Checker, in which those group/kinds assess as
// Unknown with the compile error (Argo CD shows a broken Lua script the same
// way), and an error that lists every invalid rule, each a *RuleError naming
// its key, group/kind and the position in the expression.
func NewChecker(opts Options) (*Checker, error) {
	if len(opts.Rules) == 0 {
		return &Checker{applications: opts.AssessApplicationHealth, scripts: opts.Scripts}, nil
	}
	costLimit := opts.CostLimit
	if costLimit == 0 {
		costLimit = DefaultCostLimit
	}
	rules, err := compileRules(opts.Rules, costLimit)
	return &Checker{rules: rules, applications: opts.AssessApplicationHealth, scripts: opts.Scripts}, err
}

// Assess returns the health of obj with the built-in checks and kstatus and
// no user rules; see Checker.Assess.
func Assess(obj *unstructured.Unstructured) (*v1alpha1.HealthStatus, error) {
	return (&Checker{}).Assess(obj)
}

// Assess returns the health of obj, or nil when its kind has no health, as
// Argo CD's GetResourceHealth does:
//  1. an object being deleted is Progressing "Pending deletion" (naming the
//     finalizers that hold a custom resource with a built-in check), unless
//     it is a hook still held by the hook finalizer;
//  2. a user script (Lua) for its group/kind decides if it returns a
//     status, then a user rule (CEL);
//  3. otherwise Argo CD's built-in check for the kind, custom resources
//     included (see customResourceChecks);
//  4. otherwise kstatus, if the object carries a condition kstatus
//     understands (Ready, Reconciling, Stalled).
//
// When a rule or check fails, the health is Unknown with the failure as its
// message, and the error is returned as well so the caller can log it.
func (c *Checker) Assess(obj *unstructured.Unstructured) (*v1alpha1.HealthStatus, error) {
	if obj == nil || obj.Object == nil {
		return nil, nil
	}
	gk := groupKind(obj.Object)
	if pendingDeletion(obj.Object) {
		if customResourceCheck(gk) != nil {
			return newHealth(v1alpha1.HealthStatusProgressing, finalizersMessage(obj.Object)), nil
		}
		return newHealth(v1alpha1.HealthStatusProgressing, "Pending deletion"), nil
	}
	if c.scripts != nil {
		health, err := c.scripts.Health(context.Background(), obj)
		if err != nil {
			return newHealth(v1alpha1.HealthStatusUnknown, err.Error()),
				fmt.Errorf("assess health of %s: %w", describe(obj.Object, gk), err)
		}
		if health != nil {
			return health, nil
		}
	}
	if c.rules != nil {
		if rule := c.rules.lookup(gk); rule != nil {
			health, err := rule.evaluate(obj.Object)
			if err != nil {
				return newHealth(v1alpha1.HealthStatusUnknown, err.Error()),
					fmt.Errorf("assess health of %s: %w", describe(obj.Object, gk), err)
			}
			if health != nil {
				return health, nil
			}
		}
	}
	var reader fieldReader
	if health, known := c.builtinHealth(&reader, gk, obj.Object); known {
		if reader.err != nil {
			err := fmt.Errorf("read %s: %w", gk.Kind, reader.err)
			return newHealth(v1alpha1.HealthStatusUnknown, err.Error()),
				fmt.Errorf("assess health of %s: %w", describe(obj.Object, gk), err)
		}
		return health, nil
	}
	if !hasKstatusConditions(obj.Object) {
		return nil, nil
	}
	health, err := kstatusHealth(obj)
	if err != nil {
		return newHealth(v1alpha1.HealthStatusUnknown, err.Error()),
			fmt.Errorf("assess health of %s: %w", describe(obj.Object, gk), err)
	}
	return health, nil
}

// builtinHealth runs the built-in check for a group/kind, reading obj
// through r, which collects type errors. known is false when the group/kind
// has no built-in check. Applications are known and have no health unless
// the Checker assesses them: Argo CD removed Application health in 1.8, and
// kstatus would call every Application current.
func (c *Checker) builtinHealth(r *fieldReader, gk schema.GroupKind, obj map[string]any) (health *v1alpha1.HealthStatus, known bool) {
	if gk.Kind == "Application" && (gk.Group == "argoproj.io" || gk.Group == v1alpha1.GroupName) {
		if c.applications {
			return applicationHealth(r, obj), true
		}
		return nil, true
	}
	if health, known := coreHealth(r, gk, version(obj), obj); known {
		return health, true
	}
	if check := customResourceCheck(gk); check != nil {
		return check(r, obj), true
	}
	return nil, false
}

// coreHealth runs Argo CD's checks of the built-in kinds (and of Argo
// Workflows and Rollouts). The checks are called directly, not through
// function values, so that r stays on the caller's stack: these kinds are
// most of what watches deliver.
func coreHealth(r *fieldReader, gk schema.GroupKind, version string, obj map[string]any) (health *v1alpha1.HealthStatus, known bool) {
	switch gk.Group {
	case "":
		switch gk.Kind {
		case "Pod":
			return podHealth(r, obj), true
		case "Service":
			return serviceHealth(r, obj), true
		case "PersistentVolumeClaim":
			return pvcHealth(r, obj), true
		}
	case "apps":
		switch gk.Kind {
		case "Deployment":
			return deploymentHealth(r, obj), true
		case "StatefulSet":
			return statefulSetHealth(r, obj), true
		case "DaemonSet":
			return daemonSetHealth(r, obj), true
		case "ReplicaSet":
			return replicaSetHealth(r, obj), true
		}
	case "batch":
		switch gk.Kind {
		case "Job":
			return jobHealth(r, obj), true
		case "CronJob":
			return cronJobHealth(r, obj), true
		}
	case "networking.k8s.io", "extensions":
		if gk.Kind == "Ingress" {
			return ingressHealth(r, obj), true
		}
	case "autoscaling":
		if gk.Kind == "HorizontalPodAutoscaler" {
			if version == "v1" {
				return hpaV1Health(r, obj), true
			}
			return hpaHealth(r, obj), true
		}
	case "apiregistration.k8s.io":
		if gk.Kind == "APIService" {
			return apiServiceHealth(r, obj), true
		}
	case "argoproj.io":
		switch gk.Kind {
		case "Workflow":
			return workflowHealth(r, obj), true
		case "Rollout":
			return rolloutHealth(r, obj), true
		}
	}
	return nil, false
}

// groupKind reads the group and kind of obj without allocating, unlike
// Unstructured.GroupVersionKind.
func groupKind(obj map[string]any) schema.GroupKind {
	apiVersion, _ := obj["apiVersion"].(string)
	kind, _ := obj["kind"].(string)
	group := ""
	if i := strings.LastIndexByte(apiVersion, '/'); i >= 0 {
		group = apiVersion[:i]
	}
	return schema.GroupKind{Group: group, Kind: kind}
}

// version reads the API version of obj, without the group.
func version(obj map[string]any) string {
	apiVersion, _ := obj["apiVersion"].(string)
	if i := strings.LastIndexByte(apiVersion, '/'); i >= 0 {
		return apiVersion[i+1:]
	}
	return apiVersion
}

// describe names obj in errors as "<group>/<Kind> <namespace>/<name>".
func describe(obj map[string]any, gk schema.GroupKind) string {
	metadata, _ := obj["metadata"].(map[string]any)
	namespace, _ := metadata["namespace"].(string)
	name, _ := metadata["name"].(string)
	if namespace == "" {
		return fmt.Sprintf("%s %s", formatGroupKind(gk.Group, gk.Kind), name)
	}
	return fmt.Sprintf("%s %s/%s", formatGroupKind(gk.Group, gk.Kind), namespace, name)
}

// formatGroupKind writes a group/kind as "<group>/<Kind>", or "<Kind>" for the
// core group.
func formatGroupKind(group, kind string) string {
	if group == "" {
		return kind
	}
	return group + "/" + kind
}

// newHealth returns a resource health.
func newHealth(status v1alpha1.HealthStatusCode, message string) *v1alpha1.HealthStatus {
	return &v1alpha1.HealthStatus{Status: status, Message: message}
}
