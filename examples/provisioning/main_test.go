package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/flowstore/flowstore"
	"github.com/flowstore/flowstore/orchestrator"
	"github.com/flowstore/flowstore/orchestrator/subscription"
)

// TestProvisioningRuns runs the example end to end on a SQLite file and
// checks the step log it prints.
func TestProvisioningRuns(t *testing.T) {
	var out bytes.Buffer
	if err := run(context.Background(), "sqlite:"+filepath.Join(t.TempDir(), "p.db"), &out); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		`is suspended at "Ask for the VLAN"`,
		"resumed with vlan 100: completed",
		"1  Create subscription    success",
		"2  Ask for the VLAN       suspend",
		"3  Ask for the VLAN       success",
		"4  Provision port         success",
		"5  Activate subscription  success",
		"6  Done                   complete",
		`subscription "Fiber for ACME" is active, port vlan 100`,
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
}

// TestBadVLANAsksAgain: a VLAN out of range suspends the input step again,
// and the next resume's VLAN is the one used.
func TestBadVLANAsksAgain(t *testing.T) {
	ctx := context.Background()
	fs, err := flowstore.Open(ctx, "sqlite:"+filepath.Join(t.TempDir(), "p.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer fs.Close()
	c, err := setup(ctx, fs)
	if err != nil {
		t.Fatal(err)
	}
	e, stop, err := startEngine(ctx, fs, createFiber(c, fs.Subscriptions))
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := stop(); err != nil {
			t.Errorf("stop the engine: %v", err)
		}
	}()
	pid, err := e.Start(ctx, "create_fiber", orchestrator.State{"customer": "ACME"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.RunProcess(ctx, pid); err != nil {
		t.Fatal(err)
	}
	p, err := e.Resume(ctx, pid, orchestrator.State{"vlan": 5000})
	if err != nil || p.LastStatus != orchestrator.StatusSuspended || *p.LastStep != "Ask for the VLAN" {
		t.Fatalf("bad vlan: %v, %v; want suspended at the question again", p, err)
	}
	p, err = e.Resume(ctx, pid, orchestrator.State{"vlan": 7})
	if err != nil || p.LastStatus != orchestrator.StatusCompleted {
		t.Fatalf("good vlan: %v, %v", p, err)
	}
	found, err := fs.Subscriptions.Search(ctx, subscription.Filter{CustomerID: "ACME", Status: subscription.Active, Limit: 2})
	if err != nil || len(found) != 1 {
		t.Fatalf("search: %v, %v", found, err)
	}
	tr, err := fs.Subscriptions.Load(ctx, found[0].SubscriptionID)
	if err != nil || tr.Instances[0].Values[0].Value != "7" {
		t.Fatalf("subscription %+v, %v", tr, err)
	}
}
