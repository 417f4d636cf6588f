package project

import (
	"strings"
	"testing"
	"time"

	"capstan.dev/capstan/pkg/apis/capstan"
	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
	"capstan.dev/capstan/pkg/apis/capstan/validation"
)

// FuzzSyncWindowSchedule feeds arbitrary schedules, durations, time zones and
// instants to an AppProject's sync window, first through the API's
// validation and then through the evaluation the controller runs:
//   - nothing panics;
//   - a refused window is refused with errors that name a field of the window;
//   - a window the API accepts is evaluated without error (the validator and
//     the evaluator agree on what a schedule is);
//   - "active at t" holds exactly when the schedule fires in (t-duration, t),
//     checked from every tenth minute of windows up to 6h long; a schedule that
//     never fires (30 February) is never active.
func FuzzSyncWindowSchedule(f *testing.F) {
	for _, seed := range []struct {
		schedule, duration, zone string
		unix                     int64
	}{
		{"0 22 * * *", "1h", "", 1_700_000_000},
		{"*/5 * * * *", "2m", "Europe/Berlin", 1_700_000_000},
		{"0 0 * * mon-fri", "8h", "America/New_York", 1_711_846_800}, // a DST change
		{"CRON_TZ=Asia/Tokyo 30 9 1 jan,jul ?", "30m", "", 0},
		{"TZ=UTC 0-59/7 1-23/2 1-31 1-12 0-6", "90m", "UTC", -1},
		{"0 0 30 2 *", "1h", "", 1_709_164_800}, // 30 February never comes
		{"0 0 31 4,6,9,11 *", "24h", "", 1_700_000_000},
		{"@daily", "1h", "", 0},
		{"60 24 32 13 7", "-1h", "Mars/Olympus", 0},
		{"1-0 * * * *", "0s", "", 0},
		{"*/0 * * * *", "1h", "", 0},
		{"0--0 0 1 1 0", "1h", "", 0}, // "-0" reads as a number, the cron parser refuses the range
		{"0 0 * * *", "2562047h", "", 1_700_000_000},
		{"", "", "", 0},
	} {
		f.Add(seed.schedule, seed.duration, seed.zone, seed.unix)
	}
	f.Fuzz(func(t *testing.T, schedule, duration, zone string, unix int64) {
		window := capstan.SyncWindow{Kind: "allow", Schedule: schedule, Duration: duration, TimeZone: zone, Applications: []string{"*"}}
		project := &capstan.AppProject{Spec: capstan.AppProjectSpec{SyncWindows: capstan.SyncWindows{&window}}}
		project.Name = "fuzz"
		var windowErrs []string
		for _, err := range validation.ValidateAppProject(project) {
			if !strings.HasPrefix(err.Field, "spec.syncWindows[0]") {
				continue
			}
			if err.Field == "spec.syncWindows[0]" {
				t.Fatalf("error names the window but not its field: %v", err)
			}
			windowErrs = append(windowErrs, err.Error())
		}
		if len(windowErrs) > 0 {
			return
		}
		now := time.Unix(unix%(1<<40), 0).UTC() // ±35,000 years around 1970
		in := v1alpha1.SyncWindow{Kind: "allow", Schedule: schedule, Duration: duration, TimeZone: zone, Applications: []string{"*"}}
		active, err := windowActive(in, now)
		if err != nil {
			t.Fatalf("window accepted by the API fails to evaluate: %v", err)
		}
		d, _ := time.ParseDuration(duration)
		if d > 6*time.Hour {
			return
		}
		if want := firesWithin(t, in, now, d); active != want {
			t.Fatalf("schedule %q duration %s zone %q at %s: active=%v, but a firing in (t-d, t) is %v", schedule, d, zone, now, active, want)
		}
	})
}

// firesWithin tells whether the window's schedule fires in (now-d, now),
// the definition of an open window, by asking for the next firing after
// every tenth minute of that interval: a schedule that never fires has none.
func firesWithin(t *testing.T, window v1alpha1.SyncWindow, now time.Time, d time.Duration) bool {
	t.Helper()
	schedule, err := parseSchedule(window.Schedule)
	if err != nil {
		t.Fatalf("parse %q: %v", window.Schedule, err)
	}
	location := time.UTC
	if window.TimeZone != "" {
		if location, err = time.LoadLocation(window.TimeZone); err != nil {
			t.Fatalf("zone %q: %v", window.TimeZone, err)
		}
	}
	now = now.In(location)
	start := now.Add(-d)
	for from := start; from.Before(now); from = from.Add(10 * time.Minute) {
		next := schedule.Next(from)
		if !next.IsZero() && next.After(start) && next.Before(now) {
			return true
		}
	}
	return false
}
