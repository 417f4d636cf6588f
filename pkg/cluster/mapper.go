package cluster

import (
	"strings"
	"sync"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// rememberingMapper remembers the RESTMappings its delegate found, until it is
// reset. Every comparison and every apply asks for the mapping of each of its
// objects' kinds, and client-go's discovery mapper finds one by walking and
// copying its lists of resources (2.5 % of capstan-apiserver's CPU during a
// cold sync); a found mapping stays what the delegate would answer until the
// delegate is reset, which only this mapper's Reset does. Failures are not
// remembered: the delegate answers them again (and retries on stale
// discovery).
type rememberingMapper struct {
	meta.ResettableRESTMapper

	mu       sync.RWMutex
	mappings map[mappingKey]*meta.RESTMapping
	// resets counts Reset calls: a mapping found across one is not kept.
	resets uint64
}

// mappingKey is a RESTMapping request: a kind and the versions asked for.
type mappingKey struct {
	kind     schema.GroupKind
	versions string
}

func newRememberingMapper(delegate meta.ResettableRESTMapper) *rememberingMapper {
	return &rememberingMapper{ResettableRESTMapper: delegate, mappings: map[mappingKey]*meta.RESTMapping{}}
}

// RESTMapping returns the delegate's mapping of gk in versions, remembered.
// Callers get a copy: the delegate gives each caller a mapping of its own.
func (m *rememberingMapper) RESTMapping(gk schema.GroupKind, versions ...string) (*meta.RESTMapping, error) {
	key := mappingKey{kind: gk, versions: strings.Join(versions, ",")}
	m.mu.RLock()
	known, ok := m.mappings[key]
	resets := m.resets
	m.mu.RUnlock()
	if ok {
		mapping := *known
		return &mapping, nil
	}
	mapping, err := m.ResettableRESTMapper.RESTMapping(gk, versions...)
	if err != nil {
		return nil, err
	}
	remembered := *mapping
	m.mu.Lock()
	if m.resets == resets {
		m.mappings[key] = &remembered
	}
	m.mu.Unlock()
	return mapping, nil
}

// Reset resets the delegate, then forgets every remembered mapping. In that
// order, a lookup that asked the delegate before its reset cannot keep what
// it found: the count of resets it started from is stale by then.
func (m *rememberingMapper) Reset() {
	m.ResettableRESTMapper.Reset()
	m.mu.Lock()
	m.mappings = map[mappingKey]*meta.RESTMapping{}
	m.resets++
	m.mu.Unlock()
}
