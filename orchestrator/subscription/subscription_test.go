package subscription_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/flowstore/flowstore/internal/testdb"
	"github.com/flowstore/flowstore/orchestrator"
	"github.com/flowstore/flowstore/orchestrator/subscription"
	"github.com/flowstore/flowstore/store"
)

func TestMain(m *testing.M) { testdb.Main(m) }

// catalogue is a product "Fiber" with blocks port and service (service
// depends on port) and resource types vlan and speed.
type catalogue struct {
	product       subscription.Product
	port, service subscription.ProductBlock
	vlan, speed   subscription.ResourceType
}

func newCatalogue(t *testing.T, st subscription.Store) *catalogue {
	t.Helper()
	ctx := t.Context()
	c := &catalogue{
		product: subscription.Product{Name: "Fiber", Description: "Fiber access", ProductType: "Fiber", Tag: "FIB", Status: subscription.ProductActive},
		port:    subscription.ProductBlock{Name: "Port", Description: "a port"},
		service: subscription.ProductBlock{Name: "Service", Description: "a service"},
		vlan:    subscription.ResourceType{ResourceType: "vlan"},
		speed:   subscription.ResourceType{ResourceType: "speed"},
	}
	must(t, st.CreateProduct(ctx, &c.product))
	must(t, st.CreateProductBlock(ctx, &c.port))
	must(t, st.CreateProductBlock(ctx, &c.service))
	must(t, st.CreateResourceType(ctx, &c.vlan))
	must(t, st.CreateResourceType(ctx, &c.speed))
	must(t, st.LinkBlock(ctx, c.product.ProductID, c.port.ProductBlockID))
	must(t, st.LinkBlock(ctx, c.product.ProductID, c.service.ProductBlockID))
	must(t, st.LinkResourceType(ctx, c.port.ProductBlockID, c.vlan.ResourceTypeID))
	one := 1
	must(t, st.RelateBlocks(ctx, subscription.ProductBlockRelation{InUseByID: c.service.ProductBlockID, DependsOnID: c.port.ProductBlockID, Min: &one, Max: &one}))
	must(t, st.AddFixedInput(ctx, &subscription.FixedInput{Name: "speed", Value: "10G", ProductID: c.product.ProductID}))
	return c
}

// newStore makes db's subscription store.
func newStore(t *testing.T, db *store.DB) subscription.Store {
	t.Helper()
	st, err := subscription.New(db)
	must(t, err)
	return st
}

