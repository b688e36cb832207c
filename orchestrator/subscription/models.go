package subscription

import (
	"encoding/json"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"
)

// Lifecycle is a subscription's status (WFO SubscriptionLifecycle).
type Lifecycle string

// The subscription lifecycles of WFO, stored as these strings.
const (
	Initial      Lifecycle = "initial"
	Active       Lifecycle = "active"
	Migrating    Lifecycle = "migrating"
	Disabled     Lifecycle = "disabled"
	Terminated   Lifecycle = "terminated"
	Provisioning Lifecycle = "provisioning"
)

// Valid reports whether l is one of WFO's lifecycles.
func (l Lifecycle) Valid() bool {
	switch l {
	case Initial, Active, Migrating, Disabled, Terminated, Provisioning:
		return true
	}
	return false
}

// ProductLifecycle is a product's or product block's status.
type ProductLifecycle string

// The product lifecycles of WFO.
const (
	ProductActive        ProductLifecycle = "active"
	ProductPreProduction ProductLifecycle = "pre production"
	ProductPhaseOut      ProductLifecycle = "phase out"
	ProductEndOfLife     ProductLifecycle = "end of life"
)

// Valid reports whether l is one of WFO's product lifecycles.
func (l ProductLifecycle) Valid() bool {
	switch l {
	case ProductActive, ProductPreProduction, ProductPhaseOut, ProductEndOfLife:
		return true
	}
	return false
}

// Product is a row of "products".
type Product struct {
	bun.BaseModel `bun:"table:products"`

	ProductID   uuid.UUID        `bun:"product_id,pk,type:uuid"`
	Name        string           `bun:"name,notnull"`
	Description string           `bun:"description,notnull"`
	ProductType string           `bun:"product_type,notnull"`
	Tag         string           `bun:"tag,notnull"`
	Status      ProductLifecycle `bun:"status,notnull"`
	CreatedAt   time.Time        `bun:"created_at,notnull"`
	EndDate     *time.Time       `bun:"end_date"`
}

// ProductBlock is a row of "product_blocks".
type ProductBlock struct {
	bun.BaseModel `bun:"table:product_blocks"`

	ProductBlockID uuid.UUID         `bun:"product_block_id,pk,type:uuid"`
	Name           string            `bun:"name,notnull"`
	Description    string            `bun:"description,notnull"`
	Tag            *string           `bun:"tag"`
	Status         *ProductLifecycle `bun:"status"`
	CreatedAt      time.Time         `bun:"created_at,notnull"`
	EndDate        *time.Time        `bun:"end_date"`
}

// ResourceType is a row of "resource_types".
type ResourceType struct {
	bun.BaseModel `bun:"table:resource_types"`

	ResourceTypeID uuid.UUID `bun:"resource_type_id,pk,type:uuid"`
	ResourceType   string    `bun:"resource_type,notnull"`
	Description    *string   `bun:"description"`
}

// FixedInput is a row of "fixed_inputs": a product's fixed name/value.
type FixedInput struct {
	bun.BaseModel `bun:"table:fixed_inputs"`

	FixedInputID uuid.UUID `bun:"fixed_input_id,pk,type:uuid"`
	Name         string    `bun:"name,notnull"`
	Value        string    `bun:"value,notnull"`
	CreatedAt    time.Time `bun:"created_at,notnull"`
	ProductID    uuid.UUID `bun:"product_id,notnull,type:uuid"`
}

// ProductProductBlock is a row of "product_product_blocks".
type ProductProductBlock struct {
	bun.BaseModel `bun:"table:product_product_blocks"`

	ProductID      uuid.UUID `bun:"product_id,pk,type:uuid"`
	ProductBlockID uuid.UUID `bun:"product_block_id,pk,type:uuid"`
}

// ProductBlockResourceType is a row of "product_block_resource_types".
type ProductBlockResourceType struct {
	bun.BaseModel `bun:"table:product_block_resource_types"`

	ProductBlockID uuid.UUID `bun:"product_block_id,pk,type:uuid"`
	ResourceTypeID uuid.UUID `bun:"resource_type_id,pk,type:uuid"`
}

// ProductBlockRelation is a row of "product_block_relations": block InUseBy
// contains Min..Max blocks DependsOn.
type ProductBlockRelation struct {
	bun.BaseModel `bun:"table:product_block_relations"`

	InUseByID   uuid.UUID `bun:"in_use_by_id,pk,type:uuid"`
	DependsOnID uuid.UUID `bun:"depends_on_id,pk,type:uuid"`
	Min         *int      `bun:"min"`
	Max         *int      `bun:"max"`
}

