package subscription

import (
	"context"
	"iter"

	"github.com/google/uuid"

	"github.com/flowstore/flowstore/store"
)

// Store persists WFO's product catalogue and subscriptions: every operation
// of the package. New makes it for every dialect; WithTx binds it to a
// session so that a workflow step's subscription changes commit with the
// step.
type Store interface {
	// WithTx returns the same store bound to s: its writes commit or roll
	// back with the session's other work, and Save, Load and the deletes
	// run in savepoints inside it.
	WithTx(s *store.Session) Store

	// CreateProduct inserts a product (a nil id is generated).
	CreateProduct(ctx context.Context, p *Product) error
	// Product returns a product by id.
	Product(ctx context.Context, id uuid.UUID) (*Product, error)
	// ProductByName returns a product by its unique name.
	ProductByName(ctx context.Context, name string) (*Product, error)
	// DeleteProduct deletes a product; its fixed inputs and block links go by
	// cascade. Products with subscriptions cannot be deleted.
	DeleteProduct(ctx context.Context, id uuid.UUID) error
	// CreateProductBlock inserts a product block.
	CreateProductBlock(ctx context.Context, b *ProductBlock) error
	// DeleteProductBlock deletes a block and every relation to it.
	DeleteProductBlock(ctx context.Context, id uuid.UUID) error
	// CreateResourceType inserts a resource type.
	CreateResourceType(ctx context.Context, r *ResourceType) error
	// AddFixedInput inserts a product's fixed input.
	AddFixedInput(ctx context.Context, f *FixedInput) error
	// FixedInputs lists a product's fixed inputs by name. Like the other
	// catalogue lists below it is short by nature: no limit, no iterator.
	FixedInputs(ctx context.Context, productID uuid.UUID) ([]FixedInput, error)
	// LinkBlock puts a product block into a product.
	LinkBlock(ctx context.Context, productID, blockID uuid.UUID) error
	// LinkResourceType gives a product block a resource type.
	LinkResourceType(ctx context.Context, blockID, resourceTypeID uuid.UUID) error
	// RelateBlocks records that block inUseBy depends on block dependsOn.
	RelateBlocks(ctx context.Context, r ProductBlockRelation) error
	// ProductBlocks lists a product's blocks by name.
	ProductBlocks(ctx context.Context, productID uuid.UUID) ([]ProductBlock, error)
	// BlockRelations lists the relations a block is in use by.
	BlockRelations(ctx context.Context, blockID uuid.UUID) ([]ProductBlockRelation, error)

	// Save writes a whole subscription tree atomically: the subscription
	// row (inserted or updated); its instances by id (new ones inserted,
	// changed ones updated, ones no longer in the tree deleted); their
	// values and the tree's relations (replaced); customer descriptions
	// (replaced), metadata and search row. A relation's in_use_by instance
	// must be in the tree; the instance it depends on may be another
	// subscription's (ErrInvalid if it exists nowhere). Saving never touches
	// other subscriptions' relations: removing an instance that another
	// subscription depends on is refused with ErrConflict.
	Save(ctx context.Context, t *Tree) error
	// Load reads a whole subscription tree, with the relations its
	// instances are in use by (also those to other subscriptions'
	// instances), so that saving it back changes nothing.
	Load(ctx context.Context, id uuid.UUID) (*Tree, error)
	// Delete deletes a subscription with everything below it, its search
	// row and its process links — and, as WFO's cascade does, other
	// subscriptions' relations that depend on its instances.
	Delete(ctx context.Context, id uuid.UUID) error
	// Search returns the first f.Limit subscriptions f matches, by
	// description and then id.
	Search(ctx context.Context, f Filter) ([]Subscription, error)
	// AllSubscriptions streams every subscription f matches, in Search's
	// order, in keyset pages of f.Limit rows: a whole customer base is read
	// without holding it in memory. An error ends the iteration.
	AllSubscriptions(ctx context.Context, f Filter) iter.Seq2[Subscription, error]

	// LinkProcess records that process pid worked on a subscription.
	LinkProcess(ctx context.Context, pid, subscriptionID uuid.UUID, target string) error
	// ProcessLinks lists the process links of a subscription, oldest first
	// (one per workflow run on it: a short list).
	ProcessLinks(ctx context.Context, subscriptionID uuid.UUID) ([]ProcessSubscription, error)
}

// Filter selects subscriptions for Search and AllSubscriptions. Zero
// fields match all.
type Filter struct {
	// Text must match every one of its words, in the description, the
	// customer id, a customer description or an instance value (full-text
	// search where the dialect has it, PostgreSQL; word-substring search
	// elsewhere).
	Text       string
	CustomerID string    // exact customer id; "" for any
	Status     Lifecycle // lifecycle; "" for any
	// Limit is the most results Search returns, and AllSubscriptions's page
	// size: 0 means store.DefaultLimit, a negative limit is
	// store.ErrInvalid.
	Limit int
}
