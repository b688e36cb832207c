package store

import (
	"context"
	"fmt"
	"iter"
)

// DefaultLimit is the page size of a list whose Limit is 0, in every
// package. A list that may be long has an iterator as well, which streams
// every row in pages.
const DefaultLimit = 100

// PageLimit returns the page size a filter's Limit asks for: DefaultLimit
// for 0, the limit itself when positive; a negative limit is ErrInvalid.
func PageLimit(limit int) (int, error) {
	switch {
	case limit < 0:
		return 0, fmt.Errorf("%w: negative limit %d", ErrInvalid, limit)
	case limit == 0:
		return DefaultLimit, nil
	}
	return limit, nil
}

// Stream yields rows page by page (keyset paging): page returns up to n
// rows that come after the row after (nil for the first page), in the
// iteration's order, and Stream stops after a page shorter than n. Memory
// stays at one page however many rows there are. An error is yielded once,
// as the last value. Stopping the loop early stops the paging.
func Stream[T any](ctx context.Context, n int, page func(ctx context.Context, after *T, n int) ([]T, error)) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		var after *T
		for {
			if err := ctx.Err(); err != nil {
				var zero T
				yield(zero, err)
				return
			}
			rows, err := page(ctx, after, n)
			if err != nil {
				var zero T
				yield(zero, err)
				return
			}
			for i := range rows {
				if !yield(rows[i], nil) {
					return
				}
			}
			if len(rows) < n {
				return
			}
			last := rows[len(rows)-1]
			after = &last
		}
	}
}
