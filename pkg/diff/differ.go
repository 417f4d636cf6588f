package diff

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/pmezard/go-difflib/difflib"
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/utils/lru"
	"sigs.k8s.io/yaml"
)

// DryRunApplier predicts the live state of a target object: a server-side
// apply with dry run, under Capstan's field manager, of an object that exists.
type DryRunApplier interface {
	DryRunApply(ctx context.Context, target *unstructured.Unstructured) (*unstructured.Unstructured, error)
}

// LiveReader is implemented by a DryRunApplier that can also read the object
// a target names as the API server has it now.
type LiveReader interface {
	ReadLive(ctx context.Context, target *unstructured.Unstructured) (*unstructured.Unstructured, error)
}

// Result is the comparison of one target object with its live state.
type Result struct {
	// Modified is true when applying the target would change the live object,
	// when the live object is missing, or when it is not in the target state.
	Modified bool
	// Predicted is the normalized live object after applying the target, or
	// the normalized target when there is no live object.
	Predicted *unstructured.Unstructured
	// Live is the normalized live object, or nil.
	Live *unstructured.Unstructured
	// predictedFrom is the resourceVersion of the object the API server's
	// dry run started from: the live object's when the cache was current.
	predictedFrom string
	// rawPredicted is the dry run's answer as the API server gave it.
	rawPredicted *unstructured.Unstructured
}

// Differ compares target and live objects. It remembers the outcome of each
// comparison by (target content, live resourceVersion, ignore rules), so
// comparing an unchanged pair again costs no API request.
type Differ struct {
	outcomes *lru.Cache
	// liveHashes remembers the hash of what a comparison can see of a live
	// object, by UID and resourceVersion: the same version of an object
	// always has the same content, and each refresh of its Application
	// would otherwise encode it again.
	liveHashes *lru.Cache
	// accepted remembers the server-side applies the API server accepted
	// (accepted.go).
	accepted *lru.Cache
}

// NewDiffer returns a Differ remembering up to size comparisons.
func NewDiffer(size int) *Differ {
	return &Differ{outcomes: lru.New(size), liveHashes: lru.New(size), accepted: lru.New(size)}
}

// Modified reports whether target and live differ, using the remembered
// outcome when neither changed since the last comparison.
func (d *Differ) Modified(ctx context.Context, target, live *unstructured.Unstructured, applier DryRunApplier, rules *IgnoreRules) (bool, error) {
	if target == nil || live == nil {
		return true, nil
	}
	key, err := d.outcomeKey(target, live, rules)
	if err != nil {
		return false, err
	}
	if modified, ok := d.outcomes.Get(key); ok {
		return modified.(bool), nil
	}
	result, err := Compare(ctx, target, live, applier, rules)
	if err != nil {
		return false, err
	}
	if result.predictedFrom != live.GetResourceVersion() {
		// The API server had a newer version than the cache: comparing that
		// version's prediction with the older live object mixes two versions
		// and would report whatever changed in between (an annotation a
		// resource action or kube-controller-manager just wrote) as a
		// difference, which an automated sync would then revert. The
		// prediction is compared with the version it was made from instead;
		// when that cannot be read, the object counts as unchanged until the
		// watch brings the newer version and its own comparison.
		return d.modifiedOnTheServer(ctx, target, result, applier, rules)
	}
	d.outcomes.Add(key, result.Modified)
	return result.Modified, nil
}

// modifiedOnTheServer compares a prediction made from a newer version than
// the cache's with that version, read from the API server.
func (d *Differ) modifiedOnTheServer(ctx context.Context, target *unstructured.Unstructured, result Result, applier DryRunApplier, rules *IgnoreRules) (bool, error) {
	reader, ok := applier.(LiveReader)
	if !ok {
		return false, nil
	}
	server, err := reader.ReadLive(ctx, target)
	if err != nil || server == nil || server.GetResourceVersion() != result.predictedFrom {
		return false, nil
	}
	outcome, err := compareWith(ctx, result.rawPredicted, server, rules, false)
	if err != nil {
		return false, err
	}
	if key, err := d.outcomeKey(target, server, rules); err == nil {
		d.outcomes.Add(key, outcome.Modified)
	}
	return outcome.Modified, nil
}

