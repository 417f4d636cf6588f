// Package settings keeps what argocd-cm and the CEL health rules configure —
// the health checker (Lua scripts, CEL rules), the resource actions and the
// system-level ignore rules — current: it reads the ConfigMaps at start-up
// and again whenever they change, so no restart is needed.
package settings

import (
	"context"
	"sync"
	"sync/atomic"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"
	"k8s.io/klog/v2"

	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
	"capstan.dev/capstan/pkg/diff"
	"capstan.dev/capstan/pkg/health"
	"capstan.dev/capstan/pkg/luascript"
)

// Options say where the settings are and how they are used.
type Options struct {
	// Namespace holds the ConfigMaps.
	Namespace string
	// ArgoCDConfigMap is argocd-cm: Lua customizations (health and actions)
	// and the system-level ignore rules. Empty reads none.
	ArgoCDConfigMap string
	// HealthRulesConfigMap holds CEL health rules. Empty reads none.
	HealthRulesConfigMap string
	// AssessApplicationHealth is passed to the health checker.
	AssessApplicationHealth bool
	// LuaLimits bound every Lua call.
	LuaLimits luascript.Limits
}

// Settings is the current state of the settings. Its methods are safe for
// concurrent use; values change atomically when a ConfigMap changes.
type Settings struct {
	opts    Options
	checker atomic.Pointer[health.Checker]
	rules   atomic.Pointer[diff.SystemRules]
	lua     atomic.Pointer[luascript.Customizations]
	// generation counts the rebuilds: what a comparison read is current as
	// long as it is unchanged.
	generation atomic.Uint64

	mu   sync.Mutex
	data map[string]map[string]string // by ConfigMap name
}

// New returns settings built from no ConfigMap: built-in health, no rules.
func New(opts Options) *Settings {
	s := &Settings{opts: opts, data: map[string]map[string]string{}}
	s.rebuild(context.Background())
	return s
}

// Start reads the ConfigMaps and watches them until ctx ends. It returns
// once the first read is done (or failed; then the watch keeps trying).
func (s *Settings) Start(ctx context.Context, kube kubernetes.Interface) {
	var synced []cache.InformerSynced
	for _, name := range []string{s.opts.ArgoCDConfigMap, s.opts.HealthRulesConfigMap} {
		if name == "" {
			continue
		}
		factory := informers.NewSharedInformerFactoryWithOptions(kube, 0, informers.WithNamespace(s.opts.Namespace),
			informers.WithTweakListOptions(func(o *metav1.ListOptions) {
				o.FieldSelector = fields.OneTermEqualSelector("metadata.name", name).String()
			}))
		informer := factory.Core().V1().ConfigMaps().Informer()
		_, _ = informer.AddEventHandler(cache.ResourceEventHandlerFuncs{
			AddFunc:    func(obj any) { s.observe(ctx, name, obj) },
			UpdateFunc: func(_, obj any) { s.observe(ctx, name, obj) },
			DeleteFunc: func(any) { s.observe(ctx, name, nil) },
		})
		factory.Start(ctx.Done())
		synced = append(synced, informer.HasSynced)
	}
	cache.WaitForCacheSync(ctx.Done(), synced...)
}

// observe records a ConfigMap's data and rebuilds what it configures.
func (s *Settings) observe(ctx context.Context, name string, obj any) {
	var data map[string]string
	if configMap, ok := obj.(*corev1.ConfigMap); ok {
		if configMap.Name != name {
			return
		}
		data = configMap.Data
	}
	s.mu.Lock()
	s.data[name] = data
	s.mu.Unlock()
	klog.FromContext(ctx).Info("Settings ConfigMap changed", "configMap", klog.KRef(s.opts.Namespace, name), "keys", len(data))
	s.rebuild(ctx)
}

// rebuild compiles the settings from the ConfigMaps' data. Entries that
// cannot be used are logged with their key; the others apply.
func (s *Settings) rebuild(ctx context.Context) {
	logger := klog.FromContext(ctx)
	s.mu.Lock()
	argocd, cel := s.data[s.opts.ArgoCDConfigMap], s.data[s.opts.HealthRulesConfigMap]
	s.mu.Unlock()

	customizations, err := luascript.Parse(argocd, s.opts.LuaLimits)
	if err != nil {
		logger.Error(err, "Some Lua customizations cannot be used; their kinds keep their other rules", "configMap", klog.KRef(s.opts.Namespace, s.opts.ArgoCDConfigMap))
	}
	s.lua.Store(customizations)

	checker, err := health.NewChecker(health.Options{Rules: cel, Scripts: customizations, AssessApplicationHealth: s.opts.AssessApplicationHealth})
	if err != nil {
		logger.Error(err, "Some custom health rules do not compile; their kinds get health Unknown", "configMap", klog.KRef(s.opts.Namespace, s.opts.HealthRulesConfigMap))
	}
	if checker == nil {
		checker, _ = health.NewChecker(health.Options{Scripts: customizations, AssessApplicationHealth: s.opts.AssessApplicationHealth})
	}
	s.checker.Store(checker)

	rules := diff.ParseSystemRules(argocd)
	for _, invalid := range rules.Invalid {
		logger.Error(invalid.Err, "Invalid system-level ignore rule; comparisons of the resources it selects fail until it is fixed",
			"configMap", klog.KRef(s.opts.Namespace, s.opts.ArgoCDConfigMap))
	}
	s.rules.Store(&rules)
	s.generation.Add(1)
}

// Generation changes whenever the settings do: comparisons made under the
// same generation used the same rules.
func (s *Settings) Generation() uint64 {
	return s.generation.Load()
}

// Assess assesses obj's health with the current checker.
func (s *Settings) Assess(obj *unstructured.Unstructured) (*v1alpha1.HealthStatus, error) {
	return s.checker.Load().Assess(obj)
}

// SystemRules returns the current system-level ignore rules.
func (s *Settings) SystemRules() diff.SystemRules {
	return *s.rules.Load()
}

// Customizations returns the current Lua customizations.
func (s *Settings) Customizations() *luascript.Customizations {
	return s.lua.Load()
}
