package subscription

import (
	"context"
	"database/sql"
	"fmt"
	"iter"
	"strconv"
	"sync"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/flowstore/flowstore/orchestrator/internal/textrule"
	"github.com/flowstore/flowstore/store"
)

// Column lengths the checks below enforce before writing, in the dialect's
// text units (UTF-16 code units on SQL Server, whose columns are NVARCHAR).
// The reference schema leaves some key columns unbounded (products.name,
// customer_id, …); those are checked against the dialect's longest index
// key (Dialect.CheckKeyText).
const (
	maxTag          = 20  // products.tag, product_blocks.tag
	maxShort        = 255 // product_type, status columns, label, workflow_target
	maxResourceType = 510 // resource_types.resource_type
)

// bunStore is the Store on bun, for every dialect.
type bunStore struct {
	h      store.Handle
	d      *store.Dialect
	search searcher
	view   *searchView // shared by the store and its WithTx copies
}

// searchView remembers whether subscriptions_search is WFO's materialized
// view rather than a table, once a method needed to know.
type searchView struct {
	mu    sync.Mutex
	known bool
	mat   bool
}

// searchIsView reports whether subscriptions_search is a materialized view
// (see the package documentation, "Search"). It asks the database once per
// store (store.DB.IsMaterializedView; no query where the dialect has no
// materialized views).
func (b *bunStore) searchIsView(ctx context.Context) (bool, error) {
	v := b.view
	v.mu.Lock()
	defer v.mu.Unlock()
	if !v.known {
		mat, err := b.h.DB().IsMaterializedView(ctx, "subscriptions_search")
		if err != nil {
			return false, err
		}
		v.known, v.mat = true, mat
	}
	return v.mat, nil
}

var _ Store = (*bunStore)(nil)

// New returns the subscription store of db. It picks the dialect's search
// form and does no I/O.
func New(db *store.DB) (Store, error) {
	if db == nil {
		return nil, fail("new store", fmt.Errorf("%w: nil database", store.ErrInvalid))
	}
	return newStore(db), nil
}

func newStore(db *store.DB) *bunStore {
	return &bunStore{h: db.Handle(), d: db.SQLDialect(), search: newSearcher(db.SQLDialect()), view: &searchView{}}
}

// WithTx implements Store.
func (b *bunStore) WithTx(s *store.Session) Store {
	return &bunStore{h: s.Handle(), d: b.d, search: b.search, view: b.view}
}

func (b *bunStore) idb() bun.IDB { return b.h.IDB() }

// fail prefixes the error of a public method with the package and the
// operation, once; the unexported helpers return errors without a prefix.
func fail(op string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("subscription: %s: %w", op, err)
}

func (b *bunStore) insert(ctx context.Context, model any) error {
	_, err := b.idb().NewInsert().Model(model).Exec(ctx)
	return b.h.Classify(err)
}

// checkArgs refuses a nil context and a nil model before a method looks
// at either.
func checkArgs[T any](ctx context.Context, v *T, what string) error {
	if err := store.CheckContext(ctx); err != nil {
		return err
	}
	if v == nil {
		return fmt.Errorf("%w: nil %s", store.ErrInvalid, what)
	}
	return nil
}

// checkLookup refuses a nil context, and a key a read looks up that the
// write of the same key would refuse, so that it never reaches the SQL.
func (b *bunStore) checkLookup(ctx context.Context, what, key string) error {
	if err := store.CheckContext(ctx); err != nil {
		return err
	}
	return b.d.CheckKeyText(what, key)
}

// checkTreeText applies the text rule to every text a tree writes: the
// subscription's, its instances', values', relations' and descriptions',
// and the metadata JSON.
func checkTreeText(t *Tree) error {
	if err := textrule.Struct("", &t.Subscription); err != nil {
		return err
	}
	for i := range t.Instances {
		if err := textrule.Struct(fmt.Sprintf("instance %d", i), &t.Instances[i]); err != nil {
			return err
		}
		for j := range t.Instances[i].Values {
			if err := textrule.Struct(fmt.Sprintf("value %d of instance %d", j, i), &t.Instances[i].Values[j]); err != nil {
				return err
			}
		}
	}
	for i := range t.Relations {
		if err := textrule.Struct(fmt.Sprintf("relation %d", i), &t.Relations[i]); err != nil {
			return err
		}
	}
	for i := range t.Descriptions {
		if err := textrule.Struct(fmt.Sprintf("description %d", i), &t.Descriptions[i]); err != nil {
			return err
		}
	}
	if t.Metadata != nil {
		return textrule.CheckJSON("metadata", t.Metadata)
	}
	return nil
}

