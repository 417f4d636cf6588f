package diff

import (
	"crypto/sha256"
	"encoding/hex"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// A sync validates every object with a server-side dry run before it applies
// any, and an automated sync follows the comparison that found the
// difference: the comparison has just sent the same request. The Differ
// remembers the server-side applies the API server accepted under strict
// field validation — the comparisons' dry runs that got no warning, and the
// syncs' applies — by who sent them (the identity of the client: Capstan's
// own or an impersonated ServiceAccount, at one destination), the exact
// target, and the object version they were applied to. A sync's dry run of
// the same target against the same version by the same identity would get
// the same answer, so it is not sent again (compare.AcceptingApplier).

// acceptedKey identifies a server-side apply of target by identity to one
// version of an object.
func acceptedKey(identity string, target *unstructured.Unstructured, uid, resourceVersion string) (string, error) {
	hash := sha256.New()
	if err := hashValue(hash, target.Object); err != nil {
		return "", err
	}
	return identity + "\x00" + uid + "\x00" + resourceVersion + "\x00" + hex.EncodeToString(hash.Sum(nil)), nil
}

// RememberAccepted records that the API server accepted a server-side apply
// of target by identity, with strict field validation or without a warning,
// to the version of the object that result names (a dry run answers with the
// version it started from; an apply with the version it wrote, to which
// applying target again changes nothing). unchanged says that the answer was
// that version itself: applying target changes nothing.
func (d *Differ) RememberAccepted(identity string, target, result *unstructured.Unstructured, unchanged bool) {
	if target == nil || result == nil || result.GetUID() == "" || result.GetResourceVersion() == "" {
		return
	}
	key, err := acceptedKey(identity, target, string(result.GetUID()), result.GetResourceVersion())
	if err != nil {
		return
	}
	d.accepted.Add(key, unchanged)
}

// Accepted tells whether a server-side apply of target by identity to live
// (at its resourceVersion) was accepted, and if so whether it changed
// nothing (see RememberAccepted).
func (d *Differ) Accepted(identity string, target, live *unstructured.Unstructured) (unchanged, ok bool) {
	if target == nil || live == nil || live.GetUID() == "" || live.GetResourceVersion() == "" {
		return false, false
	}
	key, err := acceptedKey(identity, target, string(live.GetUID()), live.GetResourceVersion())
	if err != nil {
		return false, false
	}
	value, ok := d.accepted.Get(key)
	if !ok {
		return false, false
	}
	return value.(bool), true
}
