package subscription_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/flowstore/flowstore/internal/testdb"
	"github.com/flowstore/flowstore/orchestrator/subscription"
	"github.com/flowstore/flowstore/store"
)

// wfoSearchView is subscriptions_search as a WFO database has it, an
// approximation written for this test: a materialized view with WFO's name
// and columns (subscription_id, tsv), its unique and GIN indexes, its
// refresh function (REFRESH MATERIALIZED VIEW CONCURRENTLY) and the
// deferred constraint triggers WFO puts on the tables the view reads
// (migration d69e10434a04 of orchestrator-core). The document differs from
// WFO's in detail — correlated subqueries instead of WFO's CTEs, no fixed
// inputs — but is built the same way: labelled fields, hyphens replaced
// with underscores, to_tsvector('simple', …). WFO's latest function skips
// refreshes within 120 s of the last one; this one refreshes every time,
// as WFO's did before that throttle.
var wfoSearchView = []string{
	`CREATE MATERIALIZED VIEW subscriptions_search AS
SELECT s.subscription_id,
       to_tsvector('simple', replace(concat_ws(' ',
           'subscription_id:' || s.subscription_id,
           'status:' || s.status,
           'insync:' || s.insync,
           'subscription_description:' || s.description,
           'note:' || coalesce(s.note, ''),
           'customer_id:' || s.customer_id,
           'product_name:' || p.name,
           (SELECT string_agg(rt.resource_type || ' ' || v.value, ' ')
              FROM subscription_instance_values v
              JOIN subscription_instances i ON i.subscription_instance_id = v.subscription_instance_id
              JOIN resource_types rt ON rt.resource_type_id = v.resource_type_id
             WHERE i.subscription_id = s.subscription_id),
           (SELECT string_agg('customer_description: ' || d.description, ' ')
              FROM subscription_customer_descriptions d WHERE d.subscription_id = s.subscription_id),
           (SELECT m.metadata::text FROM subscription_metadata m WHERE m.subscription_id = s.subscription_id)
       ), '-', '_')) AS tsv
  FROM subscriptions s JOIN products p ON p.product_id = s.product_id`,
	`CREATE UNIQUE INDEX subscriptions_search_subscription_id_idx ON subscriptions_search (subscription_id)`,
	`CREATE INDEX subscriptions_search_tsv_idx ON subscriptions_search USING GIN (tsv)`,
	`CREATE FUNCTION refresh_subscriptions_search_view() RETURNS TRIGGER LANGUAGE plpgsql AS $$
BEGIN
    REFRESH MATERIALIZED VIEW CONCURRENTLY subscriptions_search;
    RETURN NULL;
END $$`,
	`CREATE CONSTRAINT TRIGGER sub_refresh_search AFTER INSERT OR UPDATE OR DELETE ON subscriptions DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION refresh_subscriptions_search_view()`,
	`CREATE CONSTRAINT TRIGGER siv_refresh_search AFTER INSERT OR UPDATE OR DELETE ON subscription_instance_values DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION refresh_subscriptions_search_view()`,
	`CREATE CONSTRAINT TRIGGER sub_cust_desc_refresh_search AFTER INSERT OR UPDATE OR DELETE ON subscription_customer_descriptions DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION refresh_subscriptions_search_view()`,
	`CREATE CONSTRAINT TRIGGER products_refresh_search AFTER UPDATE ON products DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION refresh_subscriptions_search_view()`,
	`CREATE CONSTRAINT TRIGGER fi_refresh_search AFTER UPDATE ON fixed_inputs DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION refresh_subscriptions_search_view()`,
}

