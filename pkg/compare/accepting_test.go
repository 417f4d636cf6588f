package compare

import (
	"context"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"capstan.dev/capstan/pkg/diff"
	syncengine "capstan.dev/capstan/pkg/sync"
)

// countingApplier answers every apply with the object at resourceVersion
// "2" and counts the calls.
type countingApplier struct {
	syncengine.Applier
	calls int
}

func (c *countingApplier) Apply(_ context.Context, obj *unstructured.Unstructured, _ syncengine.ApplyOptions) (syncengine.Applied, error) {
	c.calls++
	applied := obj.DeepCopy()
	applied.SetUID("uid-1")
	applied.SetResourceVersion("2")
	return syncengine.Applied{Object: applied, Verb: syncengine.VerbSSA}, nil
}

func acceptingTarget(greeting string) *unstructured.Unstructured {
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "v1", "kind": "ConfigMap",
		"metadata": map[string]any{"name": "config", "namespace": "team"},
		"data":     map[string]any{"greeting": greeting},
	}}
}

func liveAt(resourceVersion string) *unstructured.Unstructured {
	live := acceptingTarget("live")
	live.SetUID("uid-1")
	live.SetResourceVersion(resourceVersion)
	return live
}

func TestAcceptingApplierAnswersOnlyTheDryRunsItKnows(t *testing.T) {
	ctx := context.Background()
	dryRun := syncengine.ApplyOptions{DryRun: true, ServerSide: true, Validate: true, Live: liveAt("1")}
	cases := []struct {
		name string
		// accepted is what was accepted before: by identity, target, at live's version.
		identity  string
		target    *unstructured.Unstructured
		unchanged bool
		// asked is the dry run of target "hello" by identity "a".
		opts       syncengine.ApplyOptions
		wantCalls  int
		wantObject bool
	}{
		{name: "known and changing: answered, no object", identity: "a", target: acceptingTarget("hello"), opts: dryRun},
		{name: "known and unchanged: answered with the live object", identity: "a", target: acceptingTarget("hello"), unchanged: true, opts: dryRun, wantObject: true},
		{name: "another identity", identity: "b", target: acceptingTarget("hello"), opts: dryRun, wantCalls: 1, wantObject: true},
		{name: "another target", identity: "a", target: acceptingTarget("bye"), opts: dryRun, wantCalls: 1, wantObject: true},
		{name: "another version", identity: "a", target: acceptingTarget("hello"), opts: withLive(dryRun, liveAt("7")), wantCalls: 1, wantObject: true},
		{name: "no live object", identity: "a", target: acceptingTarget("hello"), opts: withLive(dryRun, nil), wantCalls: 1, wantObject: true},
		{name: "replace", identity: "a", target: acceptingTarget("hello"), opts: with(dryRun, func(o *syncengine.ApplyOptions) { o.Replace = true }), wantCalls: 1, wantObject: true},
		{name: "create only", identity: "a", target: acceptingTarget("hello"), opts: with(dryRun, func(o *syncengine.ApplyOptions) { o.CreateOnly = true }), wantCalls: 1, wantObject: true},
		{name: "client-side apply", identity: "a", target: acceptingTarget("hello"), opts: with(dryRun, func(o *syncengine.ApplyOptions) { o.ServerSide = false }), wantCalls: 1, wantObject: true},
		{name: "not a dry run", identity: "a", target: acceptingTarget("hello"), opts: with(dryRun, func(o *syncengine.ApplyOptions) { o.DryRun = false }), wantCalls: 1, wantObject: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			differ := diff.NewDiffer(10)
			differ.RememberAccepted(tc.identity, tc.target, liveAt("1"), tc.unchanged)
			inner := &countingApplier{}
			applier := AcceptingApplier{Applier: inner, Differ: differ, Identity: "a"}
			applied, err := applier.Apply(ctx, acceptingTarget("hello"), tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			if inner.calls != tc.wantCalls {
				t.Errorf("the API server was asked %d times, want %d", inner.calls, tc.wantCalls)
			}
			if (applied.Object != nil) != tc.wantObject {
				t.Errorf("answered with object %v, want one: %v", applied.Object, tc.wantObject)
			}
			if tc.wantCalls == 0 && tc.unchanged && applied.Object != tc.opts.Live {
				t.Errorf("an unchanged object is answered with %v, want the live object", applied.Object)
			}
			if applied.Verb != syncengine.VerbSSA {
				t.Errorf("verb %q, want %q", applied.Verb, syncengine.VerbSSA)
			}
		})
	}
}

func TestAcceptingApplierRemembersStrictApplies(t *testing.T) {
	ctx := context.Background()
	for _, validate := range []bool{true, false} {
		differ := diff.NewDiffer(10)
		inner := &countingApplier{}
		applier := AcceptingApplier{Applier: inner, Differ: differ, Identity: "a"}
		if _, err := applier.Apply(ctx, acceptingTarget("hello"), syncengine.ApplyOptions{ServerSide: true, Validate: validate}); err != nil {
			t.Fatal(err)
		}
		// The next sync's dry run, of the version the apply wrote.
		applied, err := applier.Apply(ctx, acceptingTarget("hello"), syncengine.ApplyOptions{DryRun: true, ServerSide: true, Validate: true, Live: liveAt("2")})
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case validate && inner.calls != 1:
			t.Errorf("after a strict apply the dry run of the same target was sent (%d requests)", inner.calls)
		case validate && (applied.Object == nil || applied.Object.GetResourceVersion() != "2"):
			t.Errorf("the dry run after a strict apply answered %v, want the live object: applying again changes nothing", applied.Object)
		case !validate && inner.calls != 2:
			t.Errorf("an apply without validation (Validate=false) was taken as strictly accepted: %d requests, want 2", inner.calls)
		}
	}
}

func withLive(opts syncengine.ApplyOptions, live *unstructured.Unstructured) syncengine.ApplyOptions {
	opts.Live = live
	return opts
}

func with(opts syncengine.ApplyOptions, change func(*syncengine.ApplyOptions)) syncengine.ApplyOptions {
	change(&opts)
	return opts
}
