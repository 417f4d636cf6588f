package target

import (
	"context"
	"errors"
	"testing"

	"k8s.io/component-base/metrics/testutil"

	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
	"capstan.dev/capstan/pkg/render"
	"capstan.dev/capstan/pkg/source/credentials"
	"capstan.dev/capstan/pkg/source/git"
	"capstan.dev/capstan/pkg/source/git/gittest"
	"capstan.dev/capstan/pkg/source/helmrepo"
)

type noCredentials struct{}

func (noCredentials) Lookup(string, credentials.LookupOptions) (credentials.Credentials, error) {
	return credentials.Credentials{}, nil
}

// newTestSource returns a Source over fresh caches and no credentials.
func newTestSource(t *testing.T, gitOptions git.Options) *Source {
	t.Helper()
	gitCache, err := git.NewCache(t.TempDir(), gitOptions)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = gitCache.Close() })
	charts, err := helmrepo.NewClient(t.TempDir(), helmrepo.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return New(gitCache, charts, render.Options{}, noCredentials{})
}

func TestTargetCountsRenderCacheHitsAndObservesDurations(t *testing.T) {
	repo := gittest.NewRepo(t, t.TempDir())
	repo.CommitOn("main", gittest.Files{"app/cm.yaml": gittest.File("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n")})
	source := newTestSource(t, git.Options{AllowFileURLs: true})
	app := &v1alpha1.Application{Spec: v1alpha1.ApplicationSpec{
		Source:      &v1alpha1.ApplicationSource{RepoURL: repo.FileURL(), Path: "app", TargetRevision: "main"},
		Destination: v1alpha1.ApplicationDestination{Namespace: "default"},
	}}
	hitsBefore, _ := testutil.GetCounterMetricValue(renderCacheTotal.WithLabelValues("hit"))
	missesBefore, _ := testutil.GetCounterMetricValue(renderCacheTotal.WithLabelValues("miss"))
	for range 3 {
		if _, err := source.Target(context.Background(), app, Options{}); err != nil {
			t.Fatal(err)
		}
	}
	hits, _ := testutil.GetCounterMetricValue(renderCacheTotal.WithLabelValues("hit"))
	misses, _ := testutil.GetCounterMetricValue(renderCacheTotal.WithLabelValues("miss"))
	if hits-hitsBefore != 2 || misses-missesBefore != 1 {
		t.Errorf("render cache: %v hits, %v misses; want 2 and 1", hits-hitsBefore, misses-missesBefore)
	}
	if count, _ := testutil.GetHistogramMetricCount(sourceDuration.WithLabelValues("git")); count < 3 {
		t.Errorf("source resolutions observed: %d, want at least 3", count)
	}
	if count, _ := testutil.GetHistogramMetricCount(renderDuration.WithLabelValues(string(v1alpha1.ApplicationSourceTypeDirectory))); count < 1 {
		t.Errorf("renders observed: %d, want at least 1", count)
	}
}

func TestTargetRemembersRenderFailuresUntilAHardRefresh(t *testing.T) {
	repo := gittest.NewRepo(t, t.TempDir())
	repo.CommitOn("main", gittest.Files{"app/cm.yaml": gittest.File("apiVersion: v1\nkind: ConfigMap\nmetadata: [broken\n")})
	gitCache, err := git.NewCache(t.TempDir(), git.Options{AllowFileURLs: true})
	if err != nil {
		t.Fatal(err)
	}
	charts, err := helmrepo.NewClient(t.TempDir(), helmrepo.Options{})
	if err != nil {
		t.Fatal(err)
	}
	source := New(gitCache, charts, render.Options{}, noCredentials{})
	app := &v1alpha1.Application{Spec: v1alpha1.ApplicationSpec{
		Source:      &v1alpha1.ApplicationSource{RepoURL: repo.FileURL(), Path: "app", TargetRevision: "main"},
		Destination: v1alpha1.ApplicationDestination{Namespace: "default"},
	}}
	count := func(reason string) float64 {
		value, _ := testutil.GetCounterMetricValue(renderFailuresTotal.WithLabelValues(reason))
		return value
	}
	errorsBefore, rememberedBefore := count("error"), count("remembered")
	for i, step := range []struct{ hard, remembered bool }{{false, false}, {false, true}, {true, false}} {
		_, err := source.Target(context.Background(), app, Options{Hard: step.hard})
		if err == nil {
			t.Fatal("expected the broken manifest to fail the render")
		}
		if remembered := errors.Is(err, render.ErrFailureRemembered); remembered != step.remembered {
			t.Errorf("render %d (hard %v): remembered %v, want %v: %v", i+1, step.hard, remembered, step.remembered, err)
		}
	}
	if got, want := count("error")-errorsBefore, 2.0; got != want {
		t.Errorf("%v render errors counted, want %v", got, want)
	}
	if got, want := count("remembered")-rememberedBefore, 1.0; got != want {
		t.Errorf("%v remembered failures counted, want %v", got, want)
	}
}