// Remember records the outcome of comparing target with live without asking
// the API server: a sync that just applied target knows that the object it got
// back is what applying target produces, so it is not modified.
func (d *Differ) Remember(target, live *unstructured.Unstructured, rules *IgnoreRules, modified bool) error {
	if target == nil || live == nil || live.GetResourceVersion() == "" {
		return nil
	}
	key, err := d.outcomeKey(target, live, rules)
	if err != nil {
		return err
	}
	d.outcomes.Add(key, modified)
	return nil
}

// Compare predicts the live object after applying target and compares the
// normalized objects. It always asks the applier; Differ.Modified remembers.
func Compare(ctx context.Context, target, live *unstructured.Unstructured, applier DryRunApplier, rules *IgnoreRules) (Result, error) {
	return compare(ctx, target, live, applier, rules, false)
}

// CompareMasked is Compare for showing the result to a person: Secret values
// are masked (consistently across both objects, so changed values still show
// as changed) right after normalization, before any ignore rule, which the
// Application's author controls, touches the objects.
func CompareMasked(ctx context.Context, target, live *unstructured.Unstructured, applier DryRunApplier, rules *IgnoreRules) (Result, error) {
	return compare(ctx, target, live, applier, rules, true)
}

func compare(ctx context.Context, target, live *unstructured.Unstructured, applier DryRunApplier, rules *IgnoreRules, mask bool) (Result, error) {
	if rules == nil {
		rules = NewIgnoreRules(0)
	}
	normalize := func(objs ...*unstructured.Unstructured) []*unstructured.Unstructured {
		out := make([]*unstructured.Unstructured, len(objs))
		for i, obj := range objs {
			out[i] = Normalize(obj)
		}
		if mask {
			out = MaskSecrets(out...)
		}
		return out
	}
	if live == nil {
		predicted := normalize(target)[0]
		if err := rules.Apply(ctx, predicted); err != nil {
			return Result{}, err
		}
		return Result{Modified: true, Predicted: predicted}, nil
	}
	if target == nil {
		normalizedLive := normalize(live)[0]
		if err := rules.Apply(ctx, normalizedLive); err != nil {
			return Result{}, err
		}
		return Result{Modified: true, Live: normalizedLive}, nil
	}
	predicted, err := applier.DryRunApply(ctx, target)
	if err != nil {
		return Result{}, fmt.Errorf("server-side dry-run apply of %s %s/%s: %w",
			target.GetKind(), target.GetNamespace(), target.GetName(), err)
	}
	return compareWith(ctx, predicted, live, rules, mask)
}

// compareWith compares the dry run's answer with a live object, both
// normalized the same way.
func compareWith(ctx context.Context, predicted, live *unstructured.Unstructured, rules *IgnoreRules, mask bool) (Result, error) {
	if rules == nil {
		rules = NewIgnoreRules(0)
	}
	normalized := []*unstructured.Unstructured{Normalize(predicted), Normalize(live)}
	if mask {
		normalized = MaskSecrets(normalized...)
	}
	normalizedPredicted, normalizedLive := normalized[0], normalized[1]
	owned, err := ownedFields(live, rules.Managers(live))
	if err != nil {
		return Result{}, err
	}
	removeFields(normalizedPredicted, owned)
	removeFields(normalizedLive, owned)
	if err := rules.Apply(ctx, normalizedPredicted); err != nil {
		return Result{}, err
	}
	if err := rules.Apply(ctx, normalizedLive); err != nil {
		return Result{}, err
	}
	return Result{
		Modified:      !equality.Semantic.DeepEqual(normalizedPredicted.Object, normalizedLive.Object),
		Predicted:     normalizedPredicted,
		Live:          normalizedLive,
		predictedFrom: predicted.GetResourceVersion(),
		rawPredicted:  predicted,
	}, nil
}

