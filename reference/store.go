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
	for _, w := range tx.writes {
		dst := m.data[w.bucket]
		if dst == nil {
			dst = map[string]*memEntry{}
			m.data[w.bucket] = dst
		}
		if w.e == nil {
			delete(dst, w.key)
		} else {
			dst[w.key] = w.e
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

// memTx buffers writes over the committed data, in order: a transaction
// writes a handful of keys, so a list beats maps.
type memTx struct {
	m        *MemoryStore
	writes   []memWrite
	index    map[memKey]int // position in writes, once there are many
	readOnly bool
}

type memKey struct{ bucket, key string }

// indexAfter is how many writes a transaction makes before it indexes them.
const indexAfter = 16

// memWrite is one buffered write; a nil entry marks a deletion.
type memWrite struct {
	bucket, key string
	e           *memEntry
}

// written returns the transaction's own write of bucket/key.
func (t *memTx) written(bucket, key string) (*memEntry, bool) {
	if i := t.find(bucket, key); i >= 0 {
		return t.writes[i].e, true
	}
	return nil, false
}

func (t *memTx) find(bucket, key string) int {
	if t.index != nil {
		if i, ok := t.index[memKey{bucket, key}]; ok {
			return i
		}
		return -1
	}
	for i := range t.writes {
		if w := &t.writes[i]; w.key == key && w.bucket == bucket {
			return i
		}
	}
	return -1
}

func (t *memTx) entry(bucket, key string) *memEntry {
	if e, ok := t.written(bucket, key); ok {
		return e
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
	if i := t.find(bucket, key); i >= 0 {
		t.writes[i].e = e
		return nil
	}
	t.writes = append(t.writes, memWrite{bucket: bucket, key: key, e: e})
	switch n := len(t.writes); {
	case t.index != nil:
		t.index[memKey{bucket, key}] = n - 1
	case n > indexAfter:
		t.index = make(map[memKey]int, 2*n)
		for i, w := range t.writes {
			t.index[memKey{w.bucket, w.key}] = i
		}
	}
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
			if _, shadowed := t.written(bucket, k); !shadowed {
				keys = append(keys, k)
			}
		}
	}
	for _, w := range t.writes {
		if w.e != nil && w.bucket == bucket && strings.HasPrefix(w.key, prefix) {
			keys = append(keys, w.key)
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