// checkTag checks an optional short tag.
func (b *bunStore) checkTag(tag *string) error {
	if tag == nil {
		return nil
	}
	return b.d.CheckText("tag", *tag, maxTag)
}

// CreateProduct implements Store.
func (b *bunStore) CreateProduct(ctx context.Context, p *Product) error {
	if err := checkArgs(ctx, p, "product"); err != nil {
		return fail("create product", err)
	}
	return fail("create product "+quote(p.Name), b.createProduct(ctx, p))
}

func (b *bunStore) createProduct(ctx context.Context, p *Product) error {
	if err := textrule.Struct("", p); err != nil {
		return err
	}
	if p.Name == "" || !p.Status.Valid() {
		return fmt.Errorf("%w: product needs a name and a valid status (got %q)", store.ErrInvalid, p.Status)
	}
	if err := b.d.CheckKeyText("name", p.Name); err != nil {
		return err
	}
	if err := b.d.CheckText("tag", p.Tag, maxTag); err != nil {
		return err
	}
	if err := b.d.CheckText("product_type", p.ProductType, maxShort); err != nil {
		return err
	}
	if p.ProductID == uuid.Nil {
		p.ProductID = uuid.New()
	}
	if p.CreatedAt.IsZero() {
		p.CreatedAt = b.h.Now()
	}
	return b.insert(ctx, p)
}

// Product implements Store.
func (b *bunStore) Product(ctx context.Context, id uuid.UUID) (*Product, error) {
	if err := store.CheckContext(ctx); err != nil {
		return nil, fail("get product "+id.String(), err)
	}
	var p Product
	if err := b.idb().NewSelect().Model(&p).Where("product_id = ?", id).Scan(ctx); err != nil {
		return nil, fail("get product "+id.String(), b.h.Classify(err))
	}
	return &p, nil
}

// ProductByName implements Store.
func (b *bunStore) ProductByName(ctx context.Context, name string) (*Product, error) {
	if err := b.checkLookup(ctx, "name", name); err != nil {
		return nil, fail("get product "+quote(name), err)
	}
	var p Product
	if err := b.idb().NewSelect().Model(&p).Where("name = ?", name).Scan(ctx); err != nil {
		return nil, fail("get product "+quote(name), b.h.Classify(err))
	}
	return &p, nil
}

// DeleteProduct implements Store.
func (b *bunStore) DeleteProduct(ctx context.Context, id uuid.UUID) error {
	if err := store.CheckContext(ctx); err != nil {
		return fail("delete product "+id.String(), err)
	}
	res, err := b.idb().NewDelete().Model((*Product)(nil)).Where("product_id = ?", id).Exec(ctx)
	return fail("delete product "+id.String(), affected(b.h, res, err))
}

