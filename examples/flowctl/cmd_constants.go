package main

import (
	"context"
	"fmt"
	"text/tabwriter"
	"time"
)

func init() {
	register(&command{name: "constants", usage: "get NAME | set NAME VALUE | list [--json] | delete NAME: OpenOrchestrator constants", run: runConstants})
}

func runConstants(ctx context.Context, e *env, args []string) error {
	fs := e.flags("constants")
	asJSON := jsonFlag(fs)
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) == 0 {
		return usageError("missing subcommand")
	}
	sub, pos := pos[0], pos[1:]
	want := map[string]int{"get": 1, "set": 2, "list": 0, "delete": 1}
	n, ok := want[sub]
	if !ok {
		return usageError("unknown subcommand %q", sub)
	}
	if len(pos) != n {
		return usageError("constants %s takes %d argument(s)", sub, n)
	}
	db, err := e.open(ctx)
	if err != nil {
		return err
	}
	cs := db.Constants
	switch sub {
	case "get":
		c, err := cs.Get(ctx, pos[0])
		if err != nil {
			return err
		}
		fmt.Fprintln(e.stdout, c.Value)
	case "set":
		if err := cs.Set(ctx, pos[0], pos[1]); err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "constant %s set\n", pos[0])
	case "delete":
		if err := cs.Delete(ctx, pos[0]); err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "constant %s deleted\n", pos[0])
	case "list":
		list, err := cs.List(ctx)
		if err != nil {
			return err
		}
		if *asJSON {
			type constantJSON struct {
				Name      string     `json:"name"`
				Value     string     `json:"value"`
				ChangedAt *time.Time `json:"changed_at"`
			}
			out := make([]constantJSON, 0, len(list))
			for _, c := range list {
				out = append(out, constantJSON{Name: c.Name, Value: c.Value, ChangedAt: e.ooJSON(c.ChangedAt)})
			}
			return e.writeJSON(map[string]any{"constants": out})
		}
		tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "NAME\tVALUE\tCHANGED")
		for _, c := range list {
			fmt.Fprintf(tw, "%s\t%s\t%s\n", c.Name, c.Value, e.ooTime(c.ChangedAt))
		}
		return tw.Flush()
	}
	return nil
}
