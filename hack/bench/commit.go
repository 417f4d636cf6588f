package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
	"capstan.dev/capstan/pkg/refresh"
	"capstan.dev/capstan/pkg/webhook"
	"capstan.dev/capstan/pkg/webhook/webhooktest"
)

// commitLimit bounds the wait for one commit to be synced.
const commitLimit = 2 * time.Minute

// refreshTrigger asks Capstan to notice a pushed commit of app a.
type refreshTrigger func(ctx context.Context, a app, before, after string, files []string) error

// runCommit runs the commit scenario twice: cfg.commits commits, each
// changing the target ConfigMap of one app (apps spread over all three
// flavours), announced first with the refresh annotation and then with a
// signed GitHub push webhook; each is timed until that app is Synced on the
// new revision. Every Application carries manifest-generate-paths ".", so a
// webhook refreshes only the app whose files changed, among all. The floor
// of each commit: `git fetch` of the commit into a clone plus a server-side
// apply of the changed object.
func runCommit(ctx context.Context, env *environment, r *report) error {
	clone := filepath.Join(env.cfg.outDir, "git", "floor-clone")
	if err := runGit(ctx, filepath.Dir(clone), "clone", "--quiet", env.git.URL, clone); err != nil {
		return err
	}
	if err := commitVariant(ctx, env, r, clone, "commit", "commit to app Synced on it", annotateForRefresh(env), 0); err != nil {
		return err
	}
	post, err := postPushWebhook(ctx, env)
	if err != nil {
		return fmt.Errorf("webhook: %w", err)
	}
	return commitVariant(ctx, env, r, clone, "webhook", "push webhook to app Synced on it", post, 1)
}