// affected turns a DELETE's result into an error: the statement's own, or
// ErrNotFound when it matched no row.
func affected(h store.Handle, res sql.Result, err error) error {
	if err != nil {
		return h.Classify(err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return h.Classify(err)
	}
	if n == 0 {
		return store.ErrNotFound
	}
	return nil
}

// CreateProductBlock implements Store.
func (b *bunStore) CreateProductBlock(ctx context.Context, pb *ProductBlock) error {
	if err := checkArgs(ctx, pb, "product block"); err != nil {
		return fail("create product block", err)
	}
	return fail("create product block "+quote(pb.Name), b.createProductBlock(ctx, pb))
}

func (b *bunStore) createProductBlock(ctx context.Context, pb *ProductBlock) error {
	if err := textrule.Struct("", pb); err != nil {
		return err
	}
	if pb.Name == "" {
		return fmt.Errorf("%w: product block needs a name", store.ErrInvalid)
	}
	if pb.Status != nil && !pb.Status.Valid() {
		return fmt.Errorf("%w: product block status %q", store.ErrInvalid, *pb.Status)
	}
	if err := b.d.CheckKeyText("name", pb.Name); err != nil {
		return err
	}
	if err := b.checkTag(pb.Tag); err != nil {
		return err
	}
	if pb.ProductBlockID == uuid.Nil {
		pb.ProductBlockID = uuid.New()
	}
	if pb.CreatedAt.IsZero() {
		pb.CreatedAt = b.h.Now()
	}
	return b.insert(ctx, pb)
}

// DeleteProductBlock implements Store. Relations that depend on the block
// are deleted in code first: on SQL Server that foreign key cannot cascade
// (two cascade paths into one table).
func (b *bunStore) DeleteProductBlock(ctx context.Context, id uuid.UUID) error {
	if err := store.CheckContext(ctx); err != nil {
		return fail("delete product block "+id.String(), err)
	}
	err := b.h.InTx(ctx, func(ctx context.Context, h store.Handle) error {
		if _, err := h.IDB().NewDelete().Model((*ProductBlockRelation)(nil)).Where("depends_on_id = ? OR in_use_by_id = ?", id, id).Exec(ctx); err != nil {
			return h.Classify(err)
		}
		res, err := h.IDB().NewDelete().Model((*ProductBlock)(nil)).Where("product_block_id = ?", id).Exec(ctx)
		return affected(h, res, err)
	})
	return fail("delete product block "+id.String(), err)
}

// CreateResourceType implements Store.
func (b *bunStore) CreateResourceType(ctx context.Context, r *ResourceType) error {
	if err := checkArgs(ctx, r, "resource type"); err != nil {
		return fail("create resource type", err)
	}
	return fail("create resource type "+quote(r.ResourceType), b.createResourceType(ctx, r))
}

func (b *bunStore) createResourceType(ctx context.Context, r *ResourceType) error {
	if err := textrule.Struct("", r); err != nil {
		return err
	}
	if r.ResourceType == "" {
		return fmt.Errorf("%w: a resource type needs a name", store.ErrInvalid)
	}
	if err := b.d.CheckText("resource_type", r.ResourceType, maxResourceType); err != nil {
		return err
	}
	if r.ResourceTypeID == uuid.Nil {
		r.ResourceTypeID = uuid.New()
	}
	return b.insert(ctx, r)
}

// AddFixedInput implements Store.
func (b *bunStore) AddFixedInput(ctx context.Context, f *FixedInput) error {
	if err := checkArgs(ctx, f, "fixed input"); err != nil {
		return fail("add fixed input", err)
	}
	return fail(fmt.Sprintf("add fixed input %s to product %s", quote(f.Name), f.ProductID), b.addFixedInput(ctx, f))
}

func (b *bunStore) addFixedInput(ctx context.Context, f *FixedInput) error {
	if err := textrule.Struct("", f); err != nil {
		return err
	}
	if f.Name == "" {
		return fmt.Errorf("%w: fixed input needs a name", store.ErrInvalid)
	}
	if err := b.d.CheckKeyText("name", f.Name); err != nil {
		return err
	}
	if f.FixedInputID == uuid.Nil {
		f.FixedInputID = uuid.New()
	}
	if f.CreatedAt.IsZero() {
		f.CreatedAt = b.h.Now()
	}
	return b.insert(ctx, f)
}

// FixedInputs implements Store.
func (b *bunStore) FixedInputs(ctx context.Context, productID uuid.UUID) ([]FixedInput, error) {
	if err := store.CheckContext(ctx); err != nil {
		return nil, fail("list fixed inputs of product "+productID.String(), err)
	}
	var fs []FixedInput
	err := b.idb().NewSelect().Model(&fs).Where("product_id = ?", productID).Order("name").Scan(ctx)
	return fs, fail("list fixed inputs of product "+productID.String(), b.h.Classify(err))
}

// LinkBlock implements Store.
func (b *bunStore) LinkBlock(ctx context.Context, productID, blockID uuid.UUID) error {
	op := fmt.Sprintf("link product block %s to product %s", blockID, productID)
	if err := store.CheckContext(ctx); err != nil {
		return fail(op, err)
	}
	return fail(op, b.insert(ctx, &ProductProductBlock{ProductID: productID, ProductBlockID: blockID}))
}

// LinkResourceType implements Store.
func (b *bunStore) LinkResourceType(ctx context.Context, blockID, resourceTypeID uuid.UUID) error {
	op := fmt.Sprintf("link resource type %s to product block %s", resourceTypeID, blockID)
	if err := store.CheckContext(ctx); err != nil {
		return fail(op, err)
	}
	return fail(op, b.insert(ctx, &ProductBlockResourceType{ProductBlockID: blockID, ResourceTypeID: resourceTypeID}))
}

// RelateBlocks implements Store.
func (b *bunStore) RelateBlocks(ctx context.Context, r ProductBlockRelation) error {
	op := fmt.Sprintf("relate product block %s to %s", r.InUseByID, r.DependsOnID)
	if err := store.CheckContext(ctx); err != nil {
		return fail(op, err)
	}
	if r.Min != nil && r.Max != nil && *r.Min > *r.Max {
		return fail(op, fmt.Errorf("%w: relation min %d > max %d", store.ErrInvalid, *r.Min, *r.Max))
	}
	return fail(op, b.insert(ctx, &r))
}

// ProductBlocks implements Store.
func (b *bunStore) ProductBlocks(ctx context.Context, productID uuid.UUID) ([]ProductBlock, error) {
	if err := store.CheckContext(ctx); err != nil {
		return nil, fail("list product blocks of product "+productID.String(), err)
	}
	var bs []ProductBlock
	err := b.idb().NewSelect().Model(&bs).
		Where("product_block_id IN (SELECT product_block_id FROM product_product_blocks WHERE product_id = ?)", productID).
		Order("name").Scan(ctx)
	return bs, fail("list product blocks of product "+productID.String(), b.h.Classify(err))
}

// BlockRelations implements Store.
func (b *bunStore) BlockRelations(ctx context.Context, blockID uuid.UUID) ([]ProductBlockRelation, error) {
	if err := store.CheckContext(ctx); err != nil {
		return nil, fail("list relations of product block "+blockID.String(), err)
	}
	var rs []ProductBlockRelation
	err := b.idb().NewSelect().Model(&rs).Where("in_use_by_id = ?", blockID).Order("depends_on_id").Scan(ctx)
	return rs, fail("list relations of product block "+blockID.String(), b.h.Classify(err))
}

// chunk is the most rows one multi-row INSERT carries, where the dialect
// sets no lower cap on a VALUES list (Dialect.MaxValuesRows: bun inlines
// the values, so the parameter limit does not apply).
const chunk = 500

func insertAll[T any](ctx context.Context, h store.Handle, rows []T) error {
	chunk := chunk
	if m := h.SQLDialect().MaxValuesRows(); m > 0 && m < chunk {
		chunk = m
	}
	for i := 0; i < len(rows); i += chunk {
		part := rows[i:min(i+chunk, len(rows))]
		if _, err := h.IDB().NewInsert().Model(&part).Exec(ctx); err != nil {
			return h.Classify(err)
		}
	}
	return nil
}

// Save implements Store.
//
// Instances are written in place, by id, not deleted and inserted again:
// other subscriptions' relations may depend on them (WFO lets a block use
// another subscription's block), and deleting a used instance would take
// their relations with it, by cascade or, on SQL Server, by the code that
// stands in for it. For the same reason only the relations this tree owns —
// those its instances are in use by — are replaced.
func (b *bunStore) Save(ctx context.Context, t *Tree) error {
	if err := checkArgs(ctx, t, "tree"); err != nil {
		return fail("save subscription", err)
	}
	err := b.save(ctx, t)
	op := "save subscription"
	if id := t.Subscription.SubscriptionID; id != uuid.Nil {
		op += " " + id.String()
	}
	return fail(op, err)
}

func (b *bunStore) save(ctx context.Context, t *Tree) error {
	sub := &t.Subscription
	if err := checkTreeText(t); err != nil {
		return err
	}
	if !sub.Status.Valid() {
		return fmt.Errorf("%w: subscription status %q", store.ErrInvalid, sub.Status)
	}
	if sub.ProductID == uuid.Nil || sub.CustomerID == "" {
		return fmt.Errorf("%w: subscription needs a product and a customer", store.ErrInvalid)
	}
	if err := b.d.CheckKeyText("customer_id", sub.CustomerID); err != nil {
		return err
	}
	if sub.SubscriptionID == uuid.Nil {
		sub.SubscriptionID = uuid.New()
	}
	id := sub.SubscriptionID
	known := map[uuid.UUID]bool{}
	for i := range t.Instances {
		in := &t.Instances[i]
		if in.InstanceID == uuid.Nil {
			in.InstanceID = uuid.New()
		}
		if in.ProductBlockID == uuid.Nil {
			return fmt.Errorf("%w: instance %d has no product block", store.ErrInvalid, i)
		}
		if in.Label != nil {
			if err := b.d.CheckText(fmt.Sprintf("the label of instance %d", i), *in.Label, maxShort); err != nil {
				return err
			}
		}
		if known[in.InstanceID] {
			return fmt.Errorf("%w: instance %s appears twice in the tree", store.ErrInvalid, in.InstanceID)
		}
		in.SubscriptionID = id
		known[in.InstanceID] = true
		for j := range in.Values {
			v := &in.Values[j]
			if v.ValueID == uuid.Nil {
				v.ValueID = uuid.New()
			}
			v.InstanceID = in.InstanceID
		}
	}
	// A relation belongs to the tree of the instance that uses it; what it
	// depends on may be another subscription's instance.
	outside := map[uuid.UUID]bool{}
	for _, r := range t.Relations {
		if !known[r.InUseByID] {
			return fmt.Errorf("%w: relation %s -> %s: its in_use_by instance is not in the tree (a tree holds the relations its own instances use)", store.ErrInvalid, r.InUseByID, r.DependsOnID)
		}
		if !known[r.DependsOnID] {
			outside[r.DependsOnID] = true
		}
	}
	now := b.h.Now()
	for i := range t.Descriptions {
		d := &t.Descriptions[i]
		if err := b.d.CheckKeyText(fmt.Sprintf("the customer_id of description %d", i), d.CustomerID); err != nil {
			return err
		}
		if d.ID == uuid.Nil {
			d.ID = uuid.New()
		}
		if d.CreatedAt.IsZero() {
			d.CreatedAt = now
		}
		d.SubscriptionID = id
	}
	view, err := b.searchIsView(ctx)
	if err != nil {
		return err
	}
	return b.h.InTx(ctx, func(ctx context.Context, h store.Handle) error {
		db := h.IDB()
		if err := checkOutside(ctx, h, id, outside); err != nil {
			return err
		}
		n, err := db.NewSelect().Model((*Subscription)(nil)).Where("subscription_id = ?", id).Count(ctx)
		if err != nil {
			return h.Classify(err)
		}
		existing := map[uuid.UUID]Instance{}
		if n == 0 {
			if _, err := db.NewInsert().Model(sub).Exec(ctx); err != nil {
				return h.Classify(err)
			}
		} else {
			if _, err := db.NewUpdate().Model(sub).WherePK().Exec(ctx); err != nil {
				return h.Classify(err)
			}
			var cur []Instance
			if err := db.NewSelect().Model(&cur).Where("subscription_id = ?", id).Scan(ctx); err != nil {
				return h.Classify(err)
			}
			for _, in := range cur {
				existing[in.InstanceID] = in
			}
			if err := b.clearOwned(ctx, h, id, existing, known, view); err != nil {
				return err
			}
		}
		var added []Instance
		for _, in := range t.Instances {
			old, ok := existing[in.InstanceID]
			switch {
			case !ok:
				added = append(added, in)
			case old.ProductBlockID != in.ProductBlockID || !sameText(old.Label, in.Label):
				if _, err := db.NewUpdate().Model(&in).Column("product_block_id", "label").WherePK().Exec(ctx); err != nil {
					return h.Classify(err)
				}
			}
		}
		if len(added) > 0 {
			if err := insertAll(ctx, h, added); err != nil {
				return err
			}
		}
		var values []Value
		for _, in := range t.Instances {
			values = append(values, in.Values...)
		}
		if len(values) > 0 {
			if err := insertAll(ctx, h, values); err != nil {
				return err
			}
		}
		if len(t.Relations) > 0 {
			if err := insertAll(ctx, h, t.Relations); err != nil {
				return err
			}
		}
		if len(t.Descriptions) > 0 {
			if err := insertAll(ctx, h, t.Descriptions); err != nil {
				return err
			}
		}
		if t.Metadata != nil {
			if _, err := db.NewInsert().Model(&Metadata{SubscriptionID: id, Metadata: t.Metadata}).Exec(ctx); err != nil {
				return h.Classify(err)
			}
		}
		if view {
			return nil // WFO's view: its own triggers refresh it (package doc, "Search")
		}
		return h.Classify(b.search.write(ctx, db, id, document(t)))
	})
}

// checkOutside makes sure every instance outside the tree that a relation
// depends on exists, in another subscription, so that a wrong id gets a
// clear error before anything is written.
func checkOutside(ctx context.Context, h store.Handle, id uuid.UUID, outside map[uuid.UUID]bool) error {
	if len(outside) == 0 {
		return nil
	}
	ids := make([]uuid.UUID, 0, len(outside))
	for o := range outside {
		ids = append(ids, o)
	}
	n, err := elsewhereQuery(h.IDB(), id, ids).Count(ctx)
	if err != nil {
		return h.Classify(err)
	}
	if n != int64(len(ids)) {
		return fmt.Errorf("%w: a relation depends on an instance that is neither in the tree nor in another subscription", store.ErrInvalid)
	}
	return nil
}

// clearOwned removes, before a tree is written again, what only the tree
// refers to: its relations (those its instances use) and its instances'
// values, which Save inserts again, its customer descriptions, metadata and
// search row; and the instances the tree no longer has — unless another
// subscription's relation depends on one, which is ErrConflict.
func (b *bunStore) clearOwned(ctx context.Context, h store.Handle, id uuid.UUID, existing map[uuid.UUID]Instance, known map[uuid.UUID]bool, view bool) error {
	db := h.IDB()
	ours := db.NewSelect().Model((*Instance)(nil)).Column("subscription_instance_id").Where("subscription_id = ?", id)
	deletes := []*bun.DeleteQuery{
		db.NewDelete().Model((*Relation)(nil)).Where("in_use_by_id IN (?)", ours),
		db.NewDelete().Model((*Value)(nil)).Where("subscription_instance_id IN (?)", ours),
		db.NewDelete().Model((*CustomerDescription)(nil)).Where("subscription_id = ?", id),
		db.NewDelete().Model((*Metadata)(nil)).Where("subscription_id = ?", id),
	}
	if !view {
		deletes = append(deletes, db.NewDelete().TableExpr("subscriptions_search").Where("subscription_id = ?", id))
	}
	if err := execAll(ctx, h, deletes...); err != nil {
		return err
	}
	var removed []uuid.UUID
	for iid := range existing {
		if !known[iid] {
			removed = append(removed, iid)
		}
	}
	if len(removed) == 0 {
		return nil
	}
	// This tree's own relations are gone by now: any left that depend on
	// a removed instance are another subscription's.
	var users []instanceUser
	if err := instanceUsersQuery(db, removed).Scan(ctx, &users); err != nil {
		return h.Classify(err)
	}
	if len(users) > 0 {
		return fmt.Errorf("%w: instance %s cannot be removed from subscription %s: subscription %s depends on it",
			store.ErrConflict, users[0].DependsOnID, id, users[0].SubscriptionID)
	}
	_, err := db.NewDelete().Model((*Instance)(nil)).Where("subscription_instance_id IN (?)", bun.In(removed)).Exec(ctx)
	return h.Classify(err)
}

// instanceUser is a relation that depends on an instance, with the
// subscription whose instance uses it.
type instanceUser struct {
	DependsOnID    uuid.UUID `bun:"depends_on_id"`
	SubscriptionID uuid.UUID `bun:"subscription_id"`
}

func sameText(a, b *string) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return *a == *b
}

