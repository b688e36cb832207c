package main

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/google/uuid"

	"github.com/flowstore/flowstore"
	"github.com/flowstore/flowstore/orchestrator/subscription"
)

func init() {
	register(&command{
		name:  "subscriptions",
		usage: "list | show | products: WFO subscriptions and products",
		help:  subscriptionsUsage,
		run:   runSubscriptions,
	})
}

const subscriptionsUsage = `flowctl subscriptions list [--status S] [--customer C] [--text WORDS] [--limit N] [--json]   --limit 0: all
flowctl subscriptions show SUBSCRIPTION [--json]   the subscription's tree: product blocks, values, relations
flowctl subscriptions products [--json]
SUBSCRIPTION is a subscription id or a unique prefix of it. Times are UTC, as WFO stores them.`

func runSubscriptions(ctx context.Context, e *env, args []string) error {
	if len(args) == 0 {
		return usageError("missing subcommand")
	}
	sub, args := args[0], args[1:]
	fs := e.flags("subscriptions " + sub)
	asJSON := jsonFlag(fs)
	var f subscription.Filter
	var limit int
	var status string
	switch sub {
	case "list":
		fs.StringVar(&status, "status", "", "only this lifecycle: initial, active, migrating, disabled, terminated, provisioning")
		fs.StringVar(&f.CustomerID, "customer", "", "only this customer id")
		fs.StringVar(&f.Text, "text", "", "words that must all match (description, customer, values)")
		fs.IntVar(&limit, "limit", 50, "at most this many (0: all)")
	case "show", "products":
	default:
		return usageError("unknown subcommand %q", sub)
	}
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	want := map[string]int{"list": 0, "show": 1, "products": 0}[sub]
	if len(pos) != want {
		if want == 0 {
			return usageError("%s takes no arguments", sub)
		}
		return usageError("show needs one SUBSCRIPTION: its id or a unique id prefix")
	}
	if status != "" {
		f.Status = subscription.Lifecycle(strings.ToLower(status))
		if !f.Status.Valid() {
			return usageError("unknown lifecycle %q (want initial, active, migrating, disabled, terminated or provisioning)", status)
		}
	}
	if limit < 0 {
		return usageError("--limit must not be negative")
	}
	db, err := e.open(ctx)
	if err != nil {
		return err
	}
	switch sub {
	case "list":
		f.Limit = limit
		return subscriptionsList(ctx, e, db, f, limit, *asJSON)
	case "products":
		return subscriptionProducts(ctx, e, db, *asJSON)
	}
	id, err := resolve("subscription", pos[0], false, func(yield func(candidate, error) bool) {
		for s, err := range db.Subscriptions.AllSubscriptions(ctx, subscription.Filter{Limit: 1000}) {
			if !yield(candidate{id: s.SubscriptionID, label: s.Description}, err) || err != nil {
				return
			}
		}
	})
	if err != nil {
		return err
	}
	t, err := db.Subscriptions.Load(ctx, id)
	if err != nil {
		return err
	}
	if *asJSON {
		return e.writeJSON(t)
	}
	return printTree(ctx, e.stdout, db, t)
}

type subscriptionJSON struct {
	ID          string     `json:"subscription_id"`
	Description string     `json:"description"`
	Status      string     `json:"status"`
	ProductID   string     `json:"product_id"`
	CustomerID  string     `json:"customer_id"`
	Insync      bool       `json:"insync"`
	StartDate   *time.Time `json:"start_date"`
	EndDate     *time.Time `json:"end_date"`
}

func subscriptionsList(ctx context.Context, e *env, db *flowstore.DB, f subscription.Filter, limit int, asJSON bool) error {
	out := []subscriptionJSON{}
	for s, err := range upTo(db.Subscriptions.AllSubscriptions(ctx, f), limit) {
		if err != nil {
			return err
		}
		out = append(out, subscriptionJSON{ID: s.SubscriptionID.String(), Description: s.Description, Status: string(s.Status),
			ProductID: s.ProductID.String(), CustomerID: s.CustomerID, Insync: s.Insync, StartDate: utcPtr(s.StartDate), EndDate: utcPtr(s.EndDate)})
	}
	if asJSON {
		return e.writeJSON(map[string]any{"subscriptions": out})
	}
	w := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "ID\tSTATUS\tCUSTOMER\tINSYNC\tSTART\tDESCRIPTION")
	for _, s := range out {
		fmt.Fprintf(w, "%s\t%s\t%s\t%t\t%s\t%s\n", s.ID, s.Status, s.CustomerID, s.Insync, utcTime(deTime(s.StartDate)), oneLine(s.Description))
	}
	if err := w.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "%d subscription(s)\n", len(out))
	return nil
}

