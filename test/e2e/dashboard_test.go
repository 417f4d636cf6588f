package e2e

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// The dashboard (issue 14), driven in headless Chromium: `kubectl capstan
// dashboard` runs as the plane's admin or as an impersonated user, and the
// tests press its buttons as a person would.

// browserTimeout bounds one browser step: waiting for a page to show what
// the controller did.
const browserTimeout = 3 * time.Minute

// dashboardPage is a browser tab on a running dashboard.
type dashboardPage struct {
	t   *testing.T
	ctx context.Context
	url string
}

// startDashboard runs `kubectl capstan dashboard --port 0` with extra flags
// (--as=alice) and returns its URL; the process is stopped when the test ends.
func startDashboard(t *testing.T, flags ...string) string {
	t.Helper()
	return startServingKubectl(t, "kubectl capstan dashboard", `Capstan dashboard: (http://\S+)`, "",
		append([]string{"capstan", "dashboard", "--port", "0"}, flags...)...)
}

// startServingKubectl runs a kubectl command that serves until stopped and
// returns prefix and the first submatch of pattern in a line of its output;
// the process is stopped when the test ends.
func startServingKubectl(t *testing.T, what, pattern, prefix string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	cmd := kubectlCommand(ctx, nil, args...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", what, err)
	}
	t.Cleanup(func() {
		cancel()
		_ = cmd.Wait()
	})
	found := make(chan string, 1)
	go func() {
		scanner := bufio.NewScanner(stdout)
		for scanner.Scan() {
			if match := regexp.MustCompile(pattern).FindStringSubmatch(scanner.Text()); match != nil {
				found <- match[1]
			}
		}
		close(found)
	}()
	select {
	case value, ok := <-found:
		if !ok {
			t.Fatalf("%s ended without serving:\n%s", what, stderr.String())
		}
		return prefix + value
	case <-time.After(time.Minute):
		t.Fatalf("%s did not serve within a minute:\n%s", what, stderr.String())
	}
	return ""
}

// openDashboard starts a dashboard and a headless Chromium showing it.
func openDashboard(t *testing.T, flags ...string) *dashboardPage {
	t.Helper()
	return openBrowser(t, startDashboard(t, flags...))
}

// openBrowser starts a headless Chromium for the dashboard at url.
func openBrowser(t *testing.T, url string) *dashboardPage {
	t.Helper()
	chromium, err := exec.LookPath("chromium")
	if err != nil {
		t.Fatalf("the browser tests need Debian's chromium package (.ci/run installs it): %v", err)
	}
	options := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium), chromedp.NoSandbox, chromedp.WindowSize(1400, 1000), chromedp.UserDataDir(t.TempDir()))
	allocator, cancelAllocator := chromedp.NewExecAllocator(context.Background(), options...)
	ctx, cancel := chromedp.NewContext(allocator)
	t.Cleanup(func() {
		cancel()
		cancelAllocator()
	})
	// The first action starts the browser, without a timeout: a timeout on
	// it would stop the browser when it passes.
	if err := chromedp.Do(ctx, chromedp.Navigate("about:blank")); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return &dashboardPage{t: t, ctx: ctx, url: url}
}

// run runs browser actions within browserTimeout; on failure the test fails
// with a screenshot of the page.
func (p *dashboardPage) run(what string, steps ...chromedp.Action[chromedp.Void]) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, browserTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		p.fail(what, err)
	}
}

// fail fails the test with a screenshot and the page's text.
func (p *dashboardPage) fail(what string, err error) {
	p.t.Helper()
	p.screenshot("failed")
	ctx, cancel := context.WithTimeout(p.ctx, 10*time.Second)
	defer cancel()
	text, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("body")))
	p.t.Fatalf("%s: %v\npage text:\n%s", what, err, text)
}

// evaluate returns the value of a JavaScript expression in the page.
func (p *dashboardPage) evaluate(expression string) string {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, browserTimeout)
	defer cancel()
	value, err := chromedp.Run(ctx, chromedp.Evaluate[string](expression))
	if err != nil {
		p.fail("evaluate "+expression, err)
	}
	return value
}

// open shows the dashboard's route (such as "#/app/ns/name").
func (p *dashboardPage) open(route string) {
	p.t.Helper()
	p.run("open "+route, chromedp.Navigate(p.url+route), chromedp.WaitVisible(chromedp.CSS("main h1")))
}

// waitFor polls a JavaScript condition in the page until it is true.
func (p *dashboardPage) waitFor(what, condition string) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, browserTimeout+10*time.Second)
	defer cancel()
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](condition, chromedp.WithPollingTimeout(browserTimeout), chromedp.WithPollingInterval(250*time.Millisecond))); err != nil {
		p.fail("wait for "+what, err)
	}
}

