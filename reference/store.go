package reference

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"sync"
)

// Store keeps the bot's state: subscribers, tokens, campaigns, pending
// deliveries and counters. Values are JSON documents in named buckets.
// Every change the bot makes runs in one Update, so a crash leaves either
// all of it or none of it.
type Store interface {
	// Update runs fn in a read-write transaction; its writes commit together
	// when fn returns nil and are discarded otherwise.
	Update(fn func(Tx) error) error
	// View runs fn in a read-only transaction.
	View(fn func(Tx) error) error
	// Close releases the store.
	Close() error
}

// Tx is a transaction on a Store. It must not be used after its function returns.
type Tx interface {
	// Get decodes the value under bucket/key into v and reports whether it exists.
	Get(bucket, key string, v any) (bool, error)
	// Put stores v under bucket/key.
	Put(bucket, key string, v any) error
	// Delete removes bucket/key.
	Delete(bucket, key string) error
	// Scan calls fn for each key of bucket starting with prefix, in key order.
	Scan(bucket, prefix string, fn func(key string, raw []byte) error) error
}

// MemoryStore is a Store in memory, for tests and simulations. It keeps the
// bot's hot records (subscribers, tokens, counters) as Go values and encodes
// them to JSON only when scanned raw, so a value read back is exactly what a
// JSON round trip would give, without paying for one on every change.
type MemoryStore struct {
	mu   sync.RWMutex
	data map[string]map[string]*memEntry
}

// NewMemoryStore returns an empty MemoryStore.
func NewMemoryStore() *MemoryStore {
	return &MemoryStore{data: map[string]map[string]*memEntry{}}
}

// Update implements Store.
func (m *MemoryStore) Update(fn func(Tx) error) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	tx := &memTx{m: m}
	if err := fn(tx); err != nil {
		return err
	}
	for b, kv := range tx.writes {
		dst := m.data[b]
		if dst == nil {
			dst = map[string]*memEntry{}
			m.data[b] = dst
		}
		for k, v := range kv {
			if v == nil {
				delete(dst, k)
			} else {
				dst[k] = v
			}
		}
	}
	return nil
}

// View implements Store.
func (m *MemoryStore) View(fn func(Tx) error) error {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return fn(&memTx{m: m, readOnly: true})
}

// Close implements Store.
func (m *MemoryStore) Close() error { return nil }

// memTx buffers writes (nil marks a deletion) over the committed data.
type memTx struct {
	m        *MemoryStore
	writes   map[string]map[string]*memEntry
	readOnly bool
}

func (t *memTx) entry(bucket, key string) *memEntry {
	if w, ok := t.writes[bucket][key]; ok {
		return w
	}
	return t.m.data[bucket][key]
}

func (t *memTx) Get(bucket, key string, v any) (bool, error) {
	e := t.entry(bucket, key)
	if e == nil {
		return false, nil
	}
	if e.load(v) {
		return true, nil
	}
	if err := json.Unmarshal(e.bytes(), v); err != nil {
		return true, fmt.Errorf("store: decode %s/%s: %w", bucket, key, err)
	}
	return true, nil
}

func (t *memTx) set(bucket, key string, e *memEntry) error {
	if t.readOnly {
		return fmt.Errorf("store: write %s/%s in a read-only transaction", bucket, key)
	}
	if t.writes == nil {
		t.writes = map[string]map[string]*memEntry{}
	}
	if t.writes[bucket] == nil {
		t.writes[bucket] = map[string]*memEntry{}
	}
	t.writes[bucket][key] = e
	return nil
}

func (t *memTx) Put(bucket, key string, v any) error {
	if e := typedEntry(v); e != nil {
		return t.set(bucket, key, e)
	}
	raw, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("store: encode %s/%s: %w", bucket, key, err)
	}
	return t.set(bucket, key, rawEntry(raw))
}

func (t *memTx) Delete(bucket, key string) error { return t.set(bucket, key, nil) }

// keys returns bucket's live keys starting with prefix, in order.
func (t *memTx) keys(bucket, prefix string) []string {
	var keys []string
	for k := range t.m.data[bucket] {
		if strings.HasPrefix(k, prefix) {
			if _, shadowed := t.writes[bucket][k]; !shadowed {
				keys = append(keys, k)
			}
		}
	}
	for k, v := range t.writes[bucket] {
		if v != nil && strings.HasPrefix(k, prefix) {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	return keys
}

func (t *memTx) Scan(bucket, prefix string, fn func(string, []byte) error) error {
	for _, k := range t.keys(bucket, prefix) {
		if err := fn(k, t.entry(bucket, k).bytes()); err != nil {
			return err
		}
	}
	return nil
}
