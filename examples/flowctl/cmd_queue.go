package main

import (
	"context"
	"flag"
	"fmt"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/flowstore/flowstore/queue"
)

func init() {
	register(&command{
		name:  "queue",
		usage: "stats | list NAME [--status S] [--limit N] | push NAME [--reference R] [--data D] | requeue-stale NAME --older-than D: work queues",
		run:   runQueue,
	})
}

func runQueue(ctx context.Context, e *env, args []string) error {
	if len(args) == 0 {
		return usageError("missing subcommand")
	}
	sub, args := args[0], args[1:]
	switch sub {
	case "stats":
		return queueStats(ctx, e, args)
	case "list":
		return queueList(ctx, e, args)
	case "push":
		return queuePush(ctx, e, args)
	case "requeue-stale":
		return queueRequeueStale(ctx, e, args)
	}
	return usageError("unknown subcommand %q", sub)
}

// parseNamed parses "NAME [flags]" or "[flags] NAME": the queue name is the
// one positional argument.
func parseNamed(fs *flag.FlagSet, args []string) (string, error) {
	var name string
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		name, args = args[0], args[1:]
	}
	if err := fs.Parse(args); err != nil {
		return "", err
	}
	if name == "" && fs.NArg() > 0 {
		name = fs.Arg(0)
		if fs.NArg() > 1 {
			return "", usageError("unexpected arguments %q", fs.Args()[1:])
		}
	} else if fs.NArg() > 0 {
		return "", usageError("unexpected arguments %q", fs.Args())
	}
	if name == "" {
		return "", usageError("missing queue name")
	}
	return name, nil
}

func (e *env) queue(ctx context.Context) (queue.Store, error) {
	db, err := e.open(ctx)
	if err != nil {
		return nil, err
	}
	return db.Queue, nil
}

func queueStats(ctx context.Context, e *env, args []string) error {
	fs := e.flags("queue stats")
	if err := fs.Parse(args); err != nil {
		return err
	}
	q, err := e.queue(ctx)
	if err != nil {
		return err
	}
	counts, err := q.Counts(ctx)
	if err != nil {
		return err
	}
	if len(counts) == 0 {
		fmt.Fprintln(e.stdout, "no queues (a queue exists while it has elements)")
		return nil
	}
	w := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprint(w, "QUEUE\t")
	for _, s := range queue.Statuses() {
		fmt.Fprintf(w, "%s\t", s)
	}
	fmt.Fprintln(w, "TOTAL\t")
	names := make([]string, 0, len(counts))
	for n := range counts {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		fmt.Fprintf(w, "%s\t", n)
		total := 0
		for _, s := range queue.Statuses() {
			fmt.Fprintf(w, "%d\t", counts[n][s])
			total += counts[n][s]
		}
		fmt.Fprintf(w, "%d\t\n", total)
	}
	return w.Flush()
}

func queueList(ctx context.Context, e *env, args []string) error {
	fs := e.flags("queue list")
	status := fs.String("status", "", "only elements with this status (NEW, IN_PROGRESS, DONE, FAILED, ABANDONED)")
	limit := fs.Int("limit", 100, "at most this many elements, oldest first")
	name, err := parseNamed(fs, args)
	if err != nil {
		return err
	}
	f := queue.Filter{Queue: name, Limit: *limit, Count: true}
	if *status != "" {
		if f.Status, err = queue.ParseStatus(*status); err != nil {
			return usageError("%v", err)
		}
	}
	if *limit < 1 {
		return usageError("--limit must be at least 1")
	}
	q, err := e.queue(ctx)
	if err != nil {
		return err
	}
	page, err := q.List(ctx, f)
	if err != nil {
		return err
	}
	w := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "ID\tSTATUS\tREFERENCE\tCREATED\tSTARTED\tENDED\tMESSAGE")
	for _, el := range page.Elements {
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", el.ID, el.Status, el.Reference, stamp(el.CreatedDate), stamp(el.StartDate), stamp(el.EndDate), oneLine(el.Message))
	}
	if err := w.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "%d of %d elements\n", len(page.Elements), page.Total)
	return nil
}

func stamp(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.Format("2006-01-02 15:04:05Z")
}

func oneLine(s string) string {
	s = strings.ReplaceAll(s, "\n", " ")
	if r := []rune(s); len(r) > 60 {
		s = string(r[:59]) + "…"
	}
	return s
}

func queuePush(ctx context.Context, e *env, args []string) error {
	fs := e.flags("queue push")
	ref := fs.String("reference", "", "the element's reference")
	data := fs.String("data", "", "the element's data (often JSON)")
	by := fs.String("created-by", "flowctl", "recorded as created_by")
	name, err := parseNamed(fs, args)
	if err != nil {
		return err
	}
	q, err := e.queue(ctx)
	if err != nil {
		return err
	}
	el, err := q.Enqueue(ctx, name, queue.NewElement{Reference: *ref, Data: *data, CreatedBy: *by})
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "enqueued %s in %s\n", el.ID, name)
	return nil
}

func queueRequeueStale(ctx context.Context, e *env, args []string) error {
	fs := e.flags("queue requeue-stale")
	older := fs.Duration("older-than", 0, "requeue elements IN_PROGRESS for longer than this (e.g. 30m, 2h)")
	name, err := parseNamed(fs, args)
	if err != nil {
		return err
	}
	if *older <= 0 {
		return usageError("--older-than must be a positive duration")
	}
	q, err := e.queue(ctx)
	if err != nil {
		return err
	}
	n, err := q.RequeueStale(ctx, name, *older)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "requeued %d elements of %s that were IN_PROGRESS for more than %s\n", n, name, *older)
	return nil
}
