package store

import (
	"context"
	"crypto/md5"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/uptrace/bun"
)

// CorrelationPart is one key/value of an event correlation (Kogito's
// SimpleCorrelation): an incoming event whose attributes carry these values
// belongs to the correlated process instance.
type CorrelationPart struct {
	Key   string `json:"key"`   // the name of the event attribute
	Value string `json:"value"` // the value it must have
}

// EncodeCorrelation computes Kogito's encoded correlation id exactly as its
// MD5CorrelationEncoder does: each part rendered as "key|value", the
// renderings sorted as Java sorts strings (by UTF-16 code units) and joined
// with "|", and the lower-case hex MD5 of the UTF-8 bytes of that string.
// One part is a simple correlation; several are a composite one. The order
// of parts does not matter, and a part given twice counts once: Kogito's
// CompositeCorrelation holds its parts in a Set.
func EncodeCorrelation(parts ...CorrelationPart) string {
	sorted := sortCorrelationParts(parts)
	rendered := make([]string, len(sorted))
	for i, p := range sorted {
		rendered[i] = p.render()
	}
	sum := md5.Sum([]byte(strings.Join(rendered, "|")))
	return hex.EncodeToString(sum[:])
}

// render is a part as Kogito's encoder renders it: key, "|", value.
func (p CorrelationPart) render() string { return p.Key + "|" + p.Value }

// sortCorrelationParts returns a sorted copy of parts without duplicates,
// in the order Kogito's encoder puts their renderings in.
func sortCorrelationParts(parts []CorrelationPart) []CorrelationPart {
	sorted := slices.Clone(parts)
	slices.SortFunc(sorted, func(a, b CorrelationPart) int { return compareUTF16(a.render(), b.render()) })
	return slices.Compact(sorted) // equal parts are adjacent now
}

// compareUTF16 orders strings as Java's String.compareTo does, by UTF-16 code
// units, where Go's < compares UTF-8 bytes. The two orders differ only
// between a character in U+E000–U+FFFF and one above U+FFFF: in UTF-8 the
// latter sorts after (F0 > EE/EF), in UTF-16 before (its high surrogate
// D800–DBFF < E000). Strings that are equal as UTF-16 but differ in invalid
// UTF-8 bytes fall back to byte order, so the order stays total.
func compareUTF16(a, b string) int {
	x, y := a, b
	for x != "" && y != "" {
		rx, nx := utf8.DecodeRuneInString(x)
		ry, ny := utf8.DecodeRuneInString(y)
		if rx != ry {
			const supplementary = 0x10000
			switch {
			case rx < supplementary && ry >= supplementary:
				// rx is one unit (never a surrogate in a Go string), ry
				// starts with a high surrogate.
				return snapCmpBool(rx > 0xDBFF)
			case rx >= supplementary && ry < supplementary:
				return -snapCmpBool(ry > 0xDBFF)
			case rx < ry:
				// Both one unit, or both surrogate pairs, whose order is
				// the code points' order.
				return -1
			default:
				return 1
			}
		}
		x, y = x[nx:], y[ny:]
	}
	switch {
	case x == "" && y != "":
		return -1
	case x != "" && y == "":
		return 1
	}
	return strings.Compare(a, b)
}

// snapCmpBool maps "greater" to 1 and "less" to -1.
func snapCmpBool(greater bool) int {
	if greater {
		return 1
	}
	return -1
}

// Correlation is one row of correlation_instances: the encoded correlation,
// the instance it points to, and the correlation itself as JSON.
type Correlation struct {
	bun.BaseModel `bun:"table:correlation_instances"`

	// ID is a random UUID given by Create.
	ID string `bun:"id,pk"`
	// EncodedID is EncodeCorrelation of Parts (unique).
	EncodedID string `bun:"encoded_correlation_id,notnull"`
	// CorrelatedID is the process instance the correlation leads to.
	CorrelatedID string `bun:"correlated_id,notnull"`
	// Parts are the key/values in EncodeCorrelation's order (their
	// "key|value" renderings sorted by UTF-16 code units), each once.
	Parts []CorrelationPart `bun:"-"`
}

