package cluster

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

const (
	// TrackingAnnotation records which Application manages an object, as
	// "<app-namespace>_<app-name>:<group>/<kind>:<namespace>/<name>" (Argo CD's
	// annotation tracking format, with Capstan's annotation name).
	TrackingAnnotation = "capstan.dev/tracking-id"
	// InstanceLabel carries a short form of the managing Application. Watches
	// select on its presence, so only Capstan-managed objects are cached.
	InstanceLabel = "capstan.dev/instance"
	// ArgoCDTrackingAnnotation is Argo CD's tracking annotation; objects that carry
	// it with a matching id are adopted like untracked objects.
	ArgoCDTrackingAnnotation = "argocd.argoproj.io/tracking-id"
)

// maxLabelValue is the longest value a label may have.
const maxLabelValue = 63

// AppInstance names an Application as tracking ids do: "<namespace>_<name>".
func AppInstance(appNamespace, appName string) string {
	return appNamespace + "_" + appName
}

// InstanceLabelValue is the value of InstanceLabel for an Application: the
// instance name, or a prefix of it plus a hash when it is too long for a label.
func InstanceLabelValue(appNamespace, appName string) string {
	instance := AppInstance(appNamespace, appName)
	if len(instance) <= maxLabelValue {
		return instance
	}
	sum := sha256.Sum256([]byte(instance))
	hash := hex.EncodeToString(sum[:])[:10]
	prefix := strings.TrimRight(instance[:maxLabelValue-len(hash)-1], "-_.")
	return prefix + "-" + hash
}

// ResourceKey identifies an object in a cluster independently of its version.
type ResourceKey struct {
	Group     string
	Kind      string
	Namespace string
	Name      string
}

// KeyOf returns the key of obj.
func KeyOf(obj *unstructured.Unstructured) ResourceKey {
	gvk := obj.GroupVersionKind()
	return ResourceKey{Group: gvk.Group, Kind: gvk.Kind, Namespace: obj.GetNamespace(), Name: obj.GetName()}
}

// GroupKind returns the group and kind of the key.
func (k ResourceKey) GroupKind() schema.GroupKind {
	return schema.GroupKind{Group: k.Group, Kind: k.Kind}
}

// String formats the key as Argo CD prints resources: "group/Kind/namespace/name".
func (k ResourceKey) String() string {
	return k.Group + "/" + k.Kind + "/" + k.Namespace + "/" + k.Name
}

// TrackingID returns the tracking annotation value for an object of an Application.
func TrackingID(appNamespace, appName string, key ResourceKey) string {
	return AppInstance(appNamespace, appName) + ":" + key.Group + "/" + key.Kind + ":" + key.Namespace + "/" + key.Name
}

// Tracking is a parsed tracking id.
type Tracking struct {
	// AppInstance is "<app-namespace>_<app-name>".
	AppInstance string
	// Key is the object the id was written for.
	Key ResourceKey
}

// ParseTrackingID parses "<instance>:<group>/<kind>:<namespace>/<name>".
func ParseTrackingID(id string) (Tracking, bool) {
	instance, rest, ok := strings.Cut(id, ":")
	if !ok || instance == "" {
		return Tracking{}, false
	}
	groupKind, namespaceName, ok := strings.Cut(rest, ":")
	if !ok {
		return Tracking{}, false
	}
	group, kind, ok := strings.Cut(groupKind, "/")
	if !ok || kind == "" {
		return Tracking{}, false
	}
	namespace, name, ok := strings.Cut(namespaceName, "/")
	if !ok || name == "" {
		return Tracking{}, false
	}
	return Tracking{AppInstance: instance, Key: ResourceKey{Group: group, Kind: kind, Namespace: namespace, Name: name}}, true
}

// TrackingOf returns the tracking of a live object. It reports false when the
// object carries no id, an unparsable one, or one written for another object
// (a copied annotation): such objects are not managed, as in Argo CD.
func TrackingOf(obj *unstructured.Unstructured) (Tracking, bool) {
	id, ok := Annotation(obj, TrackingAnnotation)
	if !ok {
		return Tracking{}, false
	}
	tracking, ok := ParseTrackingID(id)
	if !ok || tracking.Key != KeyOf(obj) {
		return Tracking{}, false
	}
	return tracking, true
}

// SetTracking marks obj as managed by an Application: the tracking annotation
// and the instance label. It changes obj in place.
func SetTracking(obj *unstructured.Unstructured, appNamespace, appName string) {
	setMetadataMapValue(obj, "annotations", TrackingAnnotation, TrackingID(appNamespace, appName, KeyOf(obj)))
	setMetadataMapValue(obj, "labels", InstanceLabel, InstanceLabelValue(appNamespace, appName))
}

// TrackedTo tells whether obj's tracking annotation names the Application
// appNamespace/appName and was written for obj itself: only such objects are
// the Application's to prune or delete. Objects adopted by key (untracked, or
// tracked to another Application) are not.
func TrackedTo(obj *unstructured.Unstructured, appNamespace, appName string) bool {
	tracking, ok := TrackingOf(obj)
	return ok && tracking.AppInstance == AppInstance(appNamespace, appName)
}

// ParseAppInstance splits an instance name ("<namespace>_<name>", as
// AppInstance writes it) into the Application's namespace and name.
func ParseAppInstance(instance string) (namespace, name string, ok bool) {
	namespace, name, ok = strings.Cut(instance, "_")
	return namespace, name, ok && namespace != "" && name != ""
}