// deleteChildren removes everything below a subscription row, for Delete,
// children first: relations whose depends_on_id cannot cascade on SQL
// Server — including other subscriptions' relations that depend on its
// instances, as WFO's cascade deletes them — and subscriptions_search,
// which cascades nowhere.
func (b *bunStore) deleteChildren(ctx context.Context, h store.Handle, id uuid.UUID, view bool) error {
	db := h.IDB()
	instances := db.NewSelect().Model((*Instance)(nil)).Column("subscription_instance_id").Where("subscription_id = ?", id)
	deletes := []*bun.DeleteQuery{
		db.NewDelete().Model((*Relation)(nil)).Where("depends_on_id IN (?) OR in_use_by_id IN (?)", instances, instances),
		db.NewDelete().Model((*Value)(nil)).Where("subscription_instance_id IN (?)", instances),
		db.NewDelete().Model((*Instance)(nil)).Where("subscription_id = ?", id),
		db.NewDelete().Model((*CustomerDescription)(nil)).Where("subscription_id = ?", id),
		db.NewDelete().Model((*Metadata)(nil)).Where("subscription_id = ?", id),
	}
	if !view {
		deletes = append(deletes, db.NewDelete().TableExpr("subscriptions_search").Where("subscription_id = ?", id))
	}
	return execAll(ctx, h, deletes...)
}