// correlationJSON is the shape Kogito's Jackson mapper writes for the
// CompositeCorrelation it stores: the parts' keys joined with "|", and the
// parts.
type correlationJSON struct {
	Key   string            `json:"key"`
	Value []CorrelationPart `json:"value"`
}

// CorrelationStore keeps Kogito's event correlations.
type CorrelationStore interface {
	// Create stores the correlation of parts to the instance correlatedID
	// and returns the row; a correlation with the same encoded id is
	// ErrDuplicate.
	Create(ctx context.Context, correlatedID string, parts ...CorrelationPart) (*Correlation, error)
	// FindByEncodedID loads a correlation by its encoded id (ErrNotFound).
	FindByEncodedID(ctx context.Context, encodedID string) (*Correlation, error)
	// FindByCorrelatedID loads the correlation of an instance (ErrNotFound).
	FindByCorrelatedID(ctx context.Context, correlatedID string) (*Correlation, error)
	// Delete removes a correlation by its encoded id (ErrNotFound).
	Delete(ctx context.Context, encodedID string) error
}

// Correlations is the CorrelationStore on a flowstore database.
type Correlations struct {
	h   Handle
	q   correlationSQL
	sd  snapshotDialect
	err error // set by NewCorrelations(nil), returned by every method
}

var _ CorrelationStore = (*Correlations)(nil)

type correlationSQL struct {
	insert, byEncoded, byCorrelated, delete string
}

// NewCorrelations returns the correlation store on db. Given a nil db it
// returns a store whose every method fails with the ErrInvalid that
// NewSnapshots reports for it, rather than panicking; the signature has no
// error to return because the store has no options that could fail.
func NewCorrelations(db *DB) *Correlations {
	if db == nil {
		return &Correlations{err: fmt.Errorf("flowstore: correlations: %w: nil *store.DB", ErrInvalid)}
	}
	r := db.Dialect().Rebind
	cols := `id, encoded_correlation_id, correlated_id, correlation`
	return &Correlations{h: db.Handle(), sd: snapshotDialects[db.Dialect()], q: correlationSQL{
		insert:       r(`INSERT INTO correlation_instances (` + cols + `) VALUES (?, ?, ?, ?)`),
		byEncoded:    r(`SELECT ` + cols + ` FROM correlation_instances WHERE encoded_correlation_id = ?`),
		byCorrelated: r(`SELECT ` + cols + ` FROM correlation_instances WHERE correlated_id = ?`),
		delete:       r(`DELETE FROM correlation_instances WHERE encoded_correlation_id = ?`),
	}}
}

// WithTx returns the same store bound to the session.
func (c *Correlations) WithTx(s *Session) *Correlations {
	cp := *c
	if c.err == nil {
		cp.h = s.Handle()
	}
	return &cp
}

// Create stores a correlation. The row's version column stays NULL, as
// Kogito leaves it. A part given twice is stored once, as Kogito's
// CompositeCorrelation (a Set) holds it.
func (c *Correlations) Create(ctx context.Context, correlatedID string, parts ...CorrelationPart) (*Correlation, error) {
	if c.err != nil {
		return nil, c.err
	}
	if correlatedID == "" {
		return nil, fmt.Errorf("%w: correlation without a correlated id", ErrInvalid)
	}
	if err := c.sd.checkLen("correlation_instances.correlated_id", correlatedID, 36); err != nil {
		return nil, err
	}
	if len(parts) == 0 {
		return nil, fmt.Errorf("%w: correlation without parts", ErrInvalid)
	}
	// The parts in the encoder's order (and without repeats), so the stored
	// JSON lists them as the encoded id hashes them.
	sorted := sortCorrelationParts(parts)
	keys := make([]string, len(sorted))
	for i, p := range sorted {
		keys[i] = p.Key
	}
	doc, err := json.Marshal(correlationJSON{Key: strings.Join(keys, "|"), Value: sorted})
	if err != nil {
		return nil, fmt.Errorf("%w: correlation: %v", ErrInvalid, err)
	}
	row := &Correlation{ID: uuid.NewString(), EncodedID: EncodeCorrelation(sorted...), CorrelatedID: correlatedID, Parts: sorted}
	insert := func(ctx context.Context, h Handle) error {
		if _, err := h.Raw().ExecContext(ctx, c.q.insert, row.ID, row.EncodedID, row.CorrelatedID, string(doc)); err != nil {
			return fmt.Errorf("flowstore: create correlation %s for %s: %w", row.EncodedID, correlatedID, h.Classify(err))
		}
		return nil
	}
	if c.h.Session() == nil {
		err = insert(ctx, c.h)
	} else {
		err = c.h.InTx(ctx, insert) // a savepoint: a duplicate leaves the session usable
	}
	if err != nil {
		return nil, err
	}
	return row, nil
}

