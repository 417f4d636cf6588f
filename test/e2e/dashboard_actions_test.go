package e2e

import (
	"fmt"
	"strings"
	"testing"
)

// More of the dashboard's buttons, pressed in headless Chromium: hard
// refresh, terminate, a resource's Events, and the sync dialog's options.

// clickButtonText presses the button of the page whose text is text, within
// the elements selector finds.
func (p *dashboardPage) clickButtonText(selector, text string) {
	p.t.Helper()
	p.waitFor("the button "+text, `[...document.querySelectorAll(`+js(selector+" button")+`)].some(b => b.textContent.trim() === `+js(text)+` && !b.disabled)`)
	p.evaluate(`(() => { [...document.querySelectorAll(` + js(selector+" button") + `)].find(b => b.textContent.trim() === ` + js(text) + `).click(); return '' })()`)
}

// operationShows is true when the page's last operation has the phase.
func operationShows(phase string) string {
	return `!!document.querySelector('#operation-title [data-status=` + js(phase) + `]')`
}

func TestDashboardHardRefreshAdoptsObjectsDeployedBySomeoneElse(t *testing.T) {
	requireCapstanAPIServer(t)
	ns := createNamespace(t)
	repo := newGitRepo(t, map[string]string{"guestbook/resources.yaml": guestbookResources})
	kubectlWithInput(t, guestbookApplication(ns, repo.URL, "guestbook"), "apply", "-f", "-")
	waitForAppState(t, ns, "OutOfSync", "Missing")

	page := openDashboard(t)
	page.open("#/app/" + ns + "/guestbook")
	page.waitFor("the Application to be OutOfSync", titleOutOfSync)
	// Deployed as Argo CD did, after the comparison found nothing: only a
	// hard refresh looks again (see the migration tests).
	deployAsArgoCDDid(t, ns)
	page.click("Hard refresh", `button[data-action="hard-refresh"]`)
	page.waitFor("the notice", `document.querySelector('.notice')?.textContent === 'Hard refresh requested'`)
	page.waitFor("the Application to turn Synced and Healthy", titleSynced)
	page.screenshot("hard-refreshed")
	if op := appField(t, ns, "{.operation}{.status.operationState.phase}"); op != "" {
		t.Errorf("a refresh started an operation: %s", op)
	}
}

func TestDashboardTerminatesARunningOperation(t *testing.T) {
	requireCapstanAPIServer(t)
	ns := createNamespace(t)
	repo := newGitRepo(t, map[string]string{"slow/resources.yaml": slowHookResources(false)})
	kubectlWithInput(t, manualApplication(ns, "slow", repo.URL, "slow"), "apply", "-f", "-")

	page := openDashboard(t)
	page.open("#/app/" + ns + "/slow")
	page.waitFor("the Application to be OutOfSync", titleOutOfSync)
	page.waitFor("Terminate to be disabled while nothing runs", `document.querySelector('button[data-action="terminate"]')?.disabled === true`)
	page.syncFromDialog()
	page.waitFor("the operation to run its PreSync hook", operationShows("Running"))
	page.screenshot("running")
	page.click("Terminate", `button[data-action="terminate"]:not([disabled])`)
	page.waitFor("the notice", `document.querySelector('.notice')?.textContent === 'Termination requested'`)
	page.waitFor("the operation to end Failed, terminated", operationShows("Failed")+` && document.querySelector('.op-message')?.textContent.includes('terminated')`)
	page.screenshot("terminated")
	eventually(t, syncTimeout, "the operation to be over", func() (bool, error) {
		state, err := tryKubectl("get", "app", "slow", "-n", ns, "-o", "jsonpath={.operation}|{.status.operationState.phase}")
		return state == "|Failed", fmt.Errorf("operation|phase %q: %v", state, err)
	})
	if out, err := tryKubectl("get", "configmap", "settings", "-n", ns); err == nil {
		t.Errorf("the terminated sync applied the ConfigMap after its hook:\n%s", out)
	}
}

func TestDashboardShowsAResourcesEvents(t *testing.T) {
	requireCapstanAPIServer(t)
	ns := createNamespace(t)
	repo := newGitRepo(t, map[string]string{"guestbook/resources.yaml": guestbookResources})
	kubectlWithInput(t, automatedApplication(ns, repo.URL, "guestbook", false), "apply", "-f", "-")
	waitForAppState(t, ns, "Synced", "Healthy")

	page := openDashboard(t)
	page.open("#/app/" + ns + "/guestbook")
	page.click("the Deployment", `.tree li[data-kind="Deployment"] > button`)
	page.clickButtonText(".panel", "Events")
	// The Deployment controller's event, read from the namespace's Events.
	page.waitFor("the Deployment's scaling event", `[...document.querySelectorAll('table.events tbody tr')].some(r =>
		r.textContent.includes('ScalingReplicaSet') && r.textContent.includes('guestbook-ui'))`)
	page.screenshot("events")
	if other := page.evaluate(`String([...document.querySelectorAll('table.events tbody tr')].filter(r => !r.textContent.includes('guestbook-ui')).length)`); other != "0" {
		t.Errorf("%s events of other objects are shown", other)
	}
}