// execAll runs deletes in order, children before the rows they point at.
func execAll(ctx context.Context, h store.Handle, qs ...*bun.DeleteQuery) error {
	for _, q := range qs {
		if _, err := q.Exec(ctx); err != nil {
			return h.Classify(err)
		}
	}
	return nil
}

// Load implements Store.
func (b *bunStore) Load(ctx context.Context, id uuid.UUID) (*Tree, error) {
	if err := store.CheckContext(ctx); err != nil {
		return nil, fail("load subscription "+id.String(), err)
	}
	t := &Tree{}
	err := b.h.InTx(ctx, func(ctx context.Context, h store.Handle) error {
		db := h.IDB()
		if err := db.NewSelect().Model(&t.Subscription).Where("subscription_id = ?", id).Scan(ctx); err != nil {
			return h.Classify(err)
		}
		if err := db.NewSelect().Model(&t.Instances).Where("subscription_id = ?", id).Order("subscription_instance_id").Scan(ctx); err != nil {
			return h.Classify(err)
		}
		instances := db.NewSelect().Model((*Instance)(nil)).Column("subscription_instance_id").Where("subscription_id = ?", id)
		var values []Value
		if err := db.NewSelect().Model(&values).Where("subscription_instance_id IN (?)", instances).
			Order("subscription_instance_id", "resource_type_id", "subscription_instance_value_id").Scan(ctx); err != nil {
			return h.Classify(err)
		}
		byInstance := map[uuid.UUID][]Value{}
		for _, v := range values {
			byInstance[v.InstanceID] = append(byInstance[v.InstanceID], v)
		}
		for i := range t.Instances {
			t.Instances[i].Values = byInstance[t.Instances[i].InstanceID]
		}
		if err := db.NewSelect().Model(&t.Relations).Where("in_use_by_id IN (?)", instances).
			Order("in_use_by_id", "order_id", "depends_on_id").Scan(ctx); err != nil {
			return h.Classify(err)
		}
		if err := db.NewSelect().Model(&t.Descriptions).Where("subscription_id = ?", id).Order("created_at", "id").Scan(ctx); err != nil {
			return h.Classify(err)
		}
		var md []Metadata
		if err := db.NewSelect().Model(&md).Where("subscription_id = ?", id).Scan(ctx); err != nil {
			return h.Classify(err)
		}
		if len(md) == 1 {
			t.Metadata = md[0].Metadata
		}
		return nil
	})
	if err != nil {
		return nil, fail("load subscription "+id.String(), err)
	}
	return t, nil
}