// Subscription is a row of "subscriptions".
type Subscription struct {
	bun.BaseModel `bun:"table:subscriptions"`

	SubscriptionID uuid.UUID  `bun:"subscription_id,pk,type:uuid"`
	Description    string     `bun:"description,notnull"`
	Status         Lifecycle  `bun:"status,notnull"`
	ProductID      uuid.UUID  `bun:"product_id,notnull,type:uuid"`
	CustomerID     string     `bun:"customer_id,notnull"`
	Insync         bool       `bun:"insync,notnull"`
	StartDate      *time.Time `bun:"start_date"`
	EndDate        *time.Time `bun:"end_date"`
	Note           *string    `bun:"note"`
}

// Instance is a row of "subscription_instances": one product block in a
// subscription's tree.
type Instance struct {
	bun.BaseModel `bun:"table:subscription_instances"`

	InstanceID     uuid.UUID `bun:"subscription_instance_id,pk,type:uuid"`
	SubscriptionID uuid.UUID `bun:"subscription_id,notnull,type:uuid"`
	ProductBlockID uuid.UUID `bun:"product_block_id,notnull,type:uuid"`
	Label          *string   `bun:"label"`

	// Values are the instance's resource values (loaded and saved with the
	// tree).
	Values []Value `bun:"-"`
}

// Value is a row of "subscription_instance_values".
type Value struct {
	bun.BaseModel `bun:"table:subscription_instance_values"`

	ValueID        uuid.UUID `bun:"subscription_instance_value_id,pk,type:uuid"`
	InstanceID     uuid.UUID `bun:"subscription_instance_id,notnull,type:uuid"`
	ResourceTypeID uuid.UUID `bun:"resource_type_id,notnull,type:uuid"`
	Value          string    `bun:"value,notnull"`
}

// Relation is a row of "subscription_instance_relations": instance InUseBy
// uses instance DependsOn (as its DomainModelAttr, at position OrderID).
type Relation struct {
	bun.BaseModel `bun:"table:subscription_instance_relations"`

	InUseByID       uuid.UUID `bun:"in_use_by_id,pk,type:uuid"`
	DependsOnID     uuid.UUID `bun:"depends_on_id,pk,type:uuid"`
	OrderID         int       `bun:"order_id,pk"`
	DomainModelAttr *string   `bun:"domain_model_attr"`
}

// CustomerDescription is a row of "subscription_customer_descriptions".
type CustomerDescription struct {
	bun.BaseModel `bun:"table:subscription_customer_descriptions"`

	ID             uuid.UUID `bun:"id,pk,type:uuid"`
	SubscriptionID uuid.UUID `bun:"subscription_id,notnull,type:uuid"`
	CustomerID     string    `bun:"customer_id,notnull"`
	Description    string    `bun:"description,notnull"`
	CreatedAt      time.Time `bun:"created_at,notnull"`
}

// Metadata is a row of "subscription_metadata".
type Metadata struct {
	bun.BaseModel `bun:"table:subscription_metadata"`

	SubscriptionID uuid.UUID       `bun:"subscription_id,pk,type:uuid"`
	Metadata       json.RawMessage `bun:"metadata,notnull"`
}

// ProcessSubscription is a row of "processes_subscriptions": a process that
// worked on a subscription.
type ProcessSubscription struct {
	bun.BaseModel `bun:"table:processes_subscriptions"`

	ID             uuid.UUID `bun:"id,pk,type:uuid"`
	PID            uuid.UUID `bun:"pid,notnull,type:uuid"`
	SubscriptionID uuid.UUID `bun:"subscription_id,notnull,type:uuid"`
	CreatedAt      time.Time `bun:"created_at,notnull"`
	WorkflowTarget string    `bun:"workflow_target,notnull"`
}

// Tree is a whole subscription: its row, its instance tree with values and
// relations, its customer descriptions and its metadata. Store.Save writes it
// and Store.Load reads it, each in one transaction (or in the caller's
// session).
type Tree struct {
	Subscription Subscription
	Instances    []Instance
	// Relations are the relations the tree's instances are in use by: each
	// InUseByID is an instance of the tree; DependsOnID may name an
	// instance of another subscription.
	Relations    []Relation
	Descriptions []CustomerDescription
	// Metadata is the subscription_metadata JSON; nil means no row.
	Metadata json.RawMessage
}
