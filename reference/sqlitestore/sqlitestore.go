// Package sqlitestore is a durable reference.Store in one SQLite file, for
// `otnsim bot --db`. It lives apart from package reference so that
// importing the reference bot (or sim, fakegraph, scenarios) does not
// compile the SQLite driver (modernc.org/sqlite, pure Go, large).
package sqlitestore

import (
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	_ "modernc.org/sqlite" // registers the pure-Go "sqlite" driver

	"github.com/otnsim/otnsim/reference"
)

// Store is a durable reference.Store in one SQLite file. Each Update is
// one SQLite transaction with a full fsync, so the bot can be killed at
// any moment and restarted on the same file.
type Store struct {
	db *sql.DB
}

var _ reference.Store = (*Store)(nil)

// Open opens (creating if needed) the store at path.
func Open(path string) (*Store, error) {
	dsn := "file:" + path + "?_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)&_pragma=busy_timeout(10000)&_txlock=immediate"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	db.SetMaxOpenConns(1) // one writer; transactions queue instead of failing busy
	if _, err := db.Exec(`CREATE TABLE IF NOT EXISTS kv (bucket TEXT NOT NULL, key TEXT NOT NULL, value BLOB NOT NULL, PRIMARY KEY (bucket, key)) WITHOUT ROWID`); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("open store %s: create table: %w", path, err)
	}
	return &Store{db: db}, nil
}

// Update implements reference.Store.
func (s *Store) Update(fn func(reference.Tx) error) error {
	tx, err := s.db.Begin()
	if err != nil {
		return fmt.Errorf("store: begin: %w", err)
	}
	if err := fn(&sqlTx{tx: tx}); err != nil {
		_ = tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: commit: %w", err)
	}
	return nil
}

// View implements reference.Store.
func (s *Store) View(fn func(reference.Tx) error) error {
	tx, err := s.db.Begin()
	if err != nil {
		return fmt.Errorf("store: begin: %w", err)
	}
	defer func() { _ = tx.Rollback() }()
	return fn(&sqlTx{tx: tx, readOnly: true})
}

// Close implements reference.Store.
func (s *Store) Close() error { return s.db.Close() }

// sqlTx is a reference.Tx on one SQLite transaction.
type sqlTx struct {
	tx       *sql.Tx
	readOnly bool
}

func (t *sqlTx) Get(bucket, key string, v any) (bool, error) {
	var raw []byte
	err := t.tx.QueryRow(`SELECT value FROM kv WHERE bucket = ? AND key = ?`, bucket, key).Scan(&raw)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("store: get %s/%s: %w", bucket, key, err)
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return true, fmt.Errorf("store: decode %s/%s: %w", bucket, key, err)
	}
	return true, nil
}

func (t *sqlTx) Put(bucket, key string, v any) error {
	if t.readOnly {
		return fmt.Errorf("store: write %s/%s in a read-only transaction", bucket, key)
	}
	raw, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("store: encode %s/%s: %w", bucket, key, err)
	}
	if _, err := t.tx.Exec(`INSERT INTO kv (bucket, key, value) VALUES (?, ?, ?) ON CONFLICT (bucket, key) DO UPDATE SET value = excluded.value`, bucket, key, raw); err != nil {
		return fmt.Errorf("store: put %s/%s: %w", bucket, key, err)
	}
	return nil
}

func (t *sqlTx) Delete(bucket, key string) error {
	if t.readOnly {
		return fmt.Errorf("store: delete %s/%s in a read-only transaction", bucket, key)
	}
	if _, err := t.tx.Exec(`DELETE FROM kv WHERE bucket = ? AND key = ?`, bucket, key); err != nil {
		return fmt.Errorf("store: delete %s/%s: %w", bucket, key, err)
	}
	return nil
}

func (t *sqlTx) Scan(bucket, prefix string, fn func(string, []byte) error) error {
	rows, err := t.tx.Query(`SELECT key, value FROM kv WHERE bucket = ? AND key >= ? AND key < ? ORDER BY key`, bucket, prefix, prefix+"\U0010FFFF")
	if err != nil {
		return fmt.Errorf("store: scan %s/%s: %w", bucket, prefix, err)
	}
	type row struct {
		key string
		raw []byte
	}
	var all []row
	for rows.Next() {
		var r row
		if err := rows.Scan(&r.key, &r.raw); err != nil {
			_ = rows.Close()
			return fmt.Errorf("store: scan %s: %w", bucket, err)
		}
		all = append(all, r)
	}
	if err := rows.Close(); err != nil {
		return fmt.Errorf("store: scan %s: %w", bucket, err)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("store: scan %s: %w", bucket, err)
	}
	// Rows are read fully first: with one connection, fn may not query while they are open.
	for _, r := range all {
		if err := fn(r.key, r.raw); err != nil {
			return err
		}
	}
	return nil
}