// Delete implements Store.
func (b *bunStore) Delete(ctx context.Context, id uuid.UUID) error {
	if err := store.CheckContext(ctx); err != nil {
		return fail("delete subscription "+id.String(), err)
	}
	view, err := b.searchIsView(ctx)
	if err != nil {
		return fail("delete subscription "+id.String(), err)
	}
	return fail("delete subscription "+id.String(), b.h.InTx(ctx, func(ctx context.Context, h store.Handle) error {
		if err := b.deleteChildren(ctx, h, id, view); err != nil {
			return err
		}
		if _, err := h.IDB().NewDelete().Model((*ProcessSubscription)(nil)).Where("subscription_id = ?", id).Exec(ctx); err != nil {
			return h.Classify(err)
		}
		res, err := h.IDB().NewDelete().Model((*Subscription)(nil)).Where("subscription_id = ?", id).Exec(ctx)
		return affected(h, res, err)
	}))
}

// Search implements Store.
func (b *bunStore) Search(ctx context.Context, f Filter) ([]Subscription, error) {
	if err := store.CheckContext(ctx); err != nil {
		return nil, fail("search subscriptions", err)
	}
	n, err := b.checkFilter(f)
	if err != nil {
		return nil, fail("search subscriptions", err)
	}
	out, err := b.searchPage(ctx, f, nil, n)
	return out, fail("search subscriptions", err)
}