// requireErrorPrefix checks the message convention: the package's prefix
// once, at the start, followed by the operation.
func requireErrorPrefix(t *testing.T, err error, op string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want one starting %q", "subscription: "+op)
	}
	msg := err.Error()
	// A doubled prefix would show as ": subscription: " further on.
	if !strings.HasPrefix(msg, "subscription: "+op) || strings.Contains(msg, ": subscription: ") || strings.Contains(msg, "flowstore:") {
		t.Fatalf("error %q: want the prefix %q, once", msg, "subscription: "+op)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func (c *catalogue) tree(customer, description string, vlan string) *subscription.Tree {
	port := subscription.Instance{InstanceID: uuid.New(), ProductBlockID: c.port.ProductBlockID,
		Values: []subscription.Value{{ResourceTypeID: c.vlan.ResourceTypeID, Value: vlan}}}
	svc := subscription.Instance{InstanceID: uuid.New(), ProductBlockID: c.service.ProductBlockID,
		Values: []subscription.Value{{ResourceTypeID: c.speed.ResourceTypeID, Value: "10000"}}}
	attr := "port"
	return &subscription.Tree{
		Subscription: subscription.Subscription{Description: description, Status: subscription.Initial, ProductID: c.product.ProductID, CustomerID: customer},
		Instances:    []subscription.Instance{port, svc},
		Relations:    []subscription.Relation{{InUseByID: svc.InstanceID, DependsOnID: port.InstanceID, OrderID: 0, DomainModelAttr: &attr}},
		Descriptions: []subscription.CustomerDescription{{CustomerID: customer, Description: "their own name for it"}},
		Metadata:     json.RawMessage(`{"ticket": "T-1"}`),
	}
}

func TestTreeRoundTrip(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		st := newStore(t, db)
		c := newCatalogue(t, st)
		tr := c.tree("cust-1", "Fiber Amsterdam", "100")
		must(t, st.Save(ctx, tr))
		got, err := st.Load(ctx, tr.Subscription.SubscriptionID)
		must(t, err)
		if got.Subscription.Description != "Fiber Amsterdam" || len(got.Instances) != 2 || len(got.Relations) != 1 || len(got.Descriptions) != 1 {
			t.Fatalf("loaded %+v", got)
		}
		values := 0
		for _, in := range got.Instances {
			values += len(in.Values)
		}
		var md map[string]any
		if values != 2 || json.Unmarshal(got.Metadata, &md) != nil || md["ticket"] != "T-1" {
			t.Fatalf("values %d, metadata %s", values, got.Metadata)
		}
		// Saving again replaces the tree: one instance less.
		got.Subscription.Status = subscription.Active
		got.Instances = got.Instances[:1]
		if got.Instances[0].InstanceID != got.Relations[0].InUseByID && got.Instances[0].InstanceID != got.Relations[0].DependsOnID {
			t.Fatal("test setup")
		}
		got.Relations = nil
		must(t, st.Save(ctx, got))
		again, err := st.Load(ctx, tr.Subscription.SubscriptionID)
		must(t, err)
		if again.Subscription.Status != subscription.Active || len(again.Instances) != 1 || len(again.Relations) != 0 {
			t.Fatalf("after update: %+v", again)
		}
		// Relations must stay inside the tree.
		bad := c.tree("cust-1", "x", "1")
		bad.Relations[0].DependsOnID = uuid.New()
		if err := st.Save(ctx, bad); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("relation outside the tree: %v", err)
		}
		must(t, st.LinkProcess(ctx, makeProcess(t, db), tr.Subscription.SubscriptionID, "CREATE"))
	})
}

func TestSearchAndDelete(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		st := newStore(t, db)
		c := newCatalogue(t, st)
		a, b, d := c.tree("cust-a", "Fiber Amsterdam", "100"), c.tree("cust-b", "Fiber Utrecht", "200"), c.tree("cust-a", "Backup Utrecht", "300")
		d.Subscription.Status = subscription.Active
		for _, tr := range []*subscription.Tree{a, b, d} {
			must(t, st.Save(ctx, tr))
		}
		cases := []struct {
			f    subscription.Filter
			want []string
		}{
			{subscription.Filter{Text: "utrecht"}, []string{"Backup Utrecht", "Fiber Utrecht"}},
			{subscription.Filter{Text: "Fiber utrecht"}, []string{"Fiber Utrecht"}},
			{subscription.Filter{Text: "200"}, []string{"Fiber Utrecht"}},
			{subscription.Filter{CustomerID: "cust-a"}, []string{"Backup Utrecht", "Fiber Amsterdam"}},
			{subscription.Filter{Status: subscription.Active}, []string{"Backup Utrecht"}},
			{subscription.Filter{Text: "Amster_am"}, nil},
		}
		for _, tc := range cases {
			got, err := st.Search(ctx, tc.f)
			must(t, err)
			var names []string
			for _, s := range got {
				names = append(names, s.Description)
			}
			if len(names) != len(tc.want) || (len(names) > 0 && names[0] != tc.want[0]) || (len(names) > 1 && names[1] != tc.want[1]) {
				t.Errorf("Search(%+v) = %v, want %v", tc.f, names, tc.want)
			}
		}
		if _, err := st.Search(ctx, subscription.Filter{Status: "bogus"}); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("bad status: %v", err)
		}
		must(t, st.LinkProcess(ctx, makeProcess(t, db), b.Subscription.SubscriptionID, "MODIFY"))
		must(t, st.Delete(ctx, b.Subscription.SubscriptionID))
		if _, err := st.Load(ctx, b.Subscription.SubscriptionID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("deleted subscription: %v", err)
		}
		if got, _ := st.Search(ctx, subscription.Filter{Text: "utrecht"}); len(got) != 1 {
			t.Errorf("search after delete: %d", len(got))
		}
		// A block with relations can be deleted once nothing uses it.
		must(t, st.Delete(ctx, a.Subscription.SubscriptionID))
		must(t, st.Delete(ctx, d.Subscription.SubscriptionID))
		must(t, st.DeleteProductBlock(ctx, c.port.ProductBlockID))
		if rs, _ := st.BlockRelations(ctx, c.service.ProductBlockID); len(rs) != 0 {
			t.Errorf("relations to a deleted block: %v", rs)
		}
	})
}

