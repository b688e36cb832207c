package correlation

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/google/uuid"

	"github.com/flowstore/flowstore/store"
)

// idMax is the length of correlation_instances.encoded_correlation_id and
// correlated_id, varchar(36), in the dialect's text units.
const idMax = 36

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
// CompositeCorrelation it stores: the parts' keys joined with "|" in key
// order (CompositeCorrelation.getKey), and the parts in that order.
type document struct {
	Key   string `json:"key"`
	Value []Part `json:"value"`
}

// Create implements Store.
func (b *bunStore) Create(ctx context.Context, correlatedID string, parts ...Part) (*Correlation, error) {
	row, err := b.create(ctx, correlatedID, parts)
	if err != nil {
		return nil, fmt.Errorf("correlation: create for %q: %w", correlatedID, err)
	}
	return row, nil
}

func (b *bunStore) create(ctx context.Context, correlatedID string, parts []Part) (*Correlation, error) {
	if err := store.CheckContext(ctx); err != nil {
		return nil, err
	}
	if err := b.checkID("correlation_instances.correlated_id", correlatedID); err != nil {
		return nil, err
	}
	set, err := checkParts(parts)
	if err != nil {
		return nil, err
	}
	doc, err := marshal(set)
	if err != nil {
		return nil, err
	}
	row := &Correlation{ID: uuid.NewString(), EncodedID: Encode(set...), CorrelatedID: correlatedID, Parts: set}
	insert := func(ctx context.Context, h store.Handle) error {
		// The JSON is bound as text, as Kogito binds it (setString): the
		// column is character varying since Kogito's V10.0.1 (migration
		// 0041 converts flowstore's older json column).
		_, err := h.Raw().ExecContext(ctx, b.q.insert, row.ID, row.EncodedID, row.CorrelatedID, doc)
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

// checkParts applies the text rule to every key and value and returns the
// parts as Kogito's CompositeCorrelation holds them (see partSet). A key
// given twice with different values is refused: Kogito would keep one of
// them, and which one depends on the order of a hash set.
func checkParts(parts []Part) ([]Part, error) {
	if len(parts) == 0 {
		return nil, fmt.Errorf("%w: no parts", store.ErrInvalid)
	}
	values := make(map[string]string, len(parts))
	for i, p := range parts {
		if err := store.ValidText(fmt.Sprintf("the key of part %d", i+1), p.Key); err != nil {
			return nil, err
		}
		if err := store.ValidText(fmt.Sprintf("the value of part %d", i+1), p.Value); err != nil {
			return nil, err
		}
		if v, ok := values[p.Key]; ok && v != p.Value {
			return nil, fmt.Errorf("%w: key %q given twice, with values %q and %q; a correlation has one value per key", store.ErrInvalid, p.Key, v, p.Value)
		}
		values[p.Key] = p.Value
	}
	return partSet(parts), nil
}

// marshal renders the row's JSON as Kogito's Jackson mapper writes a
// CompositeCorrelation, byte for byte but for U+2028 and U+2029, which Go
// escapes and Jackson does not (the JSON means the same).
func marshal(set []Part) (string, error) {
	keys := make([]string, len(set))
	for i, p := range set {
		keys[i] = p.Key
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false) // Jackson writes <, > and & as they are
	if err := enc.Encode(document{Key: strings.Join(keys, "|"), Value: set}); err != nil {
		return "", fmt.Errorf("%w: %v", store.ErrInvalid, err)
	}
	return strings.TrimSuffix(buf.String(), "\n"), nil
}

// checkID applies the text rule of a varchar(36) id column to an id a write
// stores or a lookup looks for.
func (b *bunStore) checkID(what, id string) error {
	if id == "" {
		return fmt.Errorf("%w: empty %s", store.ErrInvalid, what)
	}
	return b.d.CheckText(what, id, idMax)
}

// FindByEncodedID implements Store.
func (b *bunStore) FindByEncodedID(ctx context.Context, encodedID string) (*Correlation, error) {
	row, err := b.find(ctx, b.q.byEncoded, "encoded_correlation_id", encodedID)
	if err != nil {
		return nil, fmt.Errorf("correlation: find by encoded id %s: %w", display(encodedID), err)
	}
	return row, nil
}

// FindByCorrelatedID implements Store.
func (b *bunStore) FindByCorrelatedID(ctx context.Context, correlatedID string) (*Correlation, error) {
	row, err := b.find(ctx, b.q.byCorrelated, "correlated_id", correlatedID)
	if err != nil {
		return nil, fmt.Errorf("correlation: find by correlated id %q: %w", correlatedID, err)
	}
	return row, nil
}

func (b *bunStore) find(ctx context.Context, query, what, arg string) (*Correlation, error) {
	if err := store.CheckContext(ctx); err != nil {
		return nil, err
	}
	if err := b.checkID(what, arg); err != nil {
		return nil, err
	}
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

// parse reads the JSON Kogito stores: a composite {"key", "value": [parts]},
// its parts in any order, or, from older writers, a single
// {"key", "value": "…"}.
func parse(doc string) ([]Part, error) {
	var raw struct {
		Key   string          `json:"key"`
		Value json.RawMessage `json:"value"`
	}
	if err := json.Unmarshal([]byte(doc), &raw); err != nil {
		return nil, fmt.Errorf("%w: correlation JSON: %v", store.ErrInvalid, err)
	}
	var list []struct {
		Key   string          `json:"key"`
		Value json.RawMessage `json:"value"`
	}
	if err := json.Unmarshal(raw.Value, &list); err == nil {
		parts := make([]Part, len(list))
		for i, p := range list {
			v, err := valueText(p.Value)
			if err != nil {
				return nil, fmt.Errorf("correlation JSON, part %q: %w", p.Key, err)
			}
			parts[i] = Part{Key: p.Key, Value: v}
		}
		return partSet(parts), nil
	}
	v, err := valueText(raw.Value)
	if err != nil {
		return nil, fmt.Errorf("correlation JSON: %w", err)
	}
	return []Part{{Key: raw.Key, Value: v}}, nil
}

// valueText is a part's value as Kogito renders it into the encoded id
// (Correlation.asString, Java's toString): a JSON string is its text, and
// Kogito writes the event attribute's own value, so a number or a boolean is
// its JSON text (an integer renders alike in Java) and a value left out or
// null — Kogito's mapper omits nulls — is "null". A JSON object or array has
// no rendering that can be reproduced here.
func valueText(v json.RawMessage) (string, error) {
	v = bytes.TrimSpace(v)
	switch {
	case len(v) == 0 || string(v) == "null":
		return "null", nil
	case v[0] == '"':
		var s string
		if err := json.Unmarshal(v, &s); err != nil {
			return "", fmt.Errorf("%w: value: %v", store.ErrInvalid, err)
		}
		return s, nil
	case v[0] == '{' || v[0] == '[':
		return "", fmt.Errorf("%w: value %s is a JSON object or array, not a value flowstore can render as Kogito does", store.ErrInvalid, v)
	}
	return string(v), nil
}

// Delete implements Store.
func (b *bunStore) Delete(ctx context.Context, encodedID string) error {
	err := store.CheckContext(ctx)
	if err == nil {
		err = b.checkID("encoded_correlation_id", encodedID)
	}
	if err == nil {
		var n int64
		n, err = b.h.Exec(ctx, b.q.delete, encodedID)
		if err == nil && n == 0 {
			err = store.ErrNotFound
		}
	}
	if err != nil {
		return fmt.Errorf("correlation: delete %s: %w", display(encodedID), err)
	}
	return nil
}

// display is a value as an error message names it: as it is, or quoted when
// it is not text a message can carry (NUL, invalid UTF-8, or empty).
func display(s string) string {
	if s == "" || store.ValidText("", s) != nil {
		return fmt.Sprintf("%q", s)
	}
	return s
}