// AllSubscriptions implements Store.
func (b *bunStore) AllSubscriptions(ctx context.Context, f Filter) iter.Seq2[Subscription, error] {
	err := store.CheckContext(ctx)
	n := 0
	if err == nil {
		n, err = b.checkFilter(f)
	}
	if err != nil {
		return func(yield func(Subscription, error) bool) { yield(Subscription{}, fail("search subscriptions", err)) }
	}
	pages := store.Stream(ctx, n, func(ctx context.Context, after *Subscription, n int) ([]Subscription, error) {
		return b.searchPage(ctx, f, after, n)
	})
	return func(yield func(Subscription, error) bool) {
		for s, err := range pages {
			if err != nil {
				yield(s, fail("search subscriptions", err))
				return
			}
			if !yield(s, nil) {
				return
			}
		}
	}
}

// checkFilter validates a filter and returns its page size.
func (b *bunStore) checkFilter(f Filter) (int, error) {
	if f.Status != "" && !f.Status.Valid() {
		return 0, fmt.Errorf("%w: subscription status %q", store.ErrInvalid, f.Status)
	}
	if err := store.ValidText("search text", f.Text); err != nil {
		return 0, err
	}
	if f.CustomerID != "" {
		if err := b.d.CheckKeyText("customer_id", f.CustomerID); err != nil {
			return 0, err
		}
	}
	return store.PageLimit(f.Limit)
}

