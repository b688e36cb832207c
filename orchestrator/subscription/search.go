package subscription

import (
	"context"
	"strings"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/flowstore/flowstore/store"
)

// searcher is how one dialect keeps and queries subscriptions_search, chosen
// once from the dialect. PostgreSQL has the reference column type, tsvector,
// and real full-text search ('simple' configuration: whole words, no
// stemming). The other dialects store the same document lower-cased as text
// and match each word as a substring.
type searcher interface {
	// write stores the search document of a subscription (its row must not
	// exist: Save deletes it first).
	write(ctx context.Context, db bun.IDB, id uuid.UUID, doc string) error
	// match restricts q (subscriptions aliased s) to rows matching every word.
	match(q *bun.SelectQuery, words []string) *bun.SelectQuery
}

func newSearcher(d store.Dialect) searcher {
	if d == store.Postgres {
		return pgSearch{}
	}
	return likeSearch{}
}

type pgSearch struct{}

func (pgSearch) write(ctx context.Context, db bun.IDB, id uuid.UUID, doc string) error {
	_, err := db.NewRaw("INSERT INTO subscriptions_search (subscription_id, tsv) VALUES (?, to_tsvector('simple', ?))", id, doc).Exec(ctx)
	return err
}

func (pgSearch) match(q *bun.SelectQuery, words []string) *bun.SelectQuery {
	return q.Where("EXISTS (SELECT 1 FROM subscriptions_search AS ss WHERE ss.subscription_id = s.subscription_id AND ss.tsv @@ plainto_tsquery('simple', ?))", strings.Join(words, " "))
}

type likeSearch struct{}

func (likeSearch) write(ctx context.Context, db bun.IDB, id uuid.UUID, doc string) error {
	_, err := db.NewRaw("INSERT INTO subscriptions_search (subscription_id, tsv) VALUES (?, ?)", id, strings.ToLower(doc)).Exec(ctx)
	return err
}

// likeEscaper escapes LIKE's wildcards with '!' (named in ESCAPE).
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