// wfoDatabase returns a PostgreSQL database set up as flowstore finds a
// WFO one: subscriptions_search a materialized view (a placeholder while
// Adopt creates the tables around it, as in WFO's database, then WFO's view
// over them), adopted by flowstore.
func wfoDatabase(t *testing.T) *store.DB {
	t.Helper()
	ctx := t.Context()
	db, err := store.Open(ctx, testdb.FreshDSN(t, store.Postgres))
	must(t, err)
	t.Cleanup(func() { _ = db.Close() })
	exec := func(q string) {
		t.Helper()
		if _, err := db.SQL().ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	exec(`CREATE MATERIALIZED VIEW subscriptions_search AS SELECT NULL::uuid AS subscription_id, NULL::tsvector AS tsv WITH NO DATA`)
	must(t, db.Adopt(ctx))
	exec(`DROP MATERIALIZED VIEW subscriptions_search`)
	for _, q := range wfoSearchView {
		exec(q)
	}
	exec(`REFRESH MATERIALIZED VIEW subscriptions_search`)
	mv, err := db.IsMaterializedView(ctx, "subscriptions_search")
	must(t, err)
	if !mv {
		t.Fatal("subscriptions_search is not a materialized view")
	}
	return db
}

// TestSearchViewOfWFO: in a WFO database subscriptions_search is a
// materialized view. Save, Delete and the search leave it to WFO — its
// triggers refresh it when the transaction that changed a subscription
// commits — and never write into it (which failed: "cannot change
// materialized view"). Search keeps working against the view, hyphenated
// words included, inside a caller's session too.
func TestSearchViewOfWFO(t *testing.T) {
	db := wfoDatabase(t)
	ctx := t.Context()
	st := newStore(t, db)
	c := newCatalogue(t, st)
	tr := c.tree("acme-corp", "Fiber Amsterdam", "vlan-100")
	must(t, st.Save(ctx, tr))
	id := tr.Subscription.SubscriptionID
	for _, q := range []string{"amsterdam", "acme-corp", "vlan-100", "fiber amsterdam", "T-1"} {
		got, err := st.Search(ctx, subscription.Filter{Text: q})
		must(t, err)
		if len(got) != 1 || got[0].SubscriptionID != id {
			t.Errorf("search %q found %v, want the saved subscription", q, got)
		}
	}
	if got, err := st.Search(ctx, subscription.Filter{Text: "rotterdam"}); err != nil || len(got) != 0 {
		t.Errorf("search rotterdam: %v, %v", got, err)
	}
	// A second save changes what the view holds, after its commit.
	tr.Subscription.Description = "Fiber Rotterdam"
	must(t, st.Save(ctx, tr))
	if got, err := st.Search(ctx, subscription.Filter{Text: "rotterdam"}); err != nil || len(got) != 1 {
		t.Errorf("search rotterdam after the change: %v, %v", got, err)
	}
	// Inside a session: the view is refreshed when the session commits.
	s, err := db.Begin(ctx)
	must(t, err)
	tr2 := c.tree("beta", "Fiber Utrecht", "200")
	must(t, st.WithTx(s).Save(ctx, tr2))
	must(t, s.Commit())
	if got, err := st.Search(ctx, subscription.Filter{Text: "utrecht"}); err != nil || len(got) != 1 {
		t.Errorf("search utrecht after a session's save: %v, %v", got, err)
	}
	all := 0
	for _, err := range st.AllSubscriptions(ctx, subscription.Filter{Text: "fiber", Limit: 1}) {
		must(t, err)
		all++
	}
	if all != 2 {
		t.Errorf("AllSubscriptions found %d, want 2", all)
	}
	must(t, st.Delete(ctx, id))
	if got, err := st.Search(ctx, subscription.Filter{Text: "rotterdam"}); err != nil || len(got) != 0 {
		t.Errorf("search after delete: %v, %v", got, err)
	}
	var rows int
	must(t, db.SQL().QueryRowContext(ctx, `SELECT COUNT(*) FROM subscriptions_search`).Scan(&rows))
	if rows != 1 {
		t.Errorf("the view holds %d rows, want 1 (WFO's refresh after the delete)", rows)
	}
}

// TestSearchViewWithoutRefresh: flowstore never refreshes the view itself.
// Where nothing refreshes it (no WFO triggers), a save is not found until
// WFO refreshes the view — and still does not fail.
func TestSearchViewWithoutRefresh(t *testing.T) {
	db := wfoDatabase(t)
	ctx := t.Context()
	for _, trg := range []string{"sub_refresh_search ON subscriptions", "siv_refresh_search ON subscription_instance_values",
		"sub_cust_desc_refresh_search ON subscription_customer_descriptions"} {
		if _, err := db.SQL().ExecContext(ctx, "DROP TRIGGER "+trg); err != nil {
			t.Fatal(err)
		}
	}
	st := newStore(t, db)
	c := newCatalogue(t, st)
	tr := c.tree("acme", "Fiber Delft", "100")
	must(t, st.Save(ctx, tr))
	if got, err := st.Search(ctx, subscription.Filter{Text: "delft"}); err != nil || len(got) != 0 {
		t.Errorf("search before WFO refreshed: %v, %v", got, err)
	}
	if _, err := db.SQL().ExecContext(ctx, `REFRESH MATERIALIZED VIEW CONCURRENTLY subscriptions_search`); err != nil {
		t.Fatal(err)
	}
	if got, err := st.Search(ctx, subscription.Filter{Text: "delft"}); err != nil || len(got) != 1 {
		t.Errorf("search after WFO refreshed: %v, %v", got, err)
	}
	must(t, st.Delete(ctx, tr.Subscription.SubscriptionID))
}

// exactJSON holds numbers a float64 would change, and a nested list.
const exactJSON = `{"asn": 9007199254740993, "price": 0.10, "ratio": 1e400, "big": 123456789012345678901234567890, "list": [1.5E-300, -0, 18446744073709551617]}`

// numbers returns the number tokens of a JSON document, in document order.
func numbers(t *testing.T, doc []byte) []string {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.UseNumber()
	var out []string
	for {
		tok, err := dec.Token()
		if err != nil {
			break
		}
		if n, ok := tok.(json.Number); ok {
			out = append(out, string(n))
		}
	}
	return out
}

// TestWFOMetadataAndValuesExact plays WFO's part: it writes a subscription
// at the SQL level, as WFO's ORM does, with metadata JSON and an instance
// value holding JSON numbers a float64 cannot keep. Load and a Save of what
// was loaded (what a workflow step does) keep them as the database holds
// them — byte for byte in text columns, as jsonb hands them back on
// PostgreSQL — and so do Save and Load of such a tree written by flowstore.
func TestWFOMetadataAndValuesExact(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		st := newStore(t, db)
		c := newCatalogue(t, st)
		sub, inst, val := uuid.New(), uuid.New(), uuid.New()
		exec := func(q string, args ...any) {
			t.Helper()
			if _, err := db.Bun().NewRaw(q, args...).Exec(ctx); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
		start := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
		exec(`INSERT INTO subscriptions (subscription_id, description, status, product_id, customer_id, insync, start_date) VALUES (?, 'Fiber', 'active', ?, 'wfo', ?, ?)`,
			sub, c.product.ProductID, true, start)
		exec(`INSERT INTO subscription_instances (subscription_instance_id, subscription_id, product_block_id) VALUES (?, ?, ?)`,
			inst, sub, c.port.ProductBlockID)
		exec(`INSERT INTO subscription_instance_values (subscription_instance_value_id, subscription_instance_id, resource_type_id, value) VALUES (?, ?, ?, ?)`,
			val, inst, c.vlan.ResourceTypeID, exactJSON)
		exec(`INSERT INTO subscription_metadata (subscription_id, metadata) VALUES (?, ?)`, sub, exactJSON)
		exec(`INSERT INTO subscriptions_search (subscription_id, tsv) VALUES (?, NULL)`, sub)

		loaded, err := st.Load(ctx, sub)
		must(t, err)
		held := numbers(t, loaded.Metadata) // as the database holds WFO's text
		if len(held) != 7 {
			t.Fatalf("metadata %s", loaded.Metadata)
		}
		if db.SQLDialect().Name() != store.Postgres && string(loaded.Metadata) != exactJSON {
			t.Fatalf("a text column changed the metadata: %s", loaded.Metadata)
		}
		if got := loaded.Instances[0].Values[0].Value; got != exactJSON {
			t.Fatalf("value %s, want %s", got, exactJSON)
		}
		// A step changes something else and saves the tree it loaded.
		loaded.Subscription.Insync = false
		must(t, st.Save(ctx, loaded))
		again, err := st.Load(ctx, sub)
		must(t, err)
		if got := numbers(t, again.Metadata); strings.Join(got, " ") != strings.Join(held, " ") {
			t.Errorf("metadata numbers after Load and Save: %v, want %v", got, held)
		}
		if got := again.Instances[0].Values[0].Value; got != exactJSON {
			t.Errorf("value after Load and Save: %s", got)
		}

		// flowstore's own tree, written and read back.
		tr := c.tree("own", "Fiber", "100")
		tr.Metadata = json.RawMessage(exactJSON)
		must(t, st.Save(ctx, tr))
		own, err := st.Load(ctx, tr.Subscription.SubscriptionID)
		must(t, err)
		if got := numbers(t, own.Metadata); strings.Join(got, " ") != strings.Join(held, " ") {
			t.Errorf("own metadata numbers: %v, want %v", got, held)
		}
	})
}

