// Package subscription persists WFO's product catalogue and subscriptions:
// products, product blocks and their relations, resource types, fixed
// inputs, and subscriptions with their instance trees (instances, values,
// relations), customer descriptions, metadata and process links — the
// tables of orchestrator-core, names and all.
//
// The package follows flowstore's store pattern (see package store): Store
// is an interface holding every operation, New makes the bun-backed
// implementation without I/O, and WithTx binds it to a session:
//
//	st, err := subscription.New(db)
//	err = st.Save(ctx, tree)                   // the whole tree, one transaction
//	err = st.WithTx(session).Save(ctx, tree)   // inside a workflow step's transaction
//	for s, err := range st.AllSubscriptions(ctx, subscription.Filter{CustomerID: "acme"}) { … }
//
// A subscription is read and written as a whole Tree: Save and Load run in
// one transaction, or, on a store bound with WithTx to a workflow step's
// session, inside the step's transaction, so a step that changes a
// subscription commits the change with its step row or not at all.
//
// # Relations between subscriptions
//
// An instance may depend on another subscription's instance (a service on
// a port that another subscription sells). A tree owns the relations its
// instances use, whichever subscription the other end belongs to; Save
// replaces those and no others, and keeps instances by id, so saving the
// used subscription leaves the using one's relations alone. Removing an
// instance that another subscription still depends on is refused
// (store.ErrConflict); deleting the whole subscription removes those
// relations, as WFO's cascade does.
//
// # Deletes and cascades
//
// WFO deletes subscriptions hard and leans on foreign-key cascades. Two
// cascades cannot exist on SQL Server, which refuses two cascade paths into
// one table: product_block_relations.depends_on_id and
// subscription_instance_relations.depends_on_id. subscriptions_search and
// processes_subscriptions.subscription_id cascade nowhere. So this package
// deletes those rows in code, before their parents, on every dialect.
//
// # Search
//
// subscriptions_search holds one search document per subscription
// (description, customer id, status, customer descriptions, instance
// labels and values), rewritten by every Save. Where the dialect has
// full-text search (store.FeatureTextSearch: PostgreSQL) it is the
// reference tsvector, built with to_tsvector('simple', …) and matched with
// plainto_tsquery: whole words, every word must match. On SQLite, SQL
// Server and MySQL/MariaDB the column is text; it holds the document lower
// case and every word of the query must occur in it as a substring (LIKE,
// wildcards in the query escaped). A Filter also selects by customer id
// and status.
//
// A real WFO database has subscriptions_search as a materialized view
// (store.DB.IsMaterializedView; flowstore.WithAdopt keeps it). This package
// then leaves the view to WFO, which refreshes it itself: Save and Delete
// write nothing into it, and Search reads it as WFO builds it (hyphens in
// the document are underscores, so the query's words get the same
// replacement). A subscription saved through flowstore is therefore found
// by Search once WFO has refreshed the view, not at once.
//
// Search returns one page, Filter.Limit subscriptions (0: store.DefaultLimit)
// ordered by description and id; AllSubscriptions streams every match in
// that order, in keyset pages that continue after the last description and
// id seen, compared by the database itself, so the pages meet exactly
// whatever the collation. The catalogue lists (fixed inputs, product
// blocks, block relations) and a subscription's process links are short
// and return slices.
//
// # Input checks and errors
//
// Values are checked against their columns before anything is written and
// an over-long one is store.ErrTooLong: lengths count what the column
// counts (characters, or UTF-16 code units in SQL Server's NVARCHAR), and
// the key columns the reference leaves unbounded (products.name,
// customer_id, …) are held to the dialect's longest index key. Each method
// says "subscription: <operation> <subject>: " once, followed by the store
// sentinel and its detail, as in "subscription: get product 6f…: not
// found".
//
// This package adds no columns or tables to WFO's schema.
package subscription
