package application

import (
	"slices"
	"time"

	apiequality "k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/client-go/tools/cache"

	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
)

// ProgressMessageDelay is the longest a comparison that found nothing new
// but the messages of progressing resources waits before writing them.
//
// A rollout reports its progress in its health message ("observed
// deployment generation less than desired generation", then "0 out of 1 new
// replicas have been updated...", ...) while its health stays Progressing,
// and each message written is a write of the whole Application, an event to
// every watcher and a version kept in the API server's watch history. Such a
// change waits for the next one that matters (usually Healthy, which then
// carries it) or for this delay, whichever comes first: at 1,000 Applications
// a cold sync writes one status less per Application. A change of any
// health or sync status, of the operation, of the resources or conditions is
// written at once, and so is any refresh a user requested.
const ProgressMessageDelay = 2 * time.Second

// progressWait tells how long the write of next over app's status can wait:
// zero when it must be written now. It starts the wait at now when next
// differs from app's status only in progress messages.
func (c *Controller) progressWait(app *v1alpha1.Application, next *v1alpha1.ApplicationStatus, now time.Time) time.Duration {
	key, err := cache.MetaNamespaceKeyFunc(app)
	if err != nil {
		return 0
	}
	if _, requested := app.Annotations[RefreshAnnotation]; requested || !onlyProgressMessages(&app.Status, next) {
		return 0
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	since, waiting := c.progressSince[key]
	if !waiting {
		c.progressSince[key] = now
		return ProgressMessageDelay
	}
	if waited := now.Sub(since); waited < ProgressMessageDelay {
		return ProgressMessageDelay - waited
	}
	return 0
}

// progressWritten ends the wait of app: its status is written, or needs
// no write.
func (c *Controller) progressWritten(app *v1alpha1.Application) {
	key, err := cache.MetaNamespaceKeyFunc(app)
	if err != nil {
		return
	}
	c.mu.Lock()
	delete(c.progressSince, key)
	c.mu.Unlock()
}

// progressPending tells whether key has progress messages not written yet.
func (c *Controller) progressPending(key string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	_, waiting := c.progressSince[key]
	return waiting
}

// onlyProgressMessages tells whether next differs from current, and only in
// the health messages of the Application and of resources that are
// Progressing in both.
func onlyProgressMessages(current, next *v1alpha1.ApplicationStatus) bool {
	if current.Health.Status != v1alpha1.HealthStatusProgressing || next.Health.Status != v1alpha1.HealthStatusProgressing ||
		len(current.Resources) != len(next.Resources) || apiequality.Semantic.DeepEqual(current, next) {
		return false
	}
	// Shallow copies: only the messages are blanked, in copies of their own.
	a, b := *current, *next
	a.Health.Message, b.Health.Message = "", ""
	a.Resources, b.Resources = slices.Clone(current.Resources), slices.Clone(next.Resources)
	for i := range a.Resources {
		ha, hb := a.Resources[i].Health, b.Resources[i].Health
		if ha == nil || hb == nil || ha.Status != v1alpha1.HealthStatusProgressing || hb.Status != v1alpha1.HealthStatusProgressing {
			continue
		}
		blankA, blankB := *ha, *hb
		blankA.Message, blankB.Message = "", ""
		a.Resources[i].Health, b.Resources[i].Health = &blankA, &blankB
	}
	return apiequality.Semantic.DeepEqual(&a, &b)
}
