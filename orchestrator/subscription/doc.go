// Package subscription persists WFO's product catalogue and subscriptions:
// products, product blocks and their relations, resource types, fixed
// inputs, and subscriptions with their instance trees (instances, values,
// relations), customer descriptions, metadata and process links — the
// tables of orchestrator-core, names and all.
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
// labels and values), rewritten by every Save. On PostgreSQL it is the
// reference tsvector, built with to_tsvector('simple', …) and matched with
// plainto_tsquery: whole words, every word must match. On SQLite, SQL
// Server and MySQL/MariaDB the column is text; it holds the document lower
// case and every word of the query must occur in it as a substring (LIKE,
// wildcards in the query escaped). Search also filters by customer id and
// status.
//
// This package adds no columns or tables to WFO's schema.
package subscription
