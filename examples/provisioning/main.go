// Command provisioning runs a WFO-style workflow that creates a subscription
// over several steps, one of which suspends for user input; it resumes the
// process with that input and prints the step log.
//
//	go run ./examples/provisioning                    # SQLite file in a temp directory
//	go run ./examples/provisioning -dsn postgres://…  # any flowstore dialect
//
// Every step is one transaction: the subscription changes a step makes
// through its session commit together with the step's process_steps row.
// Run again on the same database, it finds the catalogue the first run
// created and provisions one more subscription.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"text/tabwriter"
	"time"

	"github.com/google/uuid"

	"github.com/flowstore/flowstore"
	"github.com/flowstore/flowstore/orchestrator"
	"github.com/flowstore/flowstore/orchestrator/subscription"
	"github.com/flowstore/flowstore/store"
)

func main() {
	dsn := flag.String("dsn", "", "database DSN (default: a new SQLite file in a temp directory)")
	flag.Parse()
	if err := run(context.Background(), *dsn, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "provisioning:", err)
		os.Exit(1)
	}
}

// catalogue is the product the workflow sells: Fiber, made of a Port block
// with a vlan resource.
type catalogue struct {
	product subscription.Product
	port    subscription.ProductBlock
	vlan    subscription.ResourceType
}

// setup returns the catalogue, creating it the first time. Product,
// block and resource type names are unique, so on a database the example
// ran on before it finds the rows that run made instead of creating them
// again. The rows are created in one transaction: a catalogue is there
// whole, or not at all.
func setup(ctx context.Context, fs *flowstore.DB) (*catalogue, error) {
	c := &catalogue{
		product: subscription.Product{Name: "Fiber", Description: "Fiber internet access", ProductType: "Fiber", Tag: "FIB", Status: subscription.ProductActive},
		port:    subscription.ProductBlock{Name: "Port", Description: "An access port"},
		vlan:    subscription.ResourceType{ResourceType: "vlan", Description: ptr("802.1Q VLAN id")},
	}
	found, err := existing(ctx, fs, c)
	if found || err != nil {
		return c, err
	}
	err = fs.InTx(ctx, func(ctx context.Context, tx *flowstore.Tx) error {
		subs := tx.Subscriptions
		for _, create := range []func() error{
			func() error { return subs.CreateProduct(ctx, &c.product) },
			func() error { return subs.CreateProductBlock(ctx, &c.port) },
			func() error { return subs.CreateResourceType(ctx, &c.vlan) },
			func() error { return subs.LinkBlock(ctx, c.product.ProductID, c.port.ProductBlockID) },
			func() error { return subs.LinkResourceType(ctx, c.port.ProductBlockID, c.vlan.ResourceTypeID) },
		} {
			// The first error ends the transaction: on PostgreSQL the
			// statements after a failed one would fail too.
			if err := create(); err != nil {
				return err
			}
		}
		return nil
	})
	if errors.Is(err, store.ErrDuplicate) {
		// Another run created the catalogue since we looked: use it.
		if found, ferr := existing(ctx, fs, c); found || ferr != nil {
			return c, ferr
		}
	}
	return c, err
}

// existing fills c from the database if its product is there, and reports
// whether it was. The store finds products by name and a product's blocks;
// it has no lookup of a resource type by name, so that one is a bun query
// on the package's own model.
func existing(ctx context.Context, fs *flowstore.DB, c *catalogue) (bool, error) {
	p, err := fs.Subscriptions.ProductByName(ctx, c.product.Name)
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	} else if err != nil {
		return false, err
	}
	c.product = *p
	blocks, err := fs.Subscriptions.ProductBlocks(ctx, p.ProductID)
	if err != nil {
		return false, err
	}
	i := slices.IndexFunc(blocks, func(b subscription.ProductBlock) bool { return b.Name == c.port.Name })
	if i < 0 {
		return false, fmt.Errorf("product %q exists without its %q block: not the example's catalogue", c.product.Name, c.port.Name)
	}
	c.port = blocks[i]
	err = fs.Store().Bun().NewSelect().Model(&c.vlan).Where("resource_type = ?", c.vlan.ResourceType).Scan(ctx)
	if err != nil {
		return false, fmt.Errorf("resource type %q of product %q: %w", c.vlan.ResourceType, c.product.Name, err)
	}
	return true, nil
}