// click presses the element that selector (a CSS selector) finds.
func (p *dashboardPage) click(what, selector string) {
	p.t.Helper()
	p.run("click "+what, chromedp.WaitVisible(chromedp.CSS(selector)), chromedp.Click(chromedp.CSS(selector)))
}

// screenshot saves the whole page as _output/screenshots/<test>-<name>.png.
func (p *dashboardPage) screenshot(name string) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, 30*time.Second)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		p.t.Logf("screenshot %s: %v", name, err)
		return
	}
	dir := filepath.Join(cluster.rootDir, "_output", "screenshots")
	file := filepath.Join(dir, regexp.MustCompile(`[^A-Za-z0-9_-]+`).ReplaceAllString(p.t.Name(), "-")+"-"+name+".png")
	if err := os.MkdirAll(dir, 0o755); err == nil {
		err = os.WriteFile(file, png, 0o644)
	}
	p.t.Logf("screenshot: %s", file)
}

// js quotes a string for a JavaScript expression.
func js(s string) string { return fmt.Sprintf("%q", s) }

func TestDashboardListShowsApplicationsTurnSyncedAndHealthyLive(t *testing.T) {
	requireCapstanAPIServer(t)
	ns := createNamespace(t)
	repo := newGitRepo(t, map[string]string{"guestbook/resources.yaml": guestbookResources})
	page := openDashboard(t)
	page.open("#/?namespace=" + ns)
	page.waitFor("an empty list", `document.querySelector("#app-count")?.textContent.startsWith("0 of")`)

	kubectlWithInput(t, automatedApplication(ns, repo.URL, "guestbook", false), "apply", "-f", "-")
	row := `document.querySelector('[data-app=` + js(ns+"/guestbook") + `]')`
	page.waitFor("the new Application in the list", row+` !== null`)
	page.waitFor("the Application to turn Synced and Healthy without a reload",
		`!!(`+row+`?.querySelector('[data-status="Synced"]') && `+row+`?.querySelector('[data-status="Healthy"]'))`)
	page.screenshot("synced-healthy")
}

// Conditions on the application page.
const (
	titleSynced     = `!!document.querySelector('main h1 [data-status="Synced"]') && !!document.querySelector('main h1 [data-status="Healthy"]')`
	titleOutOfSync  = `!!document.querySelector('main h1 [data-status="OutOfSync"]')`
	operationPassed = `!!document.querySelector('#operation-title [data-status="Succeeded"]')`
	treeToPods      = `!!document.querySelector('.tree li[data-kind="Deployment"] li[data-kind="ReplicaSet"] li[data-kind="Pod"] [data-status="Healthy"]')`
)

// syncFromDialog presses Sync and Synchronize with the dialog's defaults.
func (p *dashboardPage) syncFromDialog() {
	p.t.Helper()
	p.click("Sync", `button[data-action="sync"]`)
	p.click("Synchronize", `dialog form.sync-form button[type="submit"]`)
}

