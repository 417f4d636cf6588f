package cluster

import (
	"testing"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// countingMapper is a DefaultRESTMapper that counts the mappings asked of it
// and can forget a kind, as discovery does when a CRD is deleted.
type countingMapper struct {
	*meta.DefaultRESTMapper
	asked, resets int
}

func (c *countingMapper) RESTMapping(gk schema.GroupKind, versions ...string) (*meta.RESTMapping, error) {
	c.asked++
	return c.DefaultRESTMapper.RESTMapping(gk, versions...)
}

func (c *countingMapper) Reset() { c.resets++ }

// A found mapping is asked of the delegate once until Reset; a failure is
// asked again each time; Reset forgets and resets the delegate; callers get
// copies.
func TestRememberingMapper(t *testing.T) {
	widgets := schema.GroupVersionKind{Group: "example.com", Version: "v1", Kind: "Widget"}
	delegate := &countingMapper{DefaultRESTMapper: meta.NewDefaultRESTMapper(nil)}
	delegate.Add(widgets, meta.RESTScopeNamespace)
	m := newRememberingMapper(delegate)

	for range 3 {
		mapping, err := m.RESTMapping(widgets.GroupKind(), "v1")
		if err != nil {
			t.Fatal(err)
		}
		if mapping.Resource.Resource != "widgets" || mapping.Scope.Name() != meta.RESTScopeNameNamespace {
			t.Fatalf("mapping %+v", mapping)
		}
		mapping.Resource.Resource = "changed by a caller"
	}
	if delegate.asked != 1 {
		t.Errorf("the delegate was asked %d times for one mapping, want once", delegate.asked)
	}
	gadgets := schema.GroupKind{Group: "example.com", Kind: "Gadget"}
	for range 2 {
		if _, err := m.RESTMapping(gadgets, "v1"); !meta.IsNoMatchError(err) {
			t.Fatalf("err %v, want no match", err)
		}
	}
	if delegate.asked != 3 {
		t.Errorf("the delegate was asked %d times, want each failure asked again (3)", delegate.asked)
	}

	m.Reset()
	if delegate.resets != 1 {
		t.Errorf("delegate reset %d times, want 1", delegate.resets)
	}
	if _, err := m.RESTMapping(widgets.GroupKind(), "v1"); err != nil {
		t.Fatal(err)
	}
	if delegate.asked != 4 {
		t.Errorf("the delegate was asked %d times, want the mapping asked again after Reset (4)", delegate.asked)
	}
}
