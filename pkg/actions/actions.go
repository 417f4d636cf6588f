// Package actions runs resource actions on live objects — Argo CD's
// built-in ones (restart, pause and resume, Argo Rollouts promote, abort and
// retry, CronJob create-job, suspend and resume) and the Lua actions of
// argocd-cm — and says what each changes. Applying the change is the
// caller's: it knows the identity to act as and the project's rules.
package actions

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
	"capstan.dev/capstan/pkg/luascript"
)

// ErrUnknownAction is returned for an action the object's kind does not have.
var ErrUnknownAction = errors.New("unknown action")

// Result is what an action changes.
type Result struct {
	// Object is the acted-on object as the action leaves it (spec and
	// status); nil when the action does not change it.
	Object *unstructured.Unstructured
	// Created are objects the action creates (a Job from a CronJob).
	Created []*unstructured.Unstructured
}

// Runner runs actions. Its zero value has the built-in actions only.
type Runner struct {
	// Customizations returns the current Lua customizations of argocd-cm;
	// nil means none.
	Customizations func() *luascript.Customizations
	// Now is the clock of restart annotations and Job names; nil is time.Now.
	Now func() time.Time
}

// builtinAction changes a copy of obj.
type builtinAction func(obj *unstructured.Unstructured, now time.Time) (Result, error)

func (r Runner) customizations() *luascript.Customizations {
	if r.Customizations == nil {
		return nil
	}
	return r.Customizations()
}

func (r Runner) now() time.Time {
	if r.Now == nil {
		return time.Now()
	}
	return r.Now()
}

// Available lists the actions of obj's kind: the Lua actions its discovery
// script enables, and the built-in ones unless Lua actions replace them.
func (r Runner) Available(ctx context.Context, obj *unstructured.Unstructured) ([]string, error) {
	gk := obj.GroupVersionKind().GroupKind()
	names := map[string]bool{}
	custom := r.customizations().Actions(gk)
	if custom != nil {
		discovered, err := custom.Discover(ctx, obj)
		if err != nil {
			return nil, err
		}
		for _, name := range discovered {
			names[name] = true
		}
	}
	if custom == nil || custom.MergeBuiltin {
		for name := range builtinActions[gk] {
			names[name] = true
		}
	}
	out := make([]string, 0, len(names))
	for name := range names {
		out = append(out, name)
	}
	sort.Strings(out)
	return out, nil
}

// Run runs action on obj (which is not changed) with params.
func (r Runner) Run(ctx context.Context, obj *unstructured.Unstructured, action string, params []v1alpha1.ActionParam) (Result, error) {
	gk := obj.GroupVersionKind().GroupKind()
	if custom := r.customizations().Actions(gk); custom != nil {
		if _, ok := custom.Definitions[action]; ok {
			values := make(map[string]string, len(params))
			for _, param := range params {
				values[param.Name] = param.Value
			}
			out, err := custom.Run(ctx, action, obj, values)
			if err != nil {
				return Result{}, err
			}
			return Result{Object: out.Object, Created: out.Created}, nil
		}
		if !custom.MergeBuiltin {
			return Result{}, fmt.Errorf("%w %q for %s", ErrUnknownAction, action, formatGroupKind(gk))
		}
	}
	run, ok := builtinActions[gk][action]
	if !ok {
		return Result{}, fmt.Errorf("%w %q for %s", ErrUnknownAction, action, formatGroupKind(gk))
	}
	return run(obj.DeepCopy(), r.now())
}

func formatGroupKind(gk schema.GroupKind) string {
	if gk.Group == "" {
		return gk.Kind
	}
	return gk.Group + "/" + gk.Kind
}