// createFiber builds the workflow. Each step loads the subscription tree
// through the step's session, changes it and saves it there.
func createFiber(c *catalogue, subs subscription.Store) orchestrator.Workflow {
	tree := func(ctx context.Context, s *store.Session, st orchestrator.State) (*subscription.Tree, error) {
		id, err := uuid.Parse(fmt.Sprint(st["subscription_id"]))
		if err != nil {
			return nil, err
		}
		return subs.WithTx(s).Load(ctx, id)
	}
	return orchestrator.Workflow{Name: "create_fiber", Target: orchestrator.TargetCreate, Description: "Create a Fiber subscription",
		Steps: []orchestrator.Step{
			{Name: "Create subscription", Fn: func(ctx context.Context, s *store.Session, st orchestrator.State) (orchestrator.Result, error) {
				t := &subscription.Tree{
					Subscription: subscription.Subscription{Description: "Fiber for " + fmt.Sprint(st["customer"]), Status: subscription.Initial,
						ProductID: c.product.ProductID, CustomerID: fmt.Sprint(st["customer"])},
					Instances: []subscription.Instance{{ProductBlockID: c.port.ProductBlockID, Label: ptr("port")}},
				}
				if err := subs.WithTx(s).Save(ctx, t); err != nil {
					return orchestrator.Result{}, err
				}
				pid, _ := uuid.Parse(fmt.Sprint(st["process_id"]))
				if err := subs.WithTx(s).LinkProcess(ctx, pid, t.Subscription.SubscriptionID, "CREATE"); err != nil {
					return orchestrator.Result{}, err
				}
				st["subscription_id"] = t.Subscription.SubscriptionID.String()
				return orchestrator.Success(st), nil
			}},
			// The input is checked where it arrives: a resume's input is
			// merged only into the step that suspended, so a bad VLAN
			// suspends again for a new one. (Failing a later step instead
			// would leave no way to correct it: resuming a failed step
			// retries it without the new input, as WFO does.)
			{Name: "Ask for the VLAN", Fn: func(ctx context.Context, _ *store.Session, st orchestrator.State) (orchestrator.Result, error) {
				if _, resumed := orchestrator.UserInput(ctx); !resumed {
					return orchestrator.Suspend(st), nil
				}
				if vlan, ok := vlanOf(st); !ok || vlan < 1 || vlan > 4094 {
					st["vlan_error"] = fmt.Sprintf("vlan %v is not in 1..4094", st["vlan"])
					return orchestrator.Suspend(st), nil
				}
				delete(st, "vlan_error")
				return orchestrator.Success(st), nil
			}},
			{Name: "Provision port", Fn: func(ctx context.Context, s *store.Session, st orchestrator.State) (orchestrator.Result, error) {
				t, err := tree(ctx, s, st)
				if err != nil {
					return orchestrator.Result{}, err
				}
				vlan, ok := vlanOf(st)
				if !ok {
					return orchestrator.Fail(fmt.Errorf("no vlan in the state")), nil
				}
				t.Instances[0].Values = []subscription.Value{{ResourceTypeID: c.vlan.ResourceTypeID, Value: fmt.Sprint(vlan)}}
				t.Subscription.Status = subscription.Provisioning
				return orchestrator.Success(st), subs.WithTx(s).Save(ctx, t)
			}},
			{Name: "Activate subscription", Fn: func(ctx context.Context, s *store.Session, st orchestrator.State) (orchestrator.Result, error) {
				t, err := tree(ctx, s, st)
				if err != nil {
					return orchestrator.Result{}, err
				}
				now := s.Now()
				t.Subscription.Status, t.Subscription.Insync, t.Subscription.StartDate = subscription.Active, true, &now
				return orchestrator.Success(st), subs.WithTx(s).Save(ctx, t)
			}},
		}}
}

