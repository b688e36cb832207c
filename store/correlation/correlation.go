package correlation

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/uptrace/bun"

	"github.com/flowstore/flowstore/store"
)

// Part is one key/value of an event correlation (Kogito's
// SimpleCorrelation): an incoming event whose attributes carry these values
// belongs to the correlated process instance.
type Part struct {
	Key   string `json:"key"`   // the name of the event attribute
	Value string `json:"value"` // the value it must have
}

// Correlation is one row of correlation_instances: the encoded correlation,
// the instance it points to, and the correlation itself as JSON.
type Correlation struct {
	bun.BaseModel `bun:"table:correlation_instances"`

	// ID is a random UUID given by Create.
	ID string `bun:"id,pk"`
	// EncodedID is Encode of Parts (unique).
	EncodedID string `bun:"encoded_correlation_id,notnull"`
	// CorrelatedID is the process instance the correlation leads to, at
	// most 36 of the dialect's text units.
	CorrelatedID string `bun:"correlated_id,notnull"`
	// Parts are the key/values in Encode's order (their "key|value"
	// renderings sorted by UTF-16 code units), each once.
	Parts []Part `bun:"-"`
}

// Store keeps Kogito's event correlations.
type Store interface {
	// Create stores the correlation of parts to the instance correlatedID
	// and returns the row; a correlation with the same encoded id is
	// store.ErrDuplicate. The row's version column stays NULL, as Kogito
	// leaves it.
	Create(ctx context.Context, correlatedID string, parts ...Part) (*Correlation, error)
	// FindByEncodedID loads a correlation by its encoded id
	// (store.ErrNotFound).
	FindByEncodedID(ctx context.Context, encodedID string) (*Correlation, error)
	// FindByCorrelatedID loads the correlation of an instance
	// (store.ErrNotFound).
	FindByCorrelatedID(ctx context.Context, correlatedID string) (*Correlation, error)
	// Delete removes a correlation by its encoded id; store.ErrNotFound if
	// there is none (Kogito treats that as an error too).
	Delete(ctx context.Context, encodedID string) error
	// WithTx returns the same store bound to s: its writes commit or roll
	// back with the session's other work.
	WithTx(s *store.Session) Store
}

// Encode computes Kogito's encoded correlation id exactly as its
// MD5CorrelationEncoder does: each part rendered as "key|value", the
// renderings sorted as Java sorts strings (by UTF-16 code units) and joined
// with "|", and the lower-case hex MD5 of the UTF-8 bytes of that string.
// One part is a simple correlation; several are a composite one. The order
// of parts does not matter, and a part given twice counts once: Kogito's
// CompositeCorrelation holds its parts in a Set.
func Encode(parts ...Part) string {
	sorted := sortParts(parts)
	rendered := make([]string, len(sorted))
	for i, p := range sorted {
		rendered[i] = p.render()
	}
	sum := md5.Sum([]byte(strings.Join(rendered, "|")))
	return hex.EncodeToString(sum[:])
}

// render is a part as Kogito's encoder renders it: key, "|", value.
func (p Part) render() string { return p.Key + "|" + p.Value }

// sortParts returns a sorted copy of parts without duplicates, in the order
// Kogito's encoder puts their renderings in.
func sortParts(parts []Part) []Part {
	sorted := slices.Clone(parts)
	slices.SortFunc(sorted, func(a, b Part) int { return compareUTF16(a.render(), b.render()) })
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
				return cmpBool(rx > 0xDBFF)
			case rx >= supplementary && ry < supplementary:
				return -cmpBool(ry > 0xDBFF)
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

// cmpBool maps "greater" to 1 and "less" to -1.
func cmpBool(greater bool) int {
	if greater {
		return 1
	}
	return -1
}
