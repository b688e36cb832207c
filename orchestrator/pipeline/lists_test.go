package pipeline_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/flowstore/flowstore/internal/testdb"
	"github.com/flowstore/flowstore/orchestrator/pipeline"
	"github.com/flowstore/flowstore/store"
)

// TestRunLists: ListRuns returns one page (store.DefaultLimit rows for a
// zero limit) and AllRuns every run the filter selects, newest first,
// across pages, whatever the page size.
func TestRunLists(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		ps := newStore(t, db)
		const many = store.DefaultLimit + 5
		var rows []pipeline.WorkflowLog
		for i := range many + 8 {
			r := pipeline.WorkflowLog{Namespace: "acme", Repository: "shop", Name: "many", Version: "v1",
				FromWorkflow: 1, Sequence: int64(i + 1), RunState: pipeline.RunSuccess, AuthList: "[]"}
			switch {
			case i >= many+4:
				r.Name = "other" // another workflow's runs
			case i >= many:
				r.Version = "v2"
			}
			rows = append(rows, r)
		}
		_, err := db.Bun().NewInsert().Model(&rows).Exec(ctx)
		require.NoError(t, err)
		f := pipeline.RunFilter{Namespace: "acme", Repository: "shop", Workflow: "many"}
		all := func(f pipeline.RunFilter) []int64 {
			t.Helper()
			var ids []int64
			for r, err := range ps.AllRuns(ctx, f) {
				require.NoError(t, err)
				require.Equal(t, "many", r.Name)
				ids = append(ids, r.ID)
			}
			return ids
		}
		requireNewestFirst := func(ids []int64) {
			t.Helper()
			for i := 1; i < len(ids); i++ {
				require.Less(t, ids[i], ids[i-1], "newest first, each run once")
			}
		}

		page, err := ps.ListRuns(ctx, f)
		require.NoError(t, err)
		require.Len(t, page, store.DefaultLimit, "a zero limit is the default page")
		ids := all(f)
		require.Len(t, ids, many+4, "AllRuns reads past the default page")
		requireNewestFirst(ids)
		require.Equal(t, ids[0], page[0].ID)
		require.Equal(t, ids[store.DefaultLimit-1], page[len(page)-1].ID)

		f.Limit = 7
		page, err = ps.ListRuns(ctx, f)
		require.NoError(t, err)
		require.Len(t, page, 7)
		require.Equal(t, ids, all(f), "the page size does not change what AllRuns yields")
		f.Limit = 4 // the last page is full: AllRuns stops after an empty one
		require.Equal(t, ids, all(f))

		f.Version = "v2"
		require.Len(t, all(f), 4)
		f.Version = ""

		n := 0
		for _, err := range ps.AllRuns(ctx, f) {
			require.NoError(t, err)
			if n++; n == 10 {
				break
			}
		}
		require.Equal(t, 10, n, "the loop may stop early")

		f.Limit = -1
		_, err = ps.ListRuns(ctx, f)
		require.ErrorIs(t, err, store.ErrInvalid)
		requireErrorPrefix(t, err, "list runs of acme/shop/many: invalid input: negative limit")
		var errs []error
		for _, err := range ps.AllRuns(ctx, f) {
			errs = append(errs, err)
		}
		require.Len(t, errs, 1)
		require.ErrorIs(t, errs[0], store.ErrInvalid)
		requireErrorPrefix(t, errs[0], "list runs of acme/shop/many: ")

		// A cancelled context ends the iteration with its error.
		cancelled, cancel := context.WithCancel(ctx)
		cancel()
		errs = nil
		for _, err := range ps.AllRuns(cancelled, pipeline.RunFilter{Namespace: "acme", Repository: "shop", Workflow: "many"}) {
			errs = append(errs, err)
		}
		require.Len(t, errs, 1)
		require.ErrorIs(t, errs[0], context.Canceled)
	})
}

// TestNewNilDatabase: the constructors refuse a nil database.
func TestNewNilDatabase(t *testing.T) {
	_, err := pipeline.New(nil)
	require.ErrorIs(t, err, store.ErrInvalid)
	requireErrorPrefix(t, err, "new store: ")
	_, err = pipeline.NewTimerRunner(nil)
	require.ErrorIs(t, err, store.ErrInvalid)
	requireErrorPrefix(t, err, "new timer runner: ")
}
