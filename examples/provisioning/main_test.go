package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
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