// subscriptionProducts lists the products table. The subscription store
// has no list of products (WFO's product catalogue is read by name or id),
// so this reads the rows with the store's own model.
func subscriptionProducts(ctx context.Context, e *env, db *flowstore.DB, asJSON bool) error {
	var ps []subscription.Product
	if err := db.Store().Bun().NewSelect().Model(&ps).Order("name").Scan(ctx); err != nil {
		return fmt.Errorf("subscription: list products: %w", db.SQLDialect().Classify(err))
	}
	type productJSON struct {
		ID          string     `json:"product_id"`
		Name        string     `json:"name"`
		Description string     `json:"description"`
		ProductType string     `json:"product_type"`
		Tag         string     `json:"tag"`
		Status      string     `json:"status"`
		CreatedAt   *time.Time `json:"created_at"`
		EndDate     *time.Time `json:"end_date"`
	}
	out := make([]productJSON, 0, len(ps))
	for _, p := range ps {
		out = append(out, productJSON{ID: p.ProductID.String(), Name: p.Name, Description: p.Description, ProductType: p.ProductType,
			Tag: p.Tag, Status: string(p.Status), CreatedAt: utcJSON(p.CreatedAt), EndDate: utcPtr(p.EndDate)})
	}
	if asJSON {
		return e.writeJSON(map[string]any{"products": out})
	}
	w := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "ID\tNAME\tTYPE\tTAG\tSTATUS\tCREATED")
	for _, p := range out {
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\n", p.ID, p.Name, p.ProductType, p.Tag, p.Status, utcTime(deTime(p.CreatedAt)))
	}
	if err := w.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "%d product(s)\n", len(out))
	return nil
}

// printTree prints a subscription and its instances as a tree: each
// instance under the instance that uses it (its relations), with its
// values; instances no other instance of the tree uses are the roots.
func printTree(ctx context.Context, w io.Writer, db *flowstore.DB, t *subscription.Tree) error {
	s := t.Subscription
	product := s.ProductID.String()
	if p, err := db.Subscriptions.Product(ctx, s.ProductID); err == nil {
		product = fmt.Sprintf("%s (%s)", p.Name, p.ProductID)
	}
	blocks := map[uuid.UUID]string{}
	if bs, err := db.Subscriptions.ProductBlocks(ctx, s.ProductID); err == nil {
		for _, b := range bs {
			blocks[b.ProductBlockID] = b.Name
		}
	}
	var rts []subscription.ResourceType
	if err := db.Store().Bun().NewSelect().Model(&rts).Scan(ctx); err != nil {
		return fmt.Errorf("subscription: list resource types: %w", db.SQLDialect().Classify(err))
	}
	rtNames := map[uuid.UUID]string{}
	for _, r := range rts {
		rtNames[r.ResourceTypeID] = r.ResourceType
	}
	fmt.Fprintf(w, "subscription %s\ndescription  %s\nproduct      %s\nstatus       %s\ncustomer     %s\ninsync       %t\nstart        %s\nend          %s\n",
		s.SubscriptionID, s.Description, product, s.Status, s.CustomerID, s.Insync, utcTime(deTime(s.StartDate)), utcTime(deTime(s.EndDate)))
	if s.Note != nil {
		fmt.Fprintf(w, "note         %s\n", *s.Note)
	}
	instances := map[uuid.UUID]subscription.Instance{}
	for _, in := range t.Instances {
		instances[in.InstanceID] = in
	}
	children := map[uuid.UUID][]subscription.Relation{}
	used := map[uuid.UUID]bool{}
	for _, r := range t.Relations {
		children[r.InUseByID] = append(children[r.InUseByID], r)
		if _, ok := instances[r.DependsOnID]; ok {
			used[r.DependsOnID] = true
		}
	}
	for id := range children {
		slices.SortFunc(children[id], func(a, b subscription.Relation) int { return a.OrderID - b.OrderID })
	}
	printed := map[uuid.UUID]bool{}
	var walk func(in subscription.Instance, depth int, attr string)
	walk = func(in subscription.Instance, depth int, attr string) {
		pad := strings.Repeat("  ", depth)
		name := blocks[in.ProductBlockID]
		if name == "" {
			name = "block " + in.ProductBlockID.String()
		}
		if attr != "" {
			name = attr + ": " + name
		}
		label := ""
		if in.Label != nil {
			label = " [" + *in.Label + "]"
		}
		fmt.Fprintf(w, "%s%s%s %s\n", pad, name, label, in.InstanceID)
		if printed[in.InstanceID] {
			fmt.Fprintf(w, "%s  (shown above)\n", pad)
			return
		}
		printed[in.InstanceID] = true
		for _, v := range in.Values {
			rt := rtNames[v.ResourceTypeID]
			if rt == "" {
				rt = v.ResourceTypeID.String()
			}
			fmt.Fprintf(w, "%s  %s = %s\n", pad, rt, v.Value)
		}
		for _, r := range children[in.InstanceID] {
			attr := ""
			if r.DomainModelAttr != nil {
				attr = *r.DomainModelAttr
			}
			child, ok := instances[r.DependsOnID]
			if !ok {
				if attr != "" {
					attr += ": "
				}
				fmt.Fprintf(w, "%s  %sinstance %s of another subscription\n", pad, attr, r.DependsOnID)
				continue
			}
			walk(child, depth+1, attr)
		}
	}
	fmt.Fprintln(w, "\ninstances:")
	for _, in := range t.Instances {
		if !used[in.InstanceID] {
			walk(in, 1, "")
		}
	}
	// Instances in a cycle of relations have no root: show them too.
	for _, in := range t.Instances {
		if !printed[in.InstanceID] {
			walk(in, 1, "")
		}
	}
	return nil
}

func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	return utcJSON(*t)
}

func deTime(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return *t
}