// commitVariant pushes cfg.commits commits announced by trigger; offset
// picks other apps than another variant's.
func commitVariant(ctx context.Context, env *environment, r *report, clone, scenario, name string, trigger refreshTrigger, offset int) error {
	var measured, floor []time.Duration
	missed := 0
	// Writes of Applications per commit tell a sync that ran more than once
	// (a step retried after a conflict) from one that ran once.
	metrics, metricsErr := newMetricsClient(env)
	var writesBefore applicationWrites
	if metricsErr == nil {
		writesBefore, metricsErr = metrics.applicationWrites(ctx)
	}
	for i := range env.cfg.commits {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		a := env.apps[(i*len(env.apps)/env.cfg.commits+i+offset)%len(env.apps)]
		took, err := commitOne(ctx, env, a, trigger)
		if err != nil {
			logf("%s %d (%s): %v", scenario, i, a.Name, err)
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
	r.addLatencies(scenario, name, "git fetch + apply", seconds(measured), seconds(floor), reached)
	if metricsErr == nil && env.cfg.commits > 0 {
		if writesAfter, err := metrics.applicationWrites(ctx); err == nil {
			commits := float64(env.cfg.commits)
			r.add(figure{Scenario: scenario, Name: "writes of Applications per commit (its refresh request included)", Unit: "req",
				Value: float64(writesAfter.ok-writesBefore.ok) / commits, FloorNote: noFloor})
			r.add(figure{Scenario: scenario, Name: "  conflicted writes (409) per commit", Unit: "req",
				Value: float64(writesAfter.conflicts-writesBefore.conflicts) / commits, Floor: 0, FloorNote: "zero"})
			r.detail(scenario+"ApplicationWritesPerCommit", writesAfter.perApp(writesBefore, env.cfg.commits))
		}
	}
	return nil
}

// commitOne pushes a change to app a, announces it with trigger and waits
// until a is Synced on the new revision.
func commitOne(ctx context.Context, env *environment, a app, trigger refreshTrigger) (time.Duration, error) {
	env.generations[a.Index]++
	files, err := a.changedFiles(env.cfg.objects, env.generations[a.Index])
	if err != nil {
		return 0, err
	}
	before, err := gitOutput(ctx, env.git.work, "rev-parse", "HEAD")
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
	paths := make([]string, 0, len(files))
	for path := range files {
		paths = append(paths, path)
	}
	slices.Sort(paths)
	if err := trigger(ctx, a, before, revision, paths); err != nil {
		return 0, err
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

// annotateForRefresh asks for a refresh as Argo CD's UI and CLI do.
func annotateForRefresh(env *environment) refreshTrigger {
	return func(ctx context.Context, a app, _, _ string, _ []string) error {
		patch := []byte(fmt.Sprintf(`{"metadata":{"annotations":{%q:%q}}}`, refresh.Annotation, refresh.Normal))
		if _, err := env.capstan.CapstanV1alpha1().Applications(appNamespace).Patch(ctx, a.Name, types.MergePatchType, patch, metav1.PatchOptions{}); err != nil {
			return fmt.Errorf("annotate for refresh: %w", err)
		}
		return nil
	}
}

// postPushWebhook configures a GitHub webhook key in the plane's
// argocd-secret and returns a trigger that POSTs a signed push event, as
// GitHub would, to the plane's receiver (CAPSTAN_WEBHOOK_URL).
func postPushWebhook(ctx context.Context, env *environment) (refreshTrigger, error) {
	url, err := planeValue(env.cfg.localDir, "CAPSTAN_WEBHOOK_URL")
	if err != nil {
		return nil, err
	}
	key := make([]byte, 16)
	if _, err := rand.Read(key); err != nil {
		return nil, err
	}
	secret := hex.EncodeToString(key)
	if err := writeWebhookSecret(ctx, env, secret); err != nil {
		return nil, err
	}
	return func(ctx context.Context, _ app, before, after string, files []string) error {
		d, err := webhooktest.New(webhooktest.GitHubPush, webhooktest.Event{
			Ref: "refs/heads/main", Before: before, After: after, CloneURL: env.git.URL, Modified: files,
		}, webhooktest.Signing{Secret: secret})
		if err != nil {
			return err
		}
		// The receiver reads the key through an informer: 401 until it saw it.
		deadline := time.Now().Add(30 * time.Second)
		for {
			status, err := post(ctx, url, d)
			switch {
			case err != nil:
				return err
			case status == http.StatusAccepted:
				return nil
			case status != http.StatusUnauthorized || time.Now().After(deadline):
				return fmt.Errorf("the webhook receiver answered %d", status)
			}
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(100 * time.Millisecond):
			}
		}
	}, nil
}

func post(ctx context.Context, url string, d webhooktest.Delivery) (int, error) {
	request, err := d.Request(url)
	if err != nil {
		return 0, err
	}
	response, err := http.DefaultClient.Do(request.WithContext(ctx))
	if err != nil {
		return 0, err
	}
	response.Body.Close()
	return response.StatusCode, nil
}

// writeWebhookSecret creates or replaces argocd-secret in capstan-system
// with the GitHub webhook key.
func writeWebhookSecret(ctx context.Context, env *environment, key string) error {
	secrets := env.kube.CoreV1().Secrets("capstan-system")
	secret := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: webhook.SecretName},
		Data:       map[string][]byte{webhooktest.SecretKey(webhooktest.GitHubPush): []byte(key)},
	}
	_, err := secrets.Create(ctx, secret, metav1.CreateOptions{})
	if apierrors.IsAlreadyExists(err) {
		_, err = secrets.Update(ctx, secret, metav1.UpdateOptions{})
	}
	return err
}

// planeValue reads a variable of the plane's env file (hack/local-up.sh).
func planeValue(localDir, name string) (string, error) {
	f, err := os.Open(filepath.Join(localDir, "env"))
	if err != nil {
		return "", err
	}
	defer f.Close()
	scanner := bufio.NewScanner(f)
	for scanner.Scan() {
		if value, ok := strings.CutPrefix(scanner.Text(), name+"="); ok {
			return value, nil
		}
	}
	return "", fmt.Errorf("%s is not in %s", name, f.Name())
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