// vlanOf reads the VLAN from the state: the engine hands steps numbers as
// json.Number, exactly as they were written.
func vlanOf(st orchestrator.State) (int64, bool) {
	n, ok := st["vlan"].(json.Number)
	if !ok {
		return 0, false
	}
	v, err := n.Int64()
	return v, err == nil
}

func run(ctx context.Context, dsn string, out io.Writer) (err error) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	if dsn == "" {
		dir, err := os.MkdirTemp("", "flowstore-provisioning-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		dsn = "sqlite:" + filepath.Join(dir, "provisioning.db")
	}
	fs, err := flowstore.Open(ctx, dsn) // migrates
	if err != nil {
		return err
	}
	defer fs.Close()
	c, err := setup(ctx, fs)
	if err != nil {
		return err
	}
	engine, stop, err := startEngine(ctx, fs, createFiber(c, fs.Subscriptions))
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, stop()) }()

	pid, err := engine.Start(ctx, "create_fiber", orchestrator.State{"customer": "ACME"}, orchestrator.StartedBy("example"))
	if err != nil {
		return err
	}
	p, err := engine.RunProcess(ctx, pid)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "process %s is %s at %q\n", pid, p.LastStatus, *p.LastStep)
	p, err = engine.Resume(ctx, pid, orchestrator.State{"vlan": 100})
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "resumed with vlan 100: %s\n\nstep log:\n", p.LastStatus)
	steps, err := engine.Store().Steps(ctx, pid)
	if err != nil {
		return err
	}
	w := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	for _, s := range steps {
		fmt.Fprintf(w, "  %d\t%s\t%s\n", *s.Seq, s.Name, s.Status)
	}
	if err := w.Flush(); err != nil {
		return err
	}
	// The subscription this process created: its id is in the state the
	// last step left. (Searching by customer would find those of earlier
	// runs too.)
	var st struct {
		SubscriptionID uuid.UUID `json:"subscription_id"`
	}
	if err := json.Unmarshal(steps[len(steps)-1].State, &st); err != nil {
		return fmt.Errorf("the process state: %w", err)
	}
	t, err := fs.Subscriptions.Load(ctx, st.SubscriptionID)
	if err != nil {
		return err
	}
	active := 0
	for s, err := range fs.Subscriptions.AllSubscriptions(ctx, subscription.Filter{CustomerID: "ACME", Status: subscription.Active}) {
		if err != nil {
			return err
		}
		if s.ProductID == c.product.ProductID {
			active++
		}
	}
	fmt.Fprintf(out, "\nsubscription %q is %s, port vlan %s\n", t.Subscription.Description, t.Subscription.Status, t.Instances[0].Values[0].Value)
	fmt.Fprintf(out, "ACME has %d active Fiber %s (one per run of this example)\n", active, map[bool]string{true: "subscription", false: "subscriptions"}[active == 1])
	return nil
}

// startEngine makes an engine with the workflow registered and runs it in
// a goroutine. The engine runs its processes itself (RunProcess, Resume);
// the long poll interval keeps its Run from taking them first. Run must run
// all the same: it registers the engine every step is fenced on. stop
// cancels Run's context and waits for Run to return, which is how every
// long-running part of flowstore stops.
func startEngine(ctx context.Context, fs *flowstore.DB, wf orchestrator.Workflow) (e *orchestrator.Engine, stop func() error, err error) {
	e, err = fs.NewEngine(orchestrator.WithPollInterval(time.Hour))
	if err != nil {
		return nil, nil, err
	}
	if err := e.Register(ctx, wf); err != nil {
		return nil, nil, err
	}
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- e.Run(ctx) }()
	return e, func() error {
		cancel()
		return <-done
	}, nil
}

func ptr[T any](v T) *T { return &v }
