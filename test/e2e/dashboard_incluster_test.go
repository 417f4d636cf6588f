package e2e

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// The dashboard served by capstan-apiserver behind the aggregator, reached
// through a real `kubectl proxy` as the user: the page's own requests go
// through the same proxy with the user's credentials.

// dashboardProxyPath is pkg/dashboard.InClusterPath.
const dashboardProxyPath = "/apis/capstan.dev/v1alpha1/dashboards/capstan/ui/"

// startKubectlProxy runs `kubectl proxy` on a free loopback port with extra
// flags (--as=alice) and returns its root URL; it stops when the test ends.
func startKubectlProxy(t *testing.T, flags ...string) string {
	t.Helper()
	return startServingKubectl(t, "kubectl proxy", `Starting to serve on (127\.0\.0\.1:\d+)`, "http://",
		append([]string{"proxy", "--address=127.0.0.1", "--port=0"}, flags...)...)
}

// grantDashboard binds the capstan-dashboard ClusterRole of
// artifacts/deploy to user, until the test ends.
func grantDashboard(t *testing.T, user string) {
	t.Helper()
	binding := user + "-capstan-dashboard"
	kubectl(t, "create", "clusterrolebinding", binding, "--clusterrole=capstan-dashboard", "--user="+user)
	t.Cleanup(func() { _, _ = tryKubectl("delete", "clusterrolebinding", binding, "--ignore-not-found") })
	// The page itself, as the user: kubectl auth can-i does not resolve a
	// resource that discovery does not list.
	eventually(t, compareTimeout, user+" to be allowed to get dashboards/ui", func() (bool, error) {
		out, err := tryKubectl("get", "--raw", dashboardProxyPath, "--as="+user)
		return err == nil && strings.Contains(out, `name="capstan-mode" content="cluster"`), fmt.Errorf("the page: %v", err)
	})
}

// proxyGet reads a path through a kubectl proxy.
func proxyGet(t *testing.T, url string) (int, string) {
	t.Helper()
	response, err := http.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer response.Body.Close()
	body, _ := io.ReadAll(response.Body)
	return response.StatusCode, string(body)
}

func TestDashboardInClusterThroughKubectlProxyActsAsTheUser(t *testing.T) {
	requireCapstanAPIServer(t)
	ns := createTeamNamespace(t)
	user, stranger := "dash-"+ns, "nodash-"+ns
	// The user may edit Applications in the namespace (and read what the
	// built-in view role reads: ReplicaSets, Pods, Events) and open the
	// dashboard; the stranger may read Applications but not open it.
	grant(t, ns, user, "edit", "create", "applications.capstan.dev", "sync")
	grantDashboard(t, user)
	grant(t, ns, stranger, "view", "watch", "applications.capstan.dev", "")
	repo := newGitRepo(t, map[string]string{"guestbook/resources.yaml": guestbookResources})
	kubectlWithInput(t, manualApplication(ns, "guestbook", repo.URL, "guestbook"), "apply", "-f", "-")

	proxy := startKubectlProxy(t, "--as="+user)
	page := openBrowser(t, proxy+dashboardProxyPath)
	t.Run("the list shows the Application, read through the proxy", func(t *testing.T) {
		page.t = t
		page.open("#/?namespace=" + ns)
		page.waitFor("the Application in the list", `!!document.querySelector('[data-app=`+js(ns+"/guestbook")+`]')`)
		page.screenshot("list")
	})
	t.Run("the user syncs and sees the tree computed for them", func(t *testing.T) {
		page.t = t
		page.open("#/app/" + ns + "/guestbook")
		page.waitFor("the Application to be OutOfSync", titleOutOfSync)
		page.syncFromDialog()
		page.waitFor("the operation to succeed", operationPassed)
		page.waitFor("the Application to be Synced and Healthy", titleSynced)
		page.waitFor("Deployment → ReplicaSet → Pod in the tree", treeToPods)
		if initiator := appField(t, ns, "{.status.operationState.operation.initiatedBy.username}"); initiator != user {
			t.Errorf("the sync was initiated by %q, want the user %q", initiator, user)
		}
		page.click("the ConfigMap", `.tree li[data-kind="ConfigMap"] > button`)
		page.waitFor("the live ConfigMap", `document.querySelector('pre.manifest')?.textContent.includes('greeting: hello')`)
		page.screenshot("synced-tree")
	})
	t.Run("a user without get dashboards/ui is refused with 403", func(t *testing.T) {
		strangerProxy := startKubectlProxy(t, "--as="+stranger)
		code, body := proxyGet(t, strangerProxy+dashboardProxyPath)
		// The Status as JSON: its message's quotes are escaped.
		if code != http.StatusForbidden || !strings.Contains(body, `cannot get resource \"dashboards/ui\" in API group \"capstan.dev\"`) {
			t.Fatalf("GET the dashboard as %s: %d %s", stranger, code, body)
		}
		strangerPage := openBrowser(t, strangerProxy+dashboardProxyPath)
		strangerPage.run("open the dashboard as the stranger", chromedp.Navigate(strangerPage.url))
		strangerPage.screenshot("forbidden")
		code, body = proxyGet(t, startKubectlProxy(t, "--as="+user)+dashboardProxyPath+"assets/app.js")
		if code != http.StatusOK || len(body) == 0 {
			t.Fatalf("GET the dashboard's script as %s: %d", user, code)
		}
	})
}