func (b *bunStore) searchPage(ctx context.Context, f Filter, after *Subscription, n int) ([]Subscription, error) {
	view, err := b.searchIsView(ctx)
	if err != nil {
		return nil, err
	}
	var out []Subscription
	err = b.searchQuery(f, after, n, view).Scan(ctx, &out)
	return out, b.h.Classify(err)
}

// LinkProcess implements Store.
func (b *bunStore) LinkProcess(ctx context.Context, pid, subscriptionID uuid.UUID, target string) error {
	op := fmt.Sprintf("link process %s to subscription %s", pid, subscriptionID)
	if err := store.CheckContext(ctx); err != nil {
		return fail(op, err)
	}
	if target == "" {
		target = "CREATE"
	}
	if err := b.d.CheckText("workflow_target", target, maxShort); err != nil {
		return fail(op, err)
	}
	return fail(op, b.insert(ctx, &ProcessSubscription{ID: uuid.New(), PID: pid, SubscriptionID: subscriptionID, CreatedAt: b.h.Now(), WorkflowTarget: target}))
}

// ProcessLinks implements Store.
func (b *bunStore) ProcessLinks(ctx context.Context, subscriptionID uuid.UUID) ([]ProcessSubscription, error) {
	if err := store.CheckContext(ctx); err != nil {
		return nil, fail("list process links of subscription "+subscriptionID.String(), err)
	}
	var out []ProcessSubscription
	err := b.idb().NewSelect().Model(&out).Where("subscription_id = ?", subscriptionID).Order("created_at", "id").Scan(ctx)
	return out, fail("list process links of subscription "+subscriptionID.String(), b.h.Classify(err))
}

// quote quotes a name for an error message, cut to 64 characters: a value
// refused for its length need not be repeated whole.
func quote(s string) string { return strconv.Quote(cut(s, 64)) }

// cut shortens s to n characters, marking the cut with "…".
func cut(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n-1]) + "…"
}
