package correlation

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/google/uuid"

	"github.com/flowstore/flowstore/store"
)

// bunStore is the Store on bun, for every dialect.
type bunStore struct {
	h store.Handle
	d *store.Dialect
	q *stmts
}

var _ Store = (*bunStore)(nil)

// New returns the correlation store of db. It renders the package's
// statements for db's dialect and does no I/O.
func New(db *store.DB) (Store, error) {
	if db == nil {
		return nil, fmt.Errorf("correlation: new store: %w: nil *store.DB", store.ErrInvalid)
	}
	return &bunStore{h: db.Handle(), d: db.SQLDialect(), q: newStmts(db.SQLDialect())}, nil
}

// WithTx implements Store.
func (b *bunStore) WithTx(s *store.Session) Store {
	return &bunStore{h: s.Handle(), d: b.d, q: b.q}
}

// document is the shape Kogito's Jackson mapper writes for the
// CompositeCorrelation it stores: the parts' keys joined with "|", and the
// parts.
type document struct {
	Key   string `json:"key"`
	Value []Part `json:"value"`
}

// Create implements Store. A part given twice is stored once, as Kogito's
// CompositeCorrelation (a Set) holds it.
func (b *bunStore) Create(ctx context.Context, correlatedID string, parts ...Part) (*Correlation, error) {
	row, err := b.create(ctx, correlatedID, parts)
	if err != nil {
		return nil, fmt.Errorf("correlation: create for %q: %w", correlatedID, err)
	}
	return row, nil
}

func (b *bunStore) create(ctx context.Context, correlatedID string, parts []Part) (*Correlation, error) {
	if correlatedID == "" {
		return nil, fmt.Errorf("%w: empty correlated id", store.ErrInvalid)
	}
	if err := b.d.CheckText("correlation_instances.correlated_id", correlatedID, 36); err != nil {
		return nil, err
	}
	if len(parts) == 0 {
		return nil, fmt.Errorf("%w: no parts", store.ErrInvalid)
	}
	// The parts in the encoder's order (and without repeats), so the stored
	// JSON lists them as the encoded id hashes them.
	sorted := sortParts(parts)
	keys := make([]string, len(sorted))
	for i, p := range sorted {
		keys[i] = p.Key
	}
	doc, err := json.Marshal(document{Key: strings.Join(keys, "|"), Value: sorted})
	if err != nil {
		return nil, fmt.Errorf("%w: %v", store.ErrInvalid, err)
	}
	row := &Correlation{ID: uuid.NewString(), EncodedID: Encode(sorted...), CorrelatedID: correlatedID, Parts: sorted}
	insert := func(ctx context.Context, h store.Handle) error {
		_, err := h.Raw().ExecContext(ctx, b.q.insert, row.ID, row.EncodedID, row.CorrelatedID, string(doc))
		return h.Classify(err)
	}
	if b.h.Session() == nil {
		err = insert(ctx, b.h)
	} else {
		err = b.h.InTx(ctx, insert) // a savepoint: a duplicate leaves the session usable
	}
	if err != nil {
		return nil, err
	}
	return row, nil
}

// FindByEncodedID implements Store.
func (b *bunStore) FindByEncodedID(ctx context.Context, encodedID string) (*Correlation, error) {
	row, err := b.find(ctx, b.q.byEncoded, encodedID)
	if err != nil {
		return nil, fmt.Errorf("correlation: find by encoded id %s: %w", encodedID, err)
	}
	return row, nil
}

// FindByCorrelatedID implements Store.
func (b *bunStore) FindByCorrelatedID(ctx context.Context, correlatedID string) (*Correlation, error) {
	row, err := b.find(ctx, b.q.byCorrelated, correlatedID)
	if err != nil {
		return nil, fmt.Errorf("correlation: find by correlated id %q: %w", correlatedID, err)
	}
	return row, nil
}

func (b *bunStore) find(ctx context.Context, query, arg string) (*Correlation, error) {
	var (
		row Correlation
		doc string
	)
	err := b.h.Raw().QueryRowContext(ctx, query, arg).Scan(&row.ID, &row.EncodedID, &row.CorrelatedID, &doc)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, store.ErrNotFound
	}
	if err != nil {
		return nil, b.h.Classify(err)
	}
	// PostgreSQL and SQL Server pad CHAR(36) with blanks when an id is
	// shorter (Kogito's ids are UUIDs and never are).
	row.ID = strings.TrimRight(row.ID, " ")
	parts, err := parse(doc)
	if err != nil {
		return nil, fmt.Errorf("row %s: %w", row.EncodedID, err)
	}
	row.Parts = parts
	return &row, nil
}

// parse reads the JSON Kogito stores: a composite {"key", "value": [parts]}
// or, from older writers, a single {"key", "value": "…"}.
func parse(doc string) ([]Part, error) {
	var raw struct {
		Key   string          `json:"key"`
		Value json.RawMessage `json:"value"`
	}
	if err := json.Unmarshal([]byte(doc), &raw); err != nil {
		return nil, fmt.Errorf("%w: correlation JSON: %v", store.ErrInvalid, err)
	}
	var parts []Part
	if err := json.Unmarshal(raw.Value, &parts); err == nil {
		return parts, nil
	}
	var value string
	if err := json.Unmarshal(raw.Value, &value); err != nil {
		return nil, fmt.Errorf("%w: correlation JSON value: %v", store.ErrInvalid, err)
	}
	return []Part{{Key: raw.Key, Value: value}}, nil
}

// Delete implements Store.
func (b *bunStore) Delete(ctx context.Context, encodedID string) error {
	n, err := b.h.Exec(ctx, b.q.delete, encodedID)
	if err == nil && n == 0 {
		err = store.ErrNotFound
	}
	if err != nil {
		return fmt.Errorf("correlation: delete %s: %w", encodedID, err)
	}
	return nil
}