func TestDashboardSyncsDiffsAndRollsBackAnApplication(t *testing.T) {
	requireCapstanAPIServer(t)
	ns := createNamespace(t)
	repo := newGitRepo(t, map[string]string{"guestbook/resources.yaml": guestbookResources})
	kubectlWithInput(t, manualApplication(ns, "guestbook", repo.URL, "guestbook"), "apply", "-f", "-")
	page := openDashboard(t)
	page.open("#/app/" + ns + "/guestbook")
	page.waitFor("the Application to be OutOfSync", titleOutOfSync)

	t.Run("the Sync button syncs and the tree shows the Deployment's ReplicaSet and Pods", func(t *testing.T) {
		page.t = t
		page.syncFromDialog()
		page.waitFor("the operation to succeed", operationPassed)
		page.waitFor("the Application to be Synced and Healthy", titleSynced)
		page.waitFor("Deployment → ReplicaSet → Pod in the tree", treeToPods)
		page.screenshot("synced-tree")
	})
	t.Run("a live object's manifest is shown", func(t *testing.T) {
		page.t = t
		page.click("the ConfigMap", `.tree li[data-kind="ConfigMap"] > button`)
		page.waitFor("the live ConfigMap", `document.querySelector('pre.manifest')?.textContent.includes('greeting: hello')`)
	})
	t.Run("a change made with kubectl shows OutOfSync and the diff", func(t *testing.T) {
		page.t = t
		kubectl(t, "patch", "configmap", "guestbook-config", "-n", ns, "--type=merge", "-p", `{"data":{"greeting":"changed by hand"}}`)
		page.waitFor("the Application to turn OutOfSync", titleOutOfSync)
		page.waitFor("the ConfigMap to turn OutOfSync in the tree", `!!document.querySelector('.tree li[data-kind="ConfigMap"] > button [data-status="OutOfSync"]')`)
		page.click("Diff", `button[data-action="diff"]`)
		page.waitFor("the ConfigMap's diff", `[...document.querySelectorAll('.resource-diff')].some(s => s.dataset.resource.startsWith('ConfigMap') &&
			s.querySelector('.line.del')?.textContent.includes('changed by hand') && s.querySelector('.line.add')?.textContent.includes('hello'))`)
		page.click("Side by side", `button[data-mode="side"]`)
		page.waitFor("the side-by-side diff", `!!document.querySelector('table.diff.side td.line.del')`)
		page.screenshot("diff")
	})

	first := repo.head(t)
	repo.commit(t, map[string]string{"guestbook/resources.yaml": strings.Replace(guestbookResources, "greeting: hello", "greeting: bye", 1)}, "bye")
	t.Run("rollback returns to the first revision", func(t *testing.T) {
		page.t = t
		page.click("Refresh", `button[data-action="refresh"]`)
		page.waitFor("the new revision to be compared", `document.querySelector('.summary')?.textContent.includes(`+js(repo.head(t)[:7])+`) ?? false`)
		page.syncFromDialog()
		eventually(t, syncTimeout, "the second sync to deploy bye", func() (bool, error) {
			got, err := tryKubectl("get", "configmap", "guestbook-config", "-n", ns, "-o", "jsonpath={.data.greeting}")
			return got == "bye", fmt.Errorf("greeting %q: %v", got, err)
		})
		page.click("History", `button[data-action="history"]`)
		firstRow := `table.history tr[data-revision=` + js(first) + `]`
		page.waitFor("both syncs in the history", `document.querySelectorAll('table.history tbody tr').length === 2 && !!document.querySelector(`+js(firstRow)+`)`)
		page.screenshot("history")
		page.click("Roll back", firstRow+` button`)
		page.click("Roll back in the dialog", `dialog button[type="submit"]`)
		eventually(t, syncTimeout, "the rollback to deploy hello again", func() (bool, error) {
			got, err := tryKubectl("get", "configmap", "guestbook-config", "-n", ns, "-o", "jsonpath={.data.greeting}")
			return got == "hello", fmt.Errorf("greeting %q: %v", got, err)
		})
		page.waitFor("the rollback's operation to succeed", operationPassed)
		page.screenshot("rolled-back")
	})
	t.Run("delete with the orphan choice removes the Application and leaves its objects", func(t *testing.T) {
		page.t = t
		page.click("Delete", `button[data-action="delete"]`)
		page.click("Orphan", `dialog input[name="cascade"][value="orphan"]`)
		page.run("type the name", chromedp.SendKeys(chromedp.CSS(`#delete-confirm`), "guestbook"))
		page.click("Delete in the dialog", `dialog button[type="submit"]`)
		eventually(t, syncTimeout, "the Application to be gone", func() (bool, error) {
			out, err := tryKubectl("get", "applications", "-n", ns, "-o", "name")
			return err == nil && strings.TrimSpace(out) == "", fmt.Errorf("applications %q: %v", out, err)
		})
		kubectl(t, "get", "configmap", "guestbook-config", "-n", ns)
		page.waitFor("the list after the deletion", `location.hash === '#/' || location.hash.startsWith('#/?')`)
	})
}

func TestDashboardShowsTheAPIsRefusalToAUserWhoMayNotSync(t *testing.T) {
	requireCapstanAPIServer(t)
	ns := createTeamNamespace(t)
	grant(t, ns, "alice", "view", "watch", "applications.capstan.dev", "")
	repo := newGitRepo(t, map[string]string{"guestbook/resources.yaml": guestbookResources})
	kubectlWithInput(t, guestbookApplication(ns, repo.URL, "guestbook"), "apply", "-f", "-")
	waitForAppState(t, ns, "OutOfSync", "Missing")

	page := openDashboard(t, "--as=alice")
	page.open("#/app/" + ns + "/guestbook")
	page.waitFor("alice to see the Application", titleOutOfSync)
	page.syncFromDialog()
	page.waitFor("the API's 403 in the dialog", `(() => { const e = document.querySelector('dialog .error'); return !!e &&
		e.textContent.startsWith('403 Forbidden: ') && e.textContent.includes('User "alice" cannot create resource "applications/sync"') })()`)
	page.screenshot("forbidden")
	if op := appField(t, ns, "{.operation}{.status.operationState.phase}"); op != "" {
		t.Fatalf("alice's refused sync started an operation: %s", op)
	}

	t.Run("the list falls back to the namespace alice may list", func(t *testing.T) {
		page.t = t
		page.open("#/?namespace=" + ns)
		page.waitFor("alice's Application in the list", `!!document.querySelector('[data-app=`+js(ns+"/guestbook")+`]') &&
			document.querySelector('#app-count').textContent.includes('you may not list every namespace')`)
	})
}