// FindByEncodedID loads the correlation with this encoded id.
func (c *Correlations) FindByEncodedID(ctx context.Context, encodedID string) (*Correlation, error) {
	if c.err != nil {
		return nil, c.err
	}
	return c.find(ctx, c.q.byEncoded, encodedID, "encoded id")
}

// FindByCorrelatedID loads the correlation pointing to this instance.
func (c *Correlations) FindByCorrelatedID(ctx context.Context, correlatedID string) (*Correlation, error) {
	if c.err != nil {
		return nil, c.err
	}
	return c.find(ctx, c.q.byCorrelated, correlatedID, "correlated id")
}

func (c *Correlations) find(ctx context.Context, query, arg, what string) (*Correlation, error) {
	var (
		row Correlation
		doc string
	)
	err := c.h.Raw().QueryRowContext(ctx, query, arg).Scan(&row.ID, &row.EncodedID, &row.CorrelatedID, &doc)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("flowstore: correlation with %s %s: %w", what, arg, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("flowstore: find correlation by %s %s: %w", what, arg, c.h.Classify(err))
	}
	row.ID = snapTrimID(row.ID)
	parts, err := parseCorrelation(doc)
	if err != nil {
		return nil, fmt.Errorf("flowstore: correlation %s: %w", row.EncodedID, err)
	}
	row.Parts = parts
	return &row, nil
}

// parseCorrelation reads the JSON Kogito stores: a composite {"key", "value":
// [parts]} or, from older writers, a single {"key", "value": "…"}.
func parseCorrelation(doc string) ([]CorrelationPart, error) {
	var raw struct {
		Key   string          `json:"key"`
		Value json.RawMessage `json:"value"`
	}
	if err := json.Unmarshal([]byte(doc), &raw); err != nil {
		return nil, fmt.Errorf("%w: correlation JSON: %v", ErrInvalid, err)
	}
	var parts []CorrelationPart
	if err := json.Unmarshal(raw.Value, &parts); err == nil {
		return parts, nil
	}
	var value string
	if err := json.Unmarshal(raw.Value, &value); err != nil {
		return nil, fmt.Errorf("%w: correlation JSON value: %v", ErrInvalid, err)
	}
	return []CorrelationPart{{Key: raw.Key, Value: value}}, nil
}

// Delete removes the correlation with this encoded id; ErrNotFound if there
// is none (Kogito treats that as an error too).
func (c *Correlations) Delete(ctx context.Context, encodedID string) error {
	if c.err != nil {
		return c.err
	}
	res, err := c.h.Raw().ExecContext(ctx, c.q.delete, encodedID)
	if err != nil {
		return fmt.Errorf("flowstore: delete correlation %s: %w", encodedID, c.h.Classify(err))
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("flowstore: delete correlation %s: %w", encodedID, c.h.Classify(err))
	} else if n == 0 {
		return fmt.Errorf("flowstore: delete correlation %s: %w", encodedID, ErrNotFound)
	}
	return nil
}
