package main

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
)

// commitLimit bounds the wait for one commit to be synced.
const commitLimit = 2 * time.Minute

// refreshAnnotation asks for a refresh, as Argo CD's UI and CLI do.
const refreshAnnotation = "argocd.argoproj.io/refresh"

// runCommit pushes cfg.commits commits, each changing the target ConfigMap
// of one app (apps spread over all three flavours), asks for a refresh with
// the annotation and times until that app is Synced on the new revision.
// The floor of each: `git fetch` of the commit into a clone plus a
// server-side apply of the changed object.
func runCommit(ctx context.Context, env *environment, r *report) error {
	clone := filepath.Join(env.cfg.outDir, "git", "floor-clone")
	if err := runGit(ctx, filepath.Dir(clone), "clone", "--quiet", env.git.URL, clone); err != nil {
		return err
	}
	var measured, floor []time.Duration
	missed := 0
	for i := range env.cfg.commits {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		a := env.apps[(i*len(env.apps)/env.cfg.commits+i)%len(env.apps)]
		took, err := commitOne(ctx, env, a)
		if err != nil {
			logf("commit %d (%s): %v", i, a.Name, err)
			missed++
			continue
		}
		measured = append(measured, took)
		floorTook, err := floorCommit(ctx, env, a, clone)
		if err != nil {
			return fmt.Errorf("floor: %w", err)
		}
		floor = append(floor, floorTook)
	}
	reached := ""
	if missed > 0 {
		reached = fmt.Sprintf("%d/%d commits Synced within %s each", len(measured), env.cfg.commits, commitLimit)
	}
	r.addLatencies("commit", "commit to app Synced on it", "git fetch + apply", seconds(measured), seconds(floor), reached)
	return nil
}

// commitOne pushes a change to app a, annotates it for a refresh and waits
// until it is Synced on the new revision.
func commitOne(ctx context.Context, env *environment, a app) (time.Duration, error) {
	env.generations[a.Index]++
	files, err := a.changedFiles(env.cfg.objects, env.generations[a.Index])
	if err != nil {
		return 0, err
	}
	revision, err := env.git.commit(ctx, files, fmt.Sprintf("%s: generation %d", a.Name, env.generations[a.Index]))
	if err != nil {
		return 0, err
	}
	var (
		once sync.Once
		done = make(chan time.Time, 1)
	)
	stop := env.observe(func(app *v1alpha1.Application, now time.Time) {
		if app.Name == a.Name && app.Status.Sync.Revision == revision && app.Status.Sync.Status == v1alpha1.SyncStatusCodeSynced {
			once.Do(func() { done <- now })
		}
	})
	defer stop()
	started := time.Now()
	patch := []byte(fmt.Sprintf(`{"metadata":{"annotations":{%q:"normal"}}}`, refreshAnnotation))
	if _, err := env.capstan.CapstanV1alpha1().Applications(appNamespace).Patch(ctx, a.Name, types.MergePatchType, patch, metav1.PatchOptions{}); err != nil {
		return 0, fmt.Errorf("annotate for refresh: %w", err)
	}
	select {
	case at := <-done:
		return at.Sub(started), nil
	case <-time.After(commitLimit):
		return 0, fmt.Errorf("not Synced on %s within %s", revision[:8], commitLimit)
	case <-ctx.Done():
		return 0, ctx.Err()
	}
}

// floorCommit fetches the latest commit into clone and applies app a's
// changed object into its floor namespace.
func floorCommit(ctx context.Context, env *environment, a app, clone string) (time.Duration, error) {
	started := time.Now()
	if err := runGit(ctx, clone, "fetch", "--quiet", "origin", "main"); err != nil {
		return 0, err
	}
	obj := targetObject(a, env.generations[a.Index])
	if err := env.apply(ctx, a.FloorNamespace(), obj); err != nil {
		return 0, err
	}
	return time.Since(started), nil
}
