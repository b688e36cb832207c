package subscription_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/flowstore/flowstore/internal/testdb"
	"github.com/flowstore/flowstore/orchestrator/subscription"
	"github.com/flowstore/flowstore/store"
)

// TestSearchPages: Search returns one page (store.DefaultLimit rows for a
// zero limit); AllSubscriptions yields every match once, in Search's order,
// whatever the page size — also when equal descriptions straddle a page
// boundary.
func TestSearchPages(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		st := newStore(t, db)
		c := newCatalogue(t, st)
		const many = store.DefaultLimit + 5
		var rows []subscription.Subscription
		for i := range many {
			rows = append(rows, subscription.Subscription{SubscriptionID: uuid.New(), Description: fmt.Sprintf("Line %d", i%7),
				Status: subscription.Active, ProductID: c.product.ProductID, CustomerID: "bulk"})
		}
		if _, err := db.Bun().NewInsert().Model(&rows).Exec(ctx); err != nil {
			t.Fatal(err)
		}
		for i := range 5 {
			must(t, st.Save(ctx, c.tree("cust-u", fmt.Sprintf("Utrecht %d", i%2), "7")))
		}
		all := func(f subscription.Filter) []uuid.UUID {
			t.Helper()
			var ids []uuid.UUID
			seen := map[uuid.UUID]bool{}
			for s, err := range st.AllSubscriptions(ctx, f) {
				must(t, err)
				if seen[s.SubscriptionID] {
					t.Fatalf("subscription %s yielded twice", s.SubscriptionID)
				}
				seen[s.SubscriptionID] = true
				ids = append(ids, s.SubscriptionID)
			}
			return ids
		}
		f := subscription.Filter{CustomerID: "bulk"}
		ids := all(f)
		if len(ids) != many {
			t.Fatalf("AllSubscriptions yielded %d subscriptions, want %d", len(ids), many)
		}
		page, err := st.Search(ctx, f)
		must(t, err)
		if len(page) != store.DefaultLimit {
			t.Fatalf("Search with a zero limit returned %d, want %d", len(page), store.DefaultLimit)
		}
		for i, s := range page {
			if s.SubscriptionID != ids[i] {
				t.Fatalf("Search and AllSubscriptions disagree at %d", i)
			}
		}
		for _, n := range []int{3, 7, 35} { // 7 divides 105: the last page is full
			f.Limit = n
			if got := all(f); fmt.Sprint(got) != fmt.Sprint(ids) {
				t.Fatalf("pages of %d: a different sequence", n)
			}
		}
		if got := all(subscription.Filter{Text: "utrecht", Limit: 2}); len(got) != 5 {
			t.Errorf("text search over pages: %d, want 5", len(got))
		}

		_, err = st.Search(ctx, subscription.Filter{Limit: -1})
		if !errors.Is(err, store.ErrInvalid) {
			t.Errorf("negative limit: %v", err)
		}
		requireErrorPrefix(t, err, "search subscriptions: invalid input: negative limit")
		var errs []error
		for _, err := range st.AllSubscriptions(ctx, subscription.Filter{Status: "bogus"}) {
			errs = append(errs, err)
		}
		if len(errs) != 1 || !errors.Is(errs[0], store.ErrInvalid) {
			t.Fatalf("bad status: %v", errs)
		}
		requireErrorPrefix(t, errs[0], "search subscriptions: ")
		cancelled, cancel := context.WithCancel(ctx)
		cancel()
		errs = nil
		for _, err := range st.AllSubscriptions(cancelled, subscription.Filter{}) {
			errs = append(errs, err)
		}
		if len(errs) != 1 || !errors.Is(errs[0], context.Canceled) {
			t.Fatalf("cancelled: %v", errs)
		}
	})
}

// TestInputChecks: over-long values are refused before anything is
// written, counted as the column counts (characters, not bytes), and
// errors carry the package's prefix once.
func TestInputChecks(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		st := newStore(t, db)
		err := st.CreateProduct(ctx, &subscription.Product{Name: "Long", ProductType: "x", Tag: strings.Repeat("t", 21), Status: subscription.ProductActive})
		if !errors.Is(err, store.ErrTooLong) {
			t.Fatalf("21-character tag: %v", err)
		}
		requireErrorPrefix(t, err, `create product "Long": value too long: tag is 21 `)
		must(t, st.CreateProduct(ctx, &subscription.Product{Name: "Wide", ProductType: "x", Tag: strings.Repeat("é", 20), Status: subscription.ProductActive}))
		err = st.CreateResourceType(ctx, &subscription.ResourceType{ResourceType: strings.Repeat("r", 511)})
		if !errors.Is(err, store.ErrTooLong) {
			t.Fatalf("511-character resource type: %v", err)
		}
		requireErrorPrefix(t, err, "create resource type ")
		n, err := db.Bun().NewSelect().Model((*subscription.Product)(nil)).Count(ctx)
		must(t, err)
		if n != 1 {
			t.Errorf("%d products, want only the one that fits", n)
		}

		missing := uuid.New()
		_, err = st.Product(ctx, missing)
		if !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("unknown product: %v", err)
		}
		requireErrorPrefix(t, err, "get product "+missing.String()+": not found")
		_, err = st.Load(ctx, missing)
		requireErrorPrefix(t, err, "load subscription "+missing.String()+": not found")
		requireErrorPrefix(t, st.Delete(ctx, missing), "delete subscription "+missing.String()+": not found")
		err = st.Save(ctx, &subscription.Tree{Subscription: subscription.Subscription{Status: "bogus"}})
		requireErrorPrefix(t, err, "save subscription: invalid input: ")

		_, err = subscription.New(nil)
		if !errors.Is(err, store.ErrInvalid) {
			t.Errorf("New(nil): %v", err)
		}
	})
}
