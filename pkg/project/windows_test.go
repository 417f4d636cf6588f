package project

import (
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
)

func TestWindowsAllow(t *testing.T) {
	// 10:30 UTC on a Thursday.
	now := time.Date(2026, 11, 26, 10, 30, 0, 0, time.UTC)
	app := &v1alpha1.Application{
		ObjectMeta: metav1.ObjectMeta{Name: "guestbook", Namespace: "apps"},
		Spec:       v1alpha1.ApplicationSpec{Destination: v1alpha1.ApplicationDestination{Server: "https://kubernetes.default.svc", Namespace: "prod"}},
	}
	// open is active at now (10:00 for 1h), closed is not (22:00 for 1h).
	window := func(kind, schedule string, mutate ...func(*v1alpha1.SyncWindow)) *v1alpha1.SyncWindow {
		w := &v1alpha1.SyncWindow{Kind: kind, Schedule: schedule, Duration: "1h", Applications: []string{"*"}}
		for _, m := range mutate {
			m(w)
		}
		return w
	}
	const open, closed = "0 10 * * *", "0 22 * * *"
	manual := func(w *v1alpha1.SyncWindow) { w.ManualSync = true }
	overrun := func(w *v1alpha1.SyncWindow) { w.SyncOverrun = true }
	tests := []struct {
		name    string
		windows v1alpha1.SyncWindows
		manual  bool
		running bool
		want    bool
	}{
		{name: "no windows allow every sync", want: true},
		{name: "an active deny window blocks", windows: v1alpha1.SyncWindows{window("deny", open)}},
		{name: "an inactive deny window does not block", windows: v1alpha1.SyncWindows{window("deny", closed)}, want: true},
		{name: "deny beats an active allow", windows: v1alpha1.SyncWindows{window("allow", open), window("deny", open)}},
		{name: "an active allow window allows", windows: v1alpha1.SyncWindows{window("allow", open)}, want: true},
		{name: "only inactive allow windows block", windows: v1alpha1.SyncWindows{window("allow", closed)}},
		{name: "one active allow among inactive ones allows", windows: v1alpha1.SyncWindows{window("allow", closed), window("allow", open)}, want: true},
		{name: "manualSync lets a manual sync through a deny", windows: v1alpha1.SyncWindows{window("deny", open, manual)}, manual: true, want: true},
		{name: "manualSync does not let an automated sync through", windows: v1alpha1.SyncWindows{window("deny", open, manual)}},
		{name: "every active deny must set manualSync", windows: v1alpha1.SyncWindows{window("deny", open, manual), window("deny", open)}, manual: true},
		{name: "manualSync on an inactive allow lets a manual sync through", windows: v1alpha1.SyncWindows{window("allow", closed, manual)}, manual: true, want: true},
		{name: "syncOverrun lets a running sync go on past a deny", windows: v1alpha1.SyncWindows{window("deny", open, overrun)}, running: true, want: true},
		{name: "syncOverrun does not start a sync", windows: v1alpha1.SyncWindows{window("deny", open, overrun)}},
		{name: "syncOverrun on every closed allow lets a running sync go on", windows: v1alpha1.SyncWindows{window("allow", closed, overrun)}, running: true, want: true},
		{name: "a window for other applications does not apply",
			windows: v1alpha1.SyncWindows{window("deny", open, func(w *v1alpha1.SyncWindow) { w.Applications = []string{"other-*"} })}, want: true},
		{name: "namespaces select by destination namespace",
			windows: v1alpha1.SyncWindows{window("deny", open, func(w *v1alpha1.SyncWindow) { w.Applications, w.Namespaces = nil, []string{"pro*"} })}},
		{name: "clusters select by destination server",
			windows: v1alpha1.SyncWindows{window("deny", open, func(w *v1alpha1.SyncWindow) { w.Applications, w.Clusters = nil, []string{"https://kubernetes.*"} })}},
		{name: "andOperator needs every selector to match",
			windows: v1alpha1.SyncWindows{window("deny", open, func(w *v1alpha1.SyncWindow) { w.Namespaces, w.AndOperator = []string{"dev"}, true })}, want: true},
		{name: "without andOperator any selector matches",
			windows: v1alpha1.SyncWindows{window("deny", open, func(w *v1alpha1.SyncWindow) { w.Namespaces = []string{"dev"} })}},
		{name: "the time zone moves the window",
			windows: v1alpha1.SyncWindows{window("deny", "0 11 * * *", func(w *v1alpha1.SyncWindow) { w.TimeZone = "Europe/Berlin" })}},
	}
	for _, test := range tests {
		t.Run(test.name, func(t *testing.T) {
			got, reason, err := WindowsAllow(WindowsInput{Windows: test.windows, App: app, Manual: test.manual, Running: test.running, Now: now})
			if err != nil {
				t.Fatal(err)
			}
			if got != test.want {
				t.Errorf("WindowsAllow = %t (%s), want %t", got, reason, test.want)
			}
			if !got && reason == "" {
				t.Errorf("a refusal without a reason")
			}
		})
	}
}

func TestWindowsAllowRejectsABadSchedule(t *testing.T) {
	app := &v1alpha1.Application{ObjectMeta: metav1.ObjectMeta{Name: "a"}}
	_, _, err := WindowsAllow(WindowsInput{App: app, Now: time.Now(),
		Windows: v1alpha1.SyncWindows{&v1alpha1.SyncWindow{Kind: "deny", Schedule: "every day", Duration: "1h", Applications: []string{"*"}}}})
	if err == nil {
		t.Fatal("a bad schedule was accepted")
	}
}

// A schedule that never fires (30 February) is a window that never opens: a
// deny window of it blocks nothing, an allow window of it allows nothing.
// Found by FuzzSyncWindowSchedule: cron answers the zero time for it, which
// is before every instant.
func TestWindowsAllowScheduleThatNeverFires(t *testing.T) {
	app := &v1alpha1.Application{ObjectMeta: metav1.ObjectMeta{Name: "guestbook"}}
	now := time.Date(2028, 2, 29, 12, 0, 0, 0, time.UTC)
	for kind, want := range map[string]bool{"deny": true, "allow": false} {
		allowed, _, err := WindowsAllow(WindowsInput{App: app, Now: now, Windows: v1alpha1.SyncWindows{
			{Kind: kind, Schedule: "0 0 30 2 *", Duration: "24h", Applications: []string{"*"}},
		}})
		if err != nil || allowed != want {
			t.Errorf("%s window on 30 February: allowed=%v err=%v, want allowed=%v", kind, allowed, err, want)
		}
	}
}