// TestNilContextRefused: every method of the Store refuses a nil context
// with store.ErrInvalid instead of panicking in database/sql.
func TestNilContextRefused(t *testing.T) {
	db := testdb.Fresh(t, store.SQLite)
	st := newStore(t, db)
	if n := testdb.RefusesNilContext(t, st); n != 21 {
		t.Errorf("%d methods called, want 21", n)
	}
	s, err := db.Begin(t.Context())
	must(t, err)
	defer func() { _ = s.Rollback() }()
	testdb.RefusesNilContext(t, st.WithTx(s))
}

// TestTextRuleRefusesBadText: every text the store writes — catalogue
// names and descriptions, a tree's texts and metadata — and every key a
// read looks up is refused with store.ErrInvalid when it holds NUL or is
// not UTF-8, before anything is written, on every dialect.
func TestTextRuleRefusesBadText(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		st := newStore(t, db)
		c := newCatalogue(t, st)
		before := counts(t, db)
		for kind, bad := range map[string]string{"nul": "a\x00b", "invalid utf-8": "a\xffb"} {
			tree := func(edit func(tr *subscription.Tree)) func() error {
				return func() error {
					tr := c.tree("cust", "desc", "100")
					edit(tr)
					return st.Save(ctx, tr)
				}
			}
			badp := &bad
			cases := map[string]func() error{
				"CreateProduct name": func() error {
					return st.CreateProduct(ctx, &subscription.Product{Name: bad, Status: subscription.ProductActive})
				},
				"CreateProduct description": func() error {
					return st.CreateProduct(ctx, &subscription.Product{Name: "p2", Description: bad, Status: subscription.ProductActive})
				},
				"CreateProductBlock description": func() error {
					return st.CreateProductBlock(ctx, &subscription.ProductBlock{Name: "b2", Description: bad})
				},
				"CreateResourceType description": func() error {
					return st.CreateResourceType(ctx, &subscription.ResourceType{ResourceType: "r2", Description: badp})
				},
				"AddFixedInput value": func() error {
					return st.AddFixedInput(ctx, &subscription.FixedInput{Name: "f2", Value: bad, ProductID: c.product.ProductID})
				},
				"ProductByName lookup": func() error { _, err := st.ProductByName(ctx, bad); return err },
				"Save description":     tree(func(tr *subscription.Tree) { tr.Subscription.Description = bad }),
				"Save customer":        tree(func(tr *subscription.Tree) { tr.Subscription.CustomerID = bad }),
				"Save note":            tree(func(tr *subscription.Tree) { tr.Subscription.Note = badp }),
				"Save label":           tree(func(tr *subscription.Tree) { tr.Instances[0].Label = badp }),
				"Save value":           tree(func(tr *subscription.Tree) { tr.Instances[1].Values[0].Value = bad }),
				"Save domain attr":     tree(func(tr *subscription.Tree) { tr.Relations[0].DomainModelAttr = badp }),
				"Save customer description": tree(func(tr *subscription.Tree) {
					tr.Descriptions[0].Description = bad
				}),
				"Save metadata": tree(func(tr *subscription.Tree) {
					tr.Metadata = json.RawMessage(`{"k": "` + bad + `"}`) // raw: NUL, or a byte that is not UTF-8
				}),
				"Search text":     func() error { _, err := st.Search(ctx, subscription.Filter{Text: bad}); return err },
				"Search customer": func() error { _, err := st.Search(ctx, subscription.Filter{CustomerID: bad}); return err },
				"AllSubscriptions customer": func() error {
					for _, err := range st.AllSubscriptions(ctx, subscription.Filter{CustomerID: bad}) {
						return err
					}
					return nil
				},
				"LinkProcess target": func() error { return st.LinkProcess(ctx, uuid.New(), uuid.New(), bad) },
			}
			for name, call := range cases {
				if err := call(); !errors.Is(err, store.ErrInvalid) {
					t.Errorf("%s with %s: %v, want store.ErrInvalid", name, kind, err)
				}
			}
		}
		// JSON escapes the database cannot keep, and metadata that is not JSON.
		for what, md := range map[string]string{"NUL escape": `{"k": "a\u0000b"}`, "lone surrogate": `{"k": "\ud800"}`, "not JSON": `{"k": `} {
			tr := c.tree("cust", "desc", "100")
			tr.Metadata = json.RawMessage(md)
			if err := st.Save(ctx, tr); !errors.Is(err, store.ErrInvalid) {
				t.Errorf("metadata with %s: %v, want store.ErrInvalid", what, err)
			}
		}
		if after := counts(t, db); after != before {
			t.Errorf("refused calls changed rows: %v, then %v", before, after)
		}
	})
}

// counts counts the rows of the tables the store writes.
func counts(t *testing.T, db *store.DB) [6]int {
	t.Helper()
	var out [6]int
	for i, table := range []string{"products", "product_blocks", "resource_types", "fixed_inputs", "subscriptions", "subscription_instance_values"} {
		n, err := db.Bun().NewSelect().TableExpr(table).Count(context.Background())
		must(t, err)
		out[i] = int(n)
	}
	return out
}