func TestDashboardSyncDialogOptionsReachTheSyncRequest(t *testing.T) {
	requireCapstanAPIServer(t)
	ns := createNamespace(t)
	repo := newGitRepo(t, map[string]string{"guestbook/resources.yaml": guestbookResources})
	kubectlWithInput(t, manualApplication(ns, "guestbook", repo.URL, "guestbook"), "apply", "-f", "-")
	page := openDashboard(t)
	page.open("#/app/" + ns + "/guestbook")
	page.waitFor("the Application to be OutOfSync", titleOutOfSync)

	// sync opens the dialog, ticks the named checkboxes, keeps only the
	// resources whose label starts with keep, and submits.
	sync := func(keep string, boxes ...string) {
		t.Helper()
		page.click("Sync", `button[data-action="sync"]`)
		page.waitFor("the dialog's resources", `document.querySelectorAll('dialog input[name^="resource:"]').length > 0`)
		for _, box := range boxes {
			page.click(box, `dialog input[name=`+js(box)+`]`)
		}
		page.evaluate(`(() => { document.querySelectorAll('dialog input[name^="resource:"]').forEach(i => {
			if (i.checked !== i.parentElement.textContent.trim().startsWith(` + js(keep) + `)) i.click() }); return '' })()`)
		page.click("Synchronize", `dialog form.sync-form button[type="submit"]`)
	}
	// A false or empty field is left out of the stored operation, so it prints empty.
	operation := func() string {
		return appField(t, ns, `{.status.operationState.phase} dryRun={.status.operationState.operation.sync.dryRun} prune={.status.operationState.operation.sync.prune} `+
			`options={.status.operationState.operation.sync.syncOptions} resources={range .status.operationState.operation.sync.resources[*]}{.kind}/{.name},{end}`)
	}
	waitOperation := func(what, want string) {
		t.Helper()
		eventually(t, syncTimeout, what, func() (bool, error) {
			got := operation()
			return got == want, fmt.Errorf("operation %q, want %q", got, want)
		})
	}
	resultKinds := `[...document.querySelectorAll('.operation table.results tbody tr')].map(r => r.children[1].textContent.split(' ')[0]).join(',')`

	t.Run("dry run with one selected resource and an option applies nothing", func(t *testing.T) {
		page.t = t
		sync("ConfigMap", "dryRun", "option:ApplyOutOfSyncOnly=true")
		waitOperation("the dry run to succeed", `Succeeded dryRun=true prune= options=["ApplyOutOfSyncOnly=true"] resources=ConfigMap/guestbook-config,`)
		page.waitFor("the dry run's result for the ConfigMap alone", operationPassed+` && `+resultKinds+` === 'ConfigMap'`)
		page.screenshot("dry-run")
		if out, err := tryKubectl("get", "configmap", "guestbook-config", "-n", ns); err == nil {
			t.Errorf("a dry run created the ConfigMap:\n%s", out)
		}
	})
	t.Run("a sync of the selected resource applies it alone", func(t *testing.T) {
		page.t = t
		sync("ConfigMap")
		waitOperation("the sync to succeed", `Succeeded dryRun= prune= options= resources=ConfigMap/guestbook-config,`)
		kubectl(t, "get", "configmap", "guestbook-config", "-n", ns)
		if out, err := tryKubectl("get", "deployment", "guestbook-ui", "-n", ns); err == nil {
			t.Errorf("a sync of the ConfigMap alone created the Deployment:\n%s", out)
		}
		page.waitFor("the ConfigMap Synced in the tree", `!!document.querySelector('.tree li[data-kind="ConfigMap"] > button [data-status="Synced"]')`)
	})
	t.Run("prune deletes what left the repository", func(t *testing.T) {
		page.t = t
		repo.commit(t, map[string]string{"guestbook/resources.yaml": strings.SplitN(guestbookResources, "---\n", 2)[1]}, "no ConfigMap")
		page.click("Refresh", `button[data-action="refresh"]`)
		page.waitFor("the ConfigMap to require pruning", `!!document.querySelector('.tree li[data-kind="ConfigMap"] > button [data-status="RequiresPruning"]')`)
		sync("ConfigMap", "prune")
		waitOperation("the pruning sync to succeed", `Succeeded dryRun= prune=true options= resources=ConfigMap/guestbook-config,`)
		eventually(t, syncTimeout, "the ConfigMap to be pruned", func() (bool, error) {
			_, err := tryKubectl("get", "configmap", "guestbook-config", "-n", ns)
			return err != nil && strings.Contains(err.Error(), "NotFound"), err
		})
		page.waitFor("the prune in the results", `[...document.querySelectorAll('.operation table.results tbody tr')].some(r => r.textContent.includes('guestbook-config') && r.textContent.toLowerCase().includes('prune'))`)
		page.screenshot("pruned")
	})
}
