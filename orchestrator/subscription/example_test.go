package subscription_test

import (
	"context"
	"fmt"

	"github.com/flowstore/flowstore/orchestrator/subscription"
	"github.com/flowstore/flowstore/store"
)

func ExampleStore_Save() {
	ctx := context.Background()
	db, err := store.Open(ctx, "sqlite::memory:")
	if err != nil {
		panic(err)
	}
	defer db.Close()
	if err := db.Migrate(ctx); err != nil {
		panic(err)
	}
	st, err := subscription.New(db) // st.WithTx(session) joins a transaction
	if err != nil {
		panic(err)
	}
	product := subscription.Product{Name: "Fiber", Description: "Fiber access", ProductType: "Fiber", Tag: "FIB", Status: subscription.ProductActive}
	block := subscription.ProductBlock{Name: "Port", Description: "a port"}
	vlan := subscription.ResourceType{ResourceType: "vlan"}
	for _, err := range []error{st.CreateProduct(ctx, &product), st.CreateProductBlock(ctx, &block), st.CreateResourceType(ctx, &vlan)} {
		if err != nil {
			panic(err)
		}
	}
	tree := &subscription.Tree{
		Subscription: subscription.Subscription{Description: "Fiber Amsterdam", Status: subscription.Active, ProductID: product.ProductID, CustomerID: "acme"},
		Instances: []subscription.Instance{{ProductBlockID: block.ProductBlockID,
			Values: []subscription.Value{{ResourceTypeID: vlan.ResourceTypeID, Value: "100"}}}},
	}
	if err := st.Save(ctx, tree); err != nil {
		panic(err)
	}
	found, err := st.Search(ctx, subscription.Filter{Text: "amsterdam", CustomerID: "acme"})
	if err != nil {
		panic(err)
	}
	loaded, _ := st.Load(ctx, found[0].SubscriptionID)
	fmt.Println(loaded.Subscription.Description, loaded.Instances[0].Values[0].Value)
	// AllSubscriptions reads every match, page by page.
	for s, err := range st.AllSubscriptions(ctx, subscription.Filter{CustomerID: "acme"}) {
		if err != nil {
			panic(err)
		}
		fmt.Println(s.Description, s.Status)
	}
	// Output:
	// Fiber Amsterdam 100
	// Fiber Amsterdam active
}
