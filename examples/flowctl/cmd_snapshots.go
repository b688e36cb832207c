package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strings"

	"github.com/flowstore/flowstore/store/correlation"
	"github.com/flowstore/flowstore/store/snapshot"
)

func init() {
	register(&command{
		name:  "snapshots",
		usage: "list --process-id P [--process-version V] [--json] | show ID [--out FILE]: Kogito process-instance snapshots",
		run:   runSnapshots,
	})
	register(&command{
		name:  "correlations",
		usage: "find KEY=VALUE…: the correlation Kogito stores for these key/values",
		run:   runCorrelations,
	})
}

func runSnapshots(ctx context.Context, e *env, args []string) error {
	if len(args) == 0 {
		return usageError("missing subcommand (list or show)")
	}
	switch args[0] {
	case "list":
		return snapshotsList(ctx, e, args[1:])
	case "show":
		return snapshotsShow(ctx, e, args[1:])
	}
	return usageError("unknown subcommand %q (want list or show)", args[0])
}

// optionalString is a flag that knows whether it was given: an absent
// --process-version means the unversioned definition (IS NULL), which is not
// the same as --process-version "".
type optionalString struct {
	set   bool
	value string
}

func (o *optionalString) String() string { return o.value }
func (o *optionalString) Set(v string) error {
	o.set, o.value = true, v
	return nil
}

func snapshotsList(ctx context.Context, e *env, args []string) error {
	fs := e.flags("snapshots list")
	processID := fs.String("process-id", "", "process definition id (required)")
	var version optionalString
	fs.Var(&version, "process-version", "process definition version (absent: the unversioned definition)")
	asJSON := jsonFlag(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *processID == "" || fs.NArg() > 0 {
		return usageError("snapshots list needs --process-id and no arguments")
	}
	p := snapshot.Unversioned(*processID)
	if version.set {
		p = snapshot.Versioned(*processID, version.value)
	}
	snaps, err := openSnapshots(ctx, e)
	if err != nil {
		return err
	}
	ids, err := snaps.IDs(ctx, p)
	if err != nil {
		return err
	}
	if *asJSON {
		if ids == nil {
			ids = []string{}
		}
		return e.writeJSON(map[string]any{"process_id": *processID, "process_version": version.value, "ids": ids})
	}
	for _, id := range ids {
		fmt.Fprintln(e.stdout, id)
	}
	fmt.Fprintf(e.stderr, "%d snapshot(s) of %s\n", len(ids), p)
	return nil
}

func snapshotsShow(ctx context.Context, e *env, args []string) error {
	fs := e.flags("snapshots show")
	out := fs.String("out", "", "write the (decoded) payload to this file")
	if err := parseInterleaved(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usageError("snapshots show needs exactly one snapshot id")
	}
	id := fs.Arg(0)
	snaps, err := openSnapshots(ctx, e)
	if err != nil {
		return err
	}
	info, err := snaps.Stat(ctx, id)
	if err != nil {
		return err
	}
	version := "(none)"
	if info.ProcessVersion != nil {
		version = fmt.Sprintf("%q", *info.ProcessVersion)
	}
	codec := info.Codec
	if codec == "" {
		codec = "(none)"
	}
	w := e.stdout
	fmt.Fprintf(w, "id:               %s\n", info.ID)
	fmt.Fprintf(w, "process id:       %s\n", info.ProcessID)
	fmt.Fprintf(w, "process version:  %s\n", version)
	fmt.Fprintf(w, "version:          %d\n", info.Version)
	fmt.Fprintf(w, "stored size:      %d bytes\n", info.StoredSize)
	fmt.Fprintf(w, "payload codec:    %s\n", codec)
	if info.BusinessKey != "" {
		fmt.Fprintf(w, "business key:     %s\n", info.BusinessKey)
	}
	if len(info.EventTypes) > 0 {
		fmt.Fprintf(w, "waiting for:      %s\n", strings.Join(info.EventTypes, ", "))
	}
	if *out == "" {
		return nil
	}
	s, err := snaps.Get(ctx, id)
	if err != nil {
		return err
	}
	if err := os.WriteFile(*out, s.Payload, 0o600); err != nil {
		return err
	}
	fmt.Fprintf(w, "payload:          %d bytes written to %s\n", len(s.Payload), *out)
	return nil
}

func runCorrelations(ctx context.Context, e *env, args []string) error {
	if len(args) == 0 || args[0] != "find" {
		return usageError("missing subcommand find")
	}
	fs := e.flags("correlations find")
	if err := parseInterleaved(fs, args[1:]); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		return usageError("correlations find needs at least one KEY=VALUE")
	}
	parts := make([]correlation.Part, 0, fs.NArg())
	for _, kv := range fs.Args() {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return usageError("%q is not KEY=VALUE", kv)
		}
		parts = append(parts, correlation.Part{Key: k, Value: v})
	}
	encoded := correlation.Encode(parts...)
	db, err := e.open(ctx)
	if err != nil {
		return err
	}
	c, err := db.Correlations.FindByEncodedID(ctx, encoded)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "encoded id:       %s\n", c.EncodedID)
	fmt.Fprintf(e.stdout, "correlated id:    %s\n", c.CorrelatedID)
	for _, p := range c.Parts {
		fmt.Fprintf(e.stdout, "  %s = %s\n", p.Key, p.Value)
	}
	return nil
}

// openSnapshots opens the snapshot store. It has no codec for writing
// (flowctl only reads) and reads gzip rows; rows of other codecs are shown
// by Stat but their payload cannot be written out.
func openSnapshots(ctx context.Context, e *env) (snapshot.Store, error) {
	db, err := e.open(ctx)
	if err != nil {
		return nil, err
	}
	return db.Snapshots, nil
}

// parseInterleaved parses flags that may come before or after positional
// arguments ("show ID --out f" as well as "show --out f ID").
func parseInterleaved(fs *flag.FlagSet, args []string) error {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			return err
		}
		if fs.NArg() == 0 {
			break
		}
		positional = append(positional, fs.Arg(0))
		args = fs.Args()[1:]
	}
	return fs.Parse(append([]string{"--"}, positional...))
}