func TestDashboardListOfAThousandApplicationsRendersAndFilters(t *testing.T) {
	requireCapstanAPIServer(t)
	const count = 1000
	ns := createNamespace(t)
	// Applications of an empty directory: the controller compares them
	// without deploying anything, so the list is what is measured.
	repo := newGitRepo(t, map[string]string{"empty/README.md": "nothing to deploy\n"})
	var manifests strings.Builder
	for i := range count {
		fmt.Fprintf(&manifests, "---\n%s", manualApplication(ns, fmt.Sprintf("app-%04d", i), repo.URL, "empty"))
	}
	kubectlWithInput(t, manifests.String(), "create", "-f", "-")

	page := openDashboard(t)
	page.open("#/?namespace=" + ns)
	ready := page.pollNumber("the whole list", `(() => { const c = document.querySelector('#app-count');
		return c && c.textContent.startsWith('`+fmt.Sprint(count)+` of ') ? performance.now() : 0 })()`)
	firstRender := page.evaluate(`document.body.dataset.listRenderMs`)
	started := page.pollNumber("typing a name filter", `(() => { const started = performance.now(); const input = document.querySelector('#filter-name');
		input.value = 'app-0999'; input.dispatchEvent(new Event('input')); return started })()`)
	filtered := page.pollNumber("the filtered list", `(() => { const c = document.querySelector('#app-count');
		return c && c.textContent.startsWith('1 of ') ? performance.now() : 0 })()`)
	page.screenshot("filtered")
	t.Logf("%d Applications: shown %.0f ms after navigation (the page's own filter, sort and render: %s ms); name filter applied in %.0f ms",
		count, ready, firstRender, filtered-started)

	page.evaluate(`(() => { const input = document.querySelector('#filter-name'); input.value = ''; input.dispatchEvent(new Event('input')); return '' })()`)
	page.waitFor("the whole list again", `document.querySelector('#app-count')?.textContent.startsWith('`+fmt.Sprint(count)+` of ')`)
	// Only the rows in view (and a few around them) are in the page.
	if rows, _ := strconv.Atoi(page.evaluate(`String(document.querySelectorAll('.spacer .row').length)`)); rows == 0 || rows > 100 {
		t.Errorf("the list has %d row elements for %d Applications, want the visible ones only", rows, count)
	}
}

// pollNumber polls a JavaScript expression until it is a non-zero number,
// and returns it.
func (p *dashboardPage) pollNumber(what, expression string) float64 {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, browserTimeout+10*time.Second)
	defer cancel()
	value, err := chromedp.Run(ctx, chromedp.Poll[float64](expression, chromedp.WithPollingTimeout(browserTimeout)))
	if err != nil {
		p.fail("wait for "+what, err)
	}
	return value
}

func TestDashboardShowsApplicationSetPreviewsAndProjects(t *testing.T) {
	requireCapstanAPIServer(t)
	ns := createNamespace(t)
	repo := newGitRepo(t, workloads("frontend"))
	kubectlWithInput(t, applicationSet("list", ns, `  generators:
  - list:
      elements: [{app: frontend}]
`+appTemplate(ns, "{{.app}}", repo.URL, "apps/{{.app}}")), "apply", "-f", "-")
	waitForApplicationNames(t, ns, "frontend")

	page := openDashboard(t)
	t.Run("the ApplicationSet list previews what the generators produce", func(t *testing.T) {
		page.t = t
		page.open("#/applicationsets")
		page.click("Preview", `tr[data-appset=`+js(ns+"/list")+`] button`)
		page.waitFor("the preview", `[...document.querySelectorAll('table.preview tbody tr')].some(r => r.textContent.includes('frontend'))`)
		page.screenshot("preview")
	})
	t.Run("the project page shows its rules", func(t *testing.T) {
		page.t = t
		page.open("#/project/" + ns)
		page.waitFor("the project's rules", `document.querySelector('dl.rules')?.textContent.includes('sourceNamespaces') &&
			document.querySelector('main')?.textContent.includes('Sync windows')`)
		page.screenshot("project")
	})
}