// TestSaveInsideAStep: a step saves a subscription through the step's
// session; when the step fails the subscription is rolled back with it.
func TestSaveInsideAStep(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		st := newStore(t, db)
		c := newCatalogue(t, st)
		// The engine polls once an hour: this test runs the process itself.
		e, err := orchestrator.NewEngine(db, orchestrator.WithPollInterval(time.Hour))
		must(t, err)
		runCtx, stop := context.WithCancel(ctx)
		ran := make(chan error, 1)
		go func() { ran <- e.Run(runCtx) }()
		defer func() {
			stop()
			if err := <-ran; err != nil {
				t.Errorf("engine Run: %v", err)
			}
		}()
		var saved uuid.UUID
		fail := true
		step := orchestrator.Step{Name: "create_subscription", Fn: func(ctx context.Context, s *store.Session, state orchestrator.State) (orchestrator.Result, error) {
			tr := c.tree("cust-step", "Made in a step", "42")
			if err := st.WithTx(s).Save(ctx, tr); err != nil {
				return orchestrator.Result{}, err
			}
			pid, _ := uuid.Parse(state["process_id"].(string))
			if err := st.WithTx(s).LinkProcess(ctx, pid, tr.Subscription.SubscriptionID, "CREATE"); err != nil {
				return orchestrator.Result{}, err
			}
			saved = tr.Subscription.SubscriptionID
			if fail {
				return orchestrator.Result{}, errors.New("provisioning failed")
			}
			state["subscription_id"] = saved.String()
			return orchestrator.Success(state), nil
		}}
		must(t, e.Register(ctx, orchestrator.Workflow{Name: "create_fiber", Target: orchestrator.TargetCreate, Steps: []orchestrator.Step{step}}))
		pid, err := e.Start(ctx, "create_fiber", nil)
		must(t, err)
		p, err := e.RunProcess(ctx, pid)
		must(t, err)
		if p.LastStatus != orchestrator.StatusFailed {
			t.Fatalf("status %s", p.LastStatus)
		}
		if _, err := st.Load(ctx, saved); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("failed step's subscription survived: %v", err)
		}
		fail = false
		p, err = e.Resume(ctx, pid, nil)
		must(t, err)
		if p.LastStatus != orchestrator.StatusCompleted {
			t.Fatalf("status %s", p.LastStatus)
		}
		links, err := st.ProcessLinks(ctx, saved)
		must(t, err)
		if len(links) != 1 || links[0].PID != pid {
			t.Fatalf("links %+v", links)
		}
	})
}

// makeProcess inserts a bare process row to link subscriptions to.
func makeProcess(t *testing.T, db *store.DB) uuid.UUID {
	t.Helper()
	os, err := orchestrator.New(db)
	must(t, err)
	wf, err := os.SaveWorkflow(t.Context(), &orchestrator.WorkflowRow{Name: "modify_fiber", Target: orchestrator.TargetModify})
	must(t, err)
	p := &orchestrator.Process{WorkflowID: wf.WorkflowID}
	must(t, os.CreateProcess(t.Context(), p, nil))
	return p.PID
}

