package store

import (
	"database/sql"
	"errors"
)

// classify maps a driver error of dialect d onto flowstore's sentinels (see
// Dialect.Classify). The driver-specific part — which SQLSTATE, error number
// or result code means what — is the dialect's Classify; this is the part
// every dialect shares.
func classify(d *Dialect, err error) error {
	if err == nil {
		return nil
	}
	var already *DBError
	if errors.As(err, &already) {
		return err
	}
	if errors.Is(err, sql.ErrNoRows) {
		return &DBError{Dialect: d.s.Name, Kind: ErrNotFound, Err: err}
	}
	if kind := d.s.Classify(err); kind != nil {
		return &DBError{Dialect: d.s.Name, Kind: kind, Err: err}
	}
	return err
}
