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
	// Parts are the key/values, one per key, in key order (as Java orders
	// strings, by UTF-16 code units): the order of Kogito's
	// CompositeCorrelation, which its JSON lists them in.
	Parts []Part `bun:"-"`
}

// Store keeps Kogito's event correlations.
//
// Every text it is given — the correlated id, the parts' keys and values,
// an encoded id to look up — follows the store's one text rule
// (store.Dialect.CheckText) on writes and lookups alike: a NUL character or
// invalid UTF-8 is store.ErrInvalid, an id longer than its varchar(36)
// column store.ErrTooLong, and nothing is written or looked up. An empty id
// is store.ErrInvalid too: no row can have one.
type Store interface {
	// Create stores the correlation of parts to the instance correlatedID
	// and returns the row; a correlation with the same encoded id is
	// store.ErrDuplicate. A part given twice counts once, as in Kogito's
	// CompositeCorrelation; a key given twice with different values is
	// store.ErrInvalid, since Kogito would keep only one of them. The row's
	// version column stays NULL, as Kogito leaves it.
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
// MD5CorrelationEncoder does for the CompositeCorrelation that parts make:
// each part rendered as "key|value", the renderings sorted as Java sorts
// strings (by UTF-16 code units) and joined with "|", and the lower-case hex
// MD5 of the UTF-8 bytes of that string. One part is a simple correlation.
// The order of the parts does not matter.
//
// Kogito's CompositeCorrelation holds its parts in a set ordered by key
// (a TreeSet whose parts compare by key alone), so it keeps one part per
// key: Encode keeps the first part given for a key, as that set keeps the
// first it is given, and drops the others — a part given twice counts once.
// Create refuses a key given twice with different values instead.
//
// Kogito hashes the string's bytes in the JVM's default charset, UTF-8 on
// Java 18 and later and wherever file.encoding is UTF-8 (Kogito's container
// images); on a JVM with another default, ids of non-ASCII values differ
// between Kogito and any other writer.
func Encode(parts ...Part) string {
	set := partSet(parts)
	rendered := make([]string, len(set))
	for i, p := range set {
		rendered[i] = p.render()
	}
	slices.SortFunc(rendered, compareUTF16)
	sum := md5.Sum([]byte(strings.Join(rendered, "|")))
	return hex.EncodeToString(sum[:])
}

// render is a part as Kogito's encoder renders it: key, "|", value.
func (p Part) render() string { return p.Key + "|" + p.Value }

// partSet returns parts as Kogito's CompositeCorrelation holds them: one part
// per key, the first given for it, in key order (Java's String order, by
// UTF-16 code units). That is the order Kogito writes them in the row's JSON
// and joins their keys in for the JSON's "key".
func partSet(parts []Part) []Part {
	set := make([]Part, 0, len(parts))
	seen := make(map[string]bool, len(parts))
	for _, p := range parts {
		if !seen[p.Key] {
			seen[p.Key] = true
			set = append(set, p)
		}
	}
	slices.SortFunc(set, func(a, b Part) int { return compareUTF16(a.Key, b.Key) })
	return set
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
