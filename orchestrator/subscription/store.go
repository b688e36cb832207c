package subscription

import (
	"context"

	"github.com/google/uuid"
)

// Store persists WFO's product catalogue and subscriptions. BunStore
// implements it on every dialect; WithTx binds it to a session so that a
// workflow step's subscription changes commit with the step.
type Store interface {
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
	// FixedInputs lists a product's fixed inputs by name.
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
	// Search finds subscriptions by text (description, customer, values),
	// customer and status.
	Search(ctx context.Context, f Filter) ([]Subscription, error)

	// LinkProcess records that process pid worked on a subscription.
	LinkProcess(ctx context.Context, pid, subscriptionID uuid.UUID, target string) error
	// ProcessLinks lists the process links of a subscription, oldest first.
	ProcessLinks(ctx context.Context, subscriptionID uuid.UUID) ([]ProcessSubscription, error)
}

// Filter selects subscriptions for Search. Zero fields match all.
type Filter struct {
	// Text must match every one of its words, in the description, the
	// customer id, a customer description or an instance value (full-text
	// search on PostgreSQL; word-substring search elsewhere).
	Text       string
	CustomerID string    // exact customer id; "" for any
	Status     Lifecycle // lifecycle; "" for any
	Limit      int       // most results; 0 for no limit
}
