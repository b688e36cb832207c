package store

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"regexp"
)

// Codec transforms snapshot payloads on their way into and out of the
// database: compression, or encryption with a key ring. It is off by default;
// Snapshots use one only when configured with WithCodec.
//
// The codec's Name is stored with every row it writes (column
// process_instances.payload_codec), and rows written without a codec keep
// NULL there. Reads pick the codec by that name, so a table may hold rows
// of several codecs and plain rows side by side, and a codec can be
// introduced or replaced without rewriting old rows: keep the old one
// registered for reading (WithReadCodecs) until its rows are gone.
//
// A key ring from package crypto satisfies Codec when it offers these three
// methods (Encode encrypts with the current key and records the key id in
// its output, Decode finds the key by that id); the name then stays the
// same across key rotations.
//
// Implementations must be safe for concurrent use and must not keep or
// modify the slices they are given.
type Codec interface {
	// Name identifies the format, at most 64 characters of [A-Za-z0-9._:-].
	Name() string
	// Encode turns a payload into what is stored.
	Encode(payload []byte) ([]byte, error)
	// Decode turns what is stored back into the payload.
	Decode(stored []byte) ([]byte, error)
}

var snapCodecName = regexp.MustCompile(`^[A-Za-z0-9._:-]{1,64}$`)

func snapCheckCodec(c Codec) error {
	if c == nil {
		return fmt.Errorf("%w: nil codec", ErrInvalid)
	}
	if !snapCodecName.MatchString(c.Name()) {
		return fmt.Errorf("%w: codec name %q must be 1-64 characters of [A-Za-z0-9._:-]", ErrInvalid, c.Name())
	}
	return nil
}

// Gzip is a Codec that compresses payloads with gzip at the given level
// (gzip.DefaultCompression when 0). Its name is "gzip" whatever the level,
// since any level decodes the same way; every Snapshots store can read gzip
// rows without configuration.
type Gzip struct{ Level int }

// Name returns "gzip".
func (Gzip) Name() string { return "gzip" }

// Encode compresses payload.
func (g Gzip) Encode(payload []byte) ([]byte, error) {
	level := g.Level
	if level == 0 {
		level = gzip.DefaultCompression
	}
	var buf bytes.Buffer
	buf.Grow(len(payload)/2 + 64)
	w, err := gzip.NewWriterLevel(&buf, level)
	if err != nil {
		return nil, fmt.Errorf("%w: gzip: %v", ErrInvalid, err)
	}
	if _, err := w.Write(payload); err != nil {
		return nil, err
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// Decode decompresses stored.
func (Gzip) Decode(stored []byte) ([]byte, error) {
	r, err := gzip.NewReader(bytes.NewReader(stored))
	if err != nil {
		return nil, fmt.Errorf("%w: gzip: %v", ErrInvalid, err)
	}
	out, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("%w: gzip: %v", ErrInvalid, err)
	}
	return out, nil
}
