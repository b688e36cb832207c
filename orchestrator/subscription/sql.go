package subscription

import (
	"context"
	"strings"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/flowstore/flowstore/store"
)

// This file holds the package's SQL beyond the models' plain reads and
// writes: the search forms, the search query with its keyset pages, and the
// queries by which Save looks across subscriptions.

// searcher is how a dialect keeps and queries subscriptions_search, chosen
// once when a store is made. With full-text search (PostgreSQL) the column
// has the reference type, tsvector, matched in the 'simple' configuration:
// whole words, no stemming. Elsewhere the column is text holding the same
// document lower-cased, and each word of a query must occur in it.
type searcher interface {
	// write stores the search document of a subscription (its row must not
	// exist: Save deletes it first).
	write(ctx context.Context, db bun.IDB, id uuid.UUID, doc string) error
	// match restricts q (subscriptions aliased s) to rows matching every word.
	match(q *bun.SelectQuery, words []string) *bun.SelectQuery
}

func newSearcher(d *store.Dialect) searcher {
	if d.Has(store.FeatureTextSearch) {
		return textSearch{}
	}
	return likeSearch{}
}

type textSearch struct{}

func (textSearch) write(ctx context.Context, db bun.IDB, id uuid.UUID, doc string) error {
	_, err := db.NewRaw("INSERT INTO subscriptions_search (subscription_id, tsv) VALUES (?, to_tsvector('simple', ?))", id, doc).Exec(ctx)
	return err
}

func (textSearch) match(q *bun.SelectQuery, words []string) *bun.SelectQuery {
	return q.Where("EXISTS (SELECT 1 FROM subscriptions_search AS ss WHERE ss.subscription_id = s.subscription_id AND ss.tsv @@ plainto_tsquery('simple', ?))", strings.Join(words, " "))
}

type likeSearch struct{}

func (likeSearch) write(ctx context.Context, db bun.IDB, id uuid.UUID, doc string) error {
	_, err := db.NewRaw("INSERT INTO subscriptions_search (subscription_id, tsv) VALUES (?, ?)", id, strings.ToLower(doc)).Exec(ctx)
	return err
}

// likeEscaper escapes LIKE's wildcards with '!' (named in ESCAPE); '[' is
// a wildcard on SQL Server.
var likeEscaper = strings.NewReplacer("!", "!!", "%", "!%", "_", "!_", "[", "![")

func (likeSearch) match(q *bun.SelectQuery, words []string) *bun.SelectQuery {
	for _, w := range words {
		q = q.Where("EXISTS (SELECT 1 FROM subscriptions_search AS ss WHERE ss.subscription_id = s.subscription_id AND ss.tsv LIKE ? ESCAPE '!')",
			"%"+likeEscaper.Replace(strings.ToLower(w))+"%")
	}
	return q
}

// document is the text a subscription is found by.
func document(t *Tree) string {
	parts := []string{t.Subscription.Description, t.Subscription.CustomerID, string(t.Subscription.Status)}
	for _, d := range t.Descriptions {
		parts = append(parts, d.Description)
	}
	for _, in := range t.Instances {
		if in.Label != nil {
			parts = append(parts, *in.Label)
		}
		for _, v := range in.Values {
			parts = append(parts, v.Value)
		}
	}
	return strings.Join(parts, " ")
}

// searchQuery selects up to n subscriptions f matches in search order
// (description, then id), after the subscription after (nil: from the
// first). The order is the database's own, collation included, and so is
// the comparison that continues after a page's last row: keyset pages meet
// without a gap or an overlap. view says subscriptions_search is WFO's
// materialized view, whose document has every '-' replaced with '_' (so
// that to_tsvector splits hyphenated words as to_tsquery does): the query's
// words get the same replacement, as WFO's own search does.
func (b *bunStore) searchQuery(f Filter, after *Subscription, n int, view bool) *bun.SelectQuery {
	q := b.h.IDB().NewSelect().ColumnExpr("s.*").TableExpr("subscriptions AS s")
	if f.CustomerID != "" {
		q = q.Where("s.customer_id = ?", f.CustomerID)
	}
	if f.Status != "" {
		q = q.Where("s.status = ?", f.Status)
	}
	text := f.Text
	if view {
		text = strings.ReplaceAll(text, "-", "_")
	}
	if words := strings.Fields(text); len(words) > 0 {
		q = b.search.match(q, words)
	}
	if after != nil {
		// Spelt out: SQL Server has no row-value comparison.
		q = q.Where("(s.description > ? OR (s.description = ? AND s.subscription_id > ?))",
			after.Description, after.Description, after.SubscriptionID)
	}
	return q.OrderExpr("s.description, s.subscription_id").Limit(int64(n))
}

// elsewhereQuery selects the given instances that belong to subscriptions
// other than id.
func elsewhereQuery(db bun.IDB, id uuid.UUID, ids []uuid.UUID) *bun.SelectQuery {
	return db.NewSelect().Model((*Instance)(nil)).Where("subscription_instance_id IN (?)", bun.In(ids)).
		Where("subscription_id <> ?", id)
}

// instanceUsersQuery selects the relations that depend on the given
// instances, with the subscription of the instance using each.
func instanceUsersQuery(db bun.IDB, ids []uuid.UUID) *bun.SelectQuery {
	return db.NewSelect().TableExpr("subscription_instance_relations AS r").
		Join("JOIN subscription_instances AS i ON i.subscription_instance_id = r.in_use_by_id").
		ColumnExpr("r.depends_on_id, i.subscription_id").
		Where("r.depends_on_id IN (?)", bun.In(ids))
}
