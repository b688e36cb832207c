// Package textrule applies flowstore's one text rule (store.ValidText,
// store.Dialect.CheckText) to what the orchestrator packages write as a
// whole — every text field of a model, a JSON document — and reads JSON
// with its numbers kept exactly as written.
//
// The rule: text the database cannot store exactly — NUL, invalid UTF-8 —
// is refused with store.ErrInvalid before anything is written. In JSON it
// means two more things. A NUL is written \u0000 in JSON text, which
// PostgreSQL's jsonb refuses, so it is refused on every dialect alike; and
// encoding/json silently replaces invalid UTF-8 in a Go string with U+FFFD
// (written \ufffd), so a value marshalled here that had any is refused
// instead of being stored altered.
package textrule

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"unicode/utf8"

	"github.com/flowstore/flowstore/store"
)

// Struct applies store.ValidText to every string and *string field of the
// struct v points at (or is), naming each by its bun column, and "of"
// what it belongs to when of is not empty ("label of instance 2"). Length limits
// are the caller's to check (store.Dialect.CheckText): Struct is for the
// columns the schema leaves unbounded, and catches the rest of a model's
// text in one call.
func Struct(of string, v any) error {
	rv := reflect.ValueOf(v)
	for rv.Kind() == reflect.Pointer {
		if rv.IsNil() {
			return nil
		}
		rv = rv.Elem()
	}
	if rv.Kind() != reflect.Struct {
		return nil
	}
	rt := rv.Type()
	for i := range rt.NumField() {
		f := rt.Field(i)
		if !f.IsExported() || f.Anonymous {
			continue
		}
		fv := rv.Field(i)
		if fv.Kind() == reflect.Pointer && fv.Type().Elem().Kind() == reflect.String {
			if fv.IsNil() {
				continue
			}
			fv = fv.Elem()
		}
		if fv.Kind() != reflect.String {
			continue
		}
		name := column(f)
		if of != "" {
			name += " of " + of
		}
		if err := store.ValidText(name, fv.String()); err != nil {
			return err
		}
	}
	return nil
}

// column is the bun column of a field, or its Go name without one.
func column(f reflect.StructField) string {
	tag := f.Tag.Get("bun")
	if name, _, _ := strings.Cut(tag, ","); name != "" && name != "-" {
		return name
	}
	return f.Name
}

// Marshal encodes v as JSON and refuses (store.ErrInvalid), naming what,
// a value that is not JSON or whose text the database cannot store exactly:
// a string holding NUL or invalid UTF-8 (which encoding/json would have
// replaced with U+FFFD without a word).
func Marshal(what string, v any) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("%w: %s is not JSON: %v", store.ErrInvalid, what, err)
	}
	if err := check(what, b, true); err != nil {
		return nil, err
	}
	return b, nil
}

// CheckJSON refuses (store.ErrInvalid), naming what, a JSON document given
// as text that is not valid JSON, not valid UTF-8, or holds text the
// database cannot store exactly: a NUL (\u0000, which jsonb refuses) or
// half of a surrogate pair (which decodes to U+FFFD).
func CheckJSON(what string, b []byte) error {
	if !json.Valid(b) {
		return fmt.Errorf("%w: %s is not valid JSON", store.ErrInvalid, what)
	}
	return check(what, b, false)
}

// check scans JSON text for what the database would not keep exactly.
// marshalled says the text came from encoding/json, whose \ufffd escape
// marks an invalid byte it replaced.
func check(what string, b []byte, marshalled bool) error {
	if !utf8.Valid(b) {
		return fmt.Errorf("%w: %s is not valid UTF-8", store.ErrInvalid, what)
	}
	for i := 0; i < len(b); i++ {
		if b[i] != '\\' {
			continue
		}
		i++ // the escaped character
		if i >= len(b) || b[i] != 'u' || i+4 >= len(b) {
			continue
		}
		r := hex4(b[i+1 : i+5])
		switch {
		case r == 0:
			return fmt.Errorf("%w: %s holds a NUL character (\\u0000), which the database cannot store", store.ErrInvalid, what)
		case marshalled && r == utf8.RuneError && string(b[i+1:i+5]) == "fffd":
			return fmt.Errorf("%w: %s holds text that is not valid UTF-8", store.ErrInvalid, what)
		case r >= 0xD800 && r < 0xDC00:
			// A high surrogate must be followed by an escaped low one.
			j := i + 5
			if j+5 < len(b) && b[j] == '\\' && b[j+1] == 'u' {
				if lo := hex4(b[j+2 : j+6]); lo >= 0xDC00 && lo < 0xE000 {
					i = j + 5
					continue
				}
			}
			return fmt.Errorf("%w: %s holds half of a UTF-16 surrogate pair", store.ErrInvalid, what)
		case r >= 0xDC00 && r < 0xE000:
			return fmt.Errorf("%w: %s holds half of a UTF-16 surrogate pair", store.ErrInvalid, what)
		}
		i += 4
	}
	return nil
}

// hex4 decodes four hex digits (-1 if they are not).
func hex4(b []byte) rune {
	var r rune
	for _, c := range b {
		switch {
		case '0' <= c && c <= '9':
			r = r<<4 | rune(c-'0')
		case 'a' <= c && c <= 'f':
			r = r<<4 | rune(c-'a'+10)
		case 'A' <= c && c <= 'F':
			r = r<<4 | rune(c-'A'+10)
		default:
			return -1
		}
	}
	return r
}

// Unmarshal decodes one JSON value into v keeping every number as written:
// numbers land in json.Number (text), never in float64, so that a document
// read and written back carries the same digits — 9007199254740993 stays
// 9007199254740993, 0.10 stays 0.10, 1e400 stays 1e400.
func Unmarshal(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return fmt.Errorf("unexpected data after the JSON value")
	}
	return nil
}
