package application

import (
	"time"

	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
	"capstan.dev/capstan/pkg/project"
)

// windowRecheck is when a sync held by a sync window is looked at again:
// windows open and close on minute boundaries.
func windowRecheck(now time.Time) time.Duration {
	return now.Truncate(time.Minute).Add(time.Minute + time.Second).Sub(now)
}

// syncWindowsAllow applies the sync windows of the Application's project to a
// sync: manual or automated, about to start or already applying. A broken
// window (its schedule was validated on write, so only a time zone database
// change can do this) blocks, with the reason, rather than letting a sync
// through that a window may forbid.
func (c *Controller) syncWindowsAllow(app *v1alpha1.Application, manual, running bool) (bool, string) {
	proj := c.project(app)
	if proj == nil || len(proj.Spec.SyncWindows) == 0 {
		return true, ""
	}
	allowed, reason, err := project.WindowsAllow(project.WindowsInput{
		Windows: proj.Spec.SyncWindows, App: app, Manual: manual, Running: running, Now: time.Now(),
	})
	if err != nil {
		return false, err.Error()
	}
	return allowed, reason
}
