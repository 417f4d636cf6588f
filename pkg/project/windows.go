package project

import (
	"fmt"
	"path"
	"time"

	"github.com/robfig/cron/v3"

	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
	"capstan.dev/capstan/pkg/apis/capstan/validation"
)

// Sync window kinds.
const (
	windowAllow = "allow"
	windowDeny  = "deny"
)

// parseSchedule parses a sync window's schedule exactly as the API's validation does.
func parseSchedule(schedule string) (cron.Schedule, error) {
	return validation.ParseSyncWindowSchedule(schedule)
}

// WindowsInput is what deciding whether a project's sync windows let an
// Application sync reads.
type WindowsInput struct {
	// Windows are the AppProject's spec.syncWindows.
	Windows v1alpha1.SyncWindows
	// App is the Application; its name, destination namespace and cluster
	// (server or name) select windows.
	App *v1alpha1.Application
	// Manual is true for a sync a user asked for (not automated).
	Manual bool
	// Running is true when the operation has already started applying, so
	// that windows with syncOverrun let it go on.
	Running bool
	// Now is the time to decide at.
	Now time.Time
}

// WindowsAllow decides, as Argo CD does, whether the sync windows let a sync
// run now: with no matching window every sync may run; an active matching deny
// window blocks everything (deny beats allow) except manual syncs when it sets
// manualSync; otherwise, when matching allow windows exist, a sync may run
// only while one is active (or, for manual syncs, when one sets manualSync).
// A running operation goes on past a window that closed on it when every
// window that now blocks it sets syncOverrun. The string explains a refusal.
func WindowsAllow(in WindowsInput) (bool, string, error) {
	var activeDeny, activeAllow, inactiveAllow []v1alpha1.SyncWindow
	for _, entry := range in.Windows {
		if entry == nil {
			continue
		}
		window := *entry
		if !windowMatches(window, in.App) {
			continue
		}
		active, err := windowActive(window, in.Now)
		if err != nil {
			return false, "", err
		}
		switch {
		case window.Kind == windowDeny && active:
			activeDeny = append(activeDeny, window)
		case window.Kind == windowAllow && active:
			activeAllow = append(activeAllow, window)
		case window.Kind == windowAllow:
			inactiveAllow = append(inactiveAllow, window)
		}
	}
	if len(activeDeny) > 0 {
		if in.Manual && allWindows(activeDeny, func(w v1alpha1.SyncWindow) bool { return w.ManualSync }) ||
			in.Running && allWindows(activeDeny, func(w v1alpha1.SyncWindow) bool { return w.SyncOverrun }) {
			return true, "", nil
		}
		return false, "blocked by an active deny sync window", nil
	}
	if len(activeAllow) > 0 || len(inactiveAllow) == 0 {
		return true, "", nil
	}
	if in.Manual && !allWindows(inactiveAllow, func(w v1alpha1.SyncWindow) bool { return !w.ManualSync }) ||
		in.Running && allWindows(inactiveAllow, func(w v1alpha1.SyncWindow) bool { return w.SyncOverrun }) {
		return true, "", nil
	}
	return false, "no allow sync window is active", nil
}

// windowMatches tells whether window selects app: by Application name,
// destination namespace or destination cluster (server or name), any of them,
// or every non-empty one with andOperator.
func windowMatches(window v1alpha1.SyncWindow, app *v1alpha1.Application) bool {
	destination := app.Spec.Destination
	selectors := []struct {
		patterns []string
		values   []string
	}{
		{window.Applications, []string{app.Name}},
		{window.Namespaces, []string{destination.Namespace}},
		{window.Clusters, []string{destination.Server, destination.Name}},
	}
	matched, used := 0, 0
	for _, selector := range selectors {
		if len(selector.patterns) == 0 {
			continue
		}
		used++
		if anyGlobMatches(selector.patterns, selector.values) {
			matched++
		}
	}
	if window.AndOperator {
		return used > 0 && matched == used
	}
	return matched > 0
}

func anyGlobMatches(patterns, values []string) bool {
	for _, pattern := range patterns {
		for _, value := range values {
			if value == "" {
				continue
			}
			if ok, _ := path.Match(pattern, value); ok {
				return true
			}
		}
	}
	return false
}

// windowActive tells whether window is open at now: the last time its
// schedule fired, in its time zone, is less than its duration ago. A
// schedule that never fires never opens it.
func windowActive(window v1alpha1.SyncWindow, now time.Time) (bool, error) {
	schedule, err := parseSchedule(window.Schedule)
	if err != nil {
		return false, fmt.Errorf("sync window schedule %q: %w", window.Schedule, err)
	}
	duration, err := time.ParseDuration(window.Duration)
	if err != nil {
		return false, fmt.Errorf("sync window duration %q: %w", window.Duration, err)
	}
	location := time.UTC
	if window.TimeZone != "" {
		if location, err = time.LoadLocation(window.TimeZone); err != nil {
			return false, fmt.Errorf("sync window time zone %q: %w", window.TimeZone, err)
		}
	}
	now = now.In(location)
	// Next answers the zero time for a schedule that never fires (30
	// February): such a window is never open.
	next := schedule.Next(now.Add(-duration))
	return !next.IsZero() && next.Before(now), nil
}

func allWindows(windows []v1alpha1.SyncWindow, predicate func(v1alpha1.SyncWindow) bool) bool {
	for _, window := range windows {
		if !predicate(window) {
			return false
		}
	}
	return true
}