// outcomeKey identifies one comparison: the target, the ignore rules and what
// of the live object a comparison can see. Status, the resourceVersion and the
// times in managedFields are left out, so that an object whose status alone
// changed (a Deployment rolling out, a Job running) is not compared again: the
// comparison ignores status, and asking the API server again would give the
// same answer.
func (d *Differ) outcomeKey(target, live *unstructured.Unstructured, rules *IgnoreRules) (string, error) {
	hash := sha256.New()
	if err := hashValue(hash, target.Object); err != nil {
		return "", err
	}
	var targetHash [sha256.Size]byte
	hash.Sum(targetHash[:0])
	hash.Reset()
	hash.Write(targetHash[:])
	if rules != nil {
		ruleData, err := json.Marshal(rules.rules)
		if err != nil {
			return "", err
		}
		hash.Write(ruleData)
	}
	visibleOnly := !rules.readsAnyField(live)
	liveHash, err := d.liveHash(live, target, targetHash, visibleOnly)
	if err != nil {
		return "", err
	}
	hash.Write([]byte{0})
	hash.Write(liveHash)
	return string(live.GetUID()) + "/" + hex.EncodeToString(hash.Sum(nil)), nil
}

// liveHash is the SHA-256 of what a comparison with target can see of live
// (visibleContent when visibleOnly, comparedContent otherwise), remembered
// by UID, resourceVersion and target when the object has a UID and a
// resourceVersion: the same version of an object always has the same content.
func (d *Differ) liveHash(live, target *unstructured.Unstructured, targetHash [sha256.Size]byte, visibleOnly bool) ([]byte, error) {
	version := ""
	if uid, rv := live.GetUID(), live.GetResourceVersion(); uid != "" && rv != "" && d.liveHashes != nil {
		version = string(uid) + "/" + rv + "/" + hex.EncodeToString(targetHash[:8]) + "/" + strconv.FormatBool(visibleOnly)
		if known, ok := d.liveHashes.Get(version); ok {
			return known.([]byte), nil
		}
	}
	content := comparedContent(live)
	if visibleOnly {
		if visible, ok := visibleContent(live, target); ok {
			content = visible
		}
	}
	h := sha256.New()
	if err := hashValue(h, content); err != nil {
		return nil, err
	}
	var sum [sha256.Size]byte
	h.Sum(sum[:0])
	if version != "" {
		d.liveHashes.Add(version, sum[:])
	}
	return sum[:], nil
}

// comparedContent is live without what no comparison reads: status, the
// resourceVersion, generation, and the managedFields of the status
// subresource and the times of the others.
func comparedContent(live *unstructured.Unstructured) map[string]any {
	content := make(map[string]any, len(live.Object))
	for field, value := range live.Object {
		if field != "status" && field != "metadata" {
			content[field] = value
		}
	}
	metadata, _ := live.Object["metadata"].(map[string]any)
	kept := make(map[string]any, len(metadata))
	for field, value := range metadata {
		switch field {
		case "resourceVersion", "generation":
		case "managedFields":
			kept[field] = comparedManagedFields(value)
		default:
			kept[field] = value
		}
	}
	content["metadata"] = kept
	return content
}

func comparedManagedFields(value any) []any {
	entries, _ := value.([]any)
	out := make([]any, 0, len(entries))
	for _, entry := range entries {
		fields, ok := entry.(map[string]any)
		if !ok || fields["subresource"] == "status" {
			continue
		}
		copied := make(map[string]any, len(fields))
		for name, v := range fields {
			if name != "time" {
				copied[name] = v
			}
		}
		out = append(out, copied)
	}
	return out
}

// TextDiff is a unified diff of the YAML of live (before) and predicted (after),
// with Secret values masked.
func TextDiff(name string, live, predicted *unstructured.Unstructured) (string, error) {
	masked := MaskSecrets(live, predicted)
	before, err := toYAML(masked[0])
	if err != nil {
		return "", err
	}
	after, err := toYAML(masked[1])
	if err != nil {
		return "", err
	}
	return difflib.GetUnifiedDiffString(difflib.UnifiedDiff{
		A: difflib.SplitLines(before), B: difflib.SplitLines(after),
		FromFile: name + " (live)", ToFile: name + " (target)", Context: 3,
	})
}

func toYAML(obj *unstructured.Unstructured) (string, error) {
	if obj == nil {
		return "", nil
	}
	data, err := yaml.Marshal(obj.Object)
	if err != nil {
		return "", err
	}
	return strings.TrimSuffix(string(data), "\n") + "\n", nil
}
