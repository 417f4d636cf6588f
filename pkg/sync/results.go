package sync

import (
	"slices"
	"strings"
	"sync"

	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
)

// resultKey identifies the result of one task: a hook that runs in several
// phases has one result per phase.
type resultKey struct {
	group, kind, namespace, name string
	phase                        v1alpha1.SyncPhase
}

func taskResultKey(task *Task) resultKey {
	return resultKey{task.key.Group, task.key.Kind, task.key.Namespace, task.key.Name, task.Phase}
}

// ledger holds the results of an operation: those of earlier steps, which say
// where the operation is, and those this step adds. A task without a result
// is pending; its result's hookPhase says whether it runs, succeeded or failed.
type ledger struct {
	mu      sync.Mutex
	order   []resultKey
	results map[resultKey]*v1alpha1.ResourceResult
	// previous is how many of order came from earlier steps; rank orders the
	// results this step adds as the plan orders their tasks, whatever order
	// parallel calls finished in.
	previous int
	rank     map[resultKey]int
}

func newLedger(previous v1alpha1.ResourceResults, tasks []*Task) *ledger {
	l := &ledger{
		results: make(map[resultKey]*v1alpha1.ResourceResult, len(previous)),
		rank:    make(map[resultKey]int, len(tasks)),
	}
	for i, task := range tasks {
		l.rank[taskResultKey(task)] = i
	}
	defer func() { l.previous = len(l.order) }()
	for _, result := range previous {
		if result == nil {
			continue
		}
		key := resultKey{result.Group, result.Kind, result.Namespace, result.Name, result.SyncPhase}
		if _, seen := l.results[key]; !seen {
			l.order = append(l.order, key)
		}
		l.results[key] = result.DeepCopy()
	}
	return l
}

// started reports whether any result exists: the first step has run.
func (l *ledger) started() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.order) > 0
}

func (l *ledger) lookup(task *Task) (v1alpha1.ResourceResult, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	result, ok := l.results[taskResultKey(task)]
	if !ok {
		return v1alpha1.ResourceResult{}, false
	}
	return *result, true
}

func (l *ledger) phase(task *Task) v1alpha1.OperationPhase {
	result, _ := l.lookup(task)
	return result.HookPhase
}

func (l *ledger) status(task *Task) v1alpha1.ResultCode {
	result, _ := l.lookup(task)
	return result.Status
}

func (l *ledger) message(task *Task) string {
	result, _ := l.lookup(task)
	return result.Message
}

func (l *ledger) pending(task *Task) bool { return l.phase(task) == "" }

func (l *ledger) running(task *Task) bool { return l.phase(task) == v1alpha1.OperationRunning }

func (l *ledger) completed(task *Task) bool { return l.phase(task).IsCompleted() }

func (l *ledger) successful(task *Task) bool {
	return l.phase(task) == v1alpha1.OperationSucceeded
}

// set records a task's result.
func (l *ledger) set(task *Task, status v1alpha1.ResultCode, phase v1alpha1.OperationPhase, message string) {
	gvk := task.Object().GroupVersionKind()
	result := &v1alpha1.ResourceResult{
		Group:     task.key.Group,
		Version:   gvk.Version,
		Kind:      task.key.Kind,
		Namespace: task.key.Namespace,
		Name:      task.key.Name,
		Status:    status,
		Message:   message,
		HookType:  task.HookType(),
		HookPhase: phase,
		SyncPhase: task.Phase,
		Images:    images(task.Object()),
	}
	key := taskResultKey(task)
	l.mu.Lock()
	defer l.mu.Unlock()
	if _, seen := l.results[key]; !seen {
		l.order = append(l.order, key)
	}
	l.results[key] = result
}

// setPhase changes the phase and message of a task's result, keeping its status.
func (l *ledger) setPhase(task *Task, phase v1alpha1.OperationPhase, message string) {
	l.set(task, l.status(task), phase, message)
}

// list returns every result: those of earlier steps in their order, then
// those of this step in plan order.
func (l *ledger) list() v1alpha1.ResourceResults {
	l.mu.Lock()
	defer l.mu.Unlock()
	added := l.order[l.previous:]
	slices.SortStableFunc(added, func(a, b resultKey) int { return l.rank[a] - l.rank[b] })
	out := make(v1alpha1.ResourceResults, 0, len(l.order))
	for _, key := range l.order {
		out = append(out, l.results[key].DeepCopy())
	}
	return out
}

// reasons formats the messages of tasks for an operation message:
// "message, reason: Kind.group namespace/name: why; …".
func (l *ledger) reasons(message string, tasks []*Task) string {
	var reasons []string
	for _, task := range tasks {
		reason := task.reasonName()
		if text := l.message(task); text != "" {
			reason += ": " + text
		}
		reasons = append(reasons, reason)
	}
	if len(reasons) == 0 {
		return message
	}
	return message + ", reason: " + strings.Join(reasons, "; ")
}