// TestRelationsAcrossSubscriptions: an instance may depend on another
// subscription's instance (WFO's in_use_by across subscriptions). Loading
// and saving the using tree keeps that relation; saving the used tree, even
// unchanged or changed, keeps the other's relation and the used instance;
// removing a used instance from its tree is refused.
func TestRelationsAcrossSubscriptions(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		st := newStore(t, db)
		c := newCatalogue(t, st)
		// A: a port (and its own service on it). B: a service on A's port.
		a := c.tree("cust-a", "Port Amsterdam", "100")
		must(t, st.Save(ctx, a))
		aPort := a.Instances[0].InstanceID
		attr := "port"
		bService := subscription.Instance{InstanceID: uuid.New(), ProductBlockID: c.service.ProductBlockID}
		b := &subscription.Tree{
			Subscription: subscription.Subscription{Description: "Service on Amsterdam", Status: subscription.Active, ProductID: c.product.ProductID, CustomerID: "cust-b"},
			Instances:    []subscription.Instance{bService},
			Relations:    []subscription.Relation{{InUseByID: bService.InstanceID, DependsOnID: aPort, OrderID: 0, DomainModelAttr: &attr}},
		}
		must(t, st.Save(ctx, b))
		bRelation := func() []subscription.Relation {
			t.Helper()
			got, err := st.Load(ctx, b.Subscription.SubscriptionID)
			must(t, err)
			return got.Relations
		}
		if rs := bRelation(); len(rs) != 1 || rs[0].DependsOnID != aPort {
			t.Fatalf("B's relations %+v", rs)
		}
		// Load and save B unchanged, then changed.
		gotB, err := st.Load(ctx, b.Subscription.SubscriptionID)
		must(t, err)
		must(t, st.Save(ctx, gotB))
		gotB.Subscription.Note = ptr("moved")
		must(t, st.Save(ctx, gotB))
		if rs := bRelation(); len(rs) != 1 || rs[0].DependsOnID != aPort {
			t.Fatalf("B's relation after saving B: %+v", rs)
		}
		// Load and save A unchanged, then with its port relabelled and a
		// value changed: B's relation stays, and so does A's own.
		gotA, err := st.Load(ctx, a.Subscription.SubscriptionID)
		must(t, err)
		must(t, st.Save(ctx, gotA))
		if rs := bRelation(); len(rs) != 1 || rs[0].DependsOnID != aPort {
			t.Fatalf("B's relation after saving A unchanged: %+v", rs)
		}
		for i := range gotA.Instances {
			if gotA.Instances[i].InstanceID == aPort {
				gotA.Instances[i].Label = ptr("uplink")
				gotA.Instances[i].Values[0].Value = "101"
			}
		}
		must(t, st.Save(ctx, gotA))
		if rs := bRelation(); len(rs) != 1 || rs[0].DependsOnID != aPort {
			t.Fatalf("B's relation after changing A: %+v", rs)
		}
		againA, err := st.Load(ctx, a.Subscription.SubscriptionID)
		must(t, err)
		if len(againA.Instances) != 2 || len(againA.Relations) != 1 {
			t.Fatalf("A after its save: %d instances, %d relations", len(againA.Instances), len(againA.Relations))
		}
		for _, in := range againA.Instances {
			if in.InstanceID == aPort && (in.Label == nil || *in.Label != "uplink" || len(in.Values) != 1 || in.Values[0].Value != "101") {
				t.Errorf("A's port after its save: %+v", in)
			}
		}
		// A's port is in use by B: A cannot drop it.
		var keep []subscription.Instance
		for _, in := range againA.Instances {
			if in.InstanceID != aPort {
				keep = append(keep, in)
			}
		}
		againA.Instances, againA.Relations = keep, nil
		if err := st.Save(ctx, againA); !errors.Is(err, store.ErrConflict) {
			t.Fatalf("dropping an instance another subscription uses: %v, want ErrConflict", err)
		}
		if rs := bRelation(); len(rs) != 1 {
			t.Fatalf("B's relation after the refused save: %+v", rs)
		}
		// A relation must start in its own tree, and end at an instance
		// that exists.
		bad := *gotB
		bad.Relations = []subscription.Relation{{InUseByID: aPort, DependsOnID: bService.InstanceID}}
		if err := st.Save(ctx, &bad); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("relation from another tree's instance: %v, want ErrInvalid", err)
		}
		// Once B lets go, A can drop its port.
		gotB.Relations = nil
		must(t, st.Save(ctx, gotB))
		must(t, st.Save(ctx, againA))
		final, err := st.Load(ctx, a.Subscription.SubscriptionID)
		must(t, err)
		if len(final.Instances) != 1 || len(final.Relations) != 0 {
			t.Errorf("A after dropping its port: %d instances, %d relations", len(final.Instances), len(final.Relations))
		}
	})
}

func ptr[T any](v T) *T { return &v }
