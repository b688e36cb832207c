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
	"github.com/google/uuid"
)

func init() {
	register(&command{
		name:  "queue",
		usage: "stats | list | push | claim | finish | delete | prune | requeue-stale: OpenOrchestrator work queues",
		help:  queueUsage,
		run:   runQueue,
	})
}

const queueUsage = `flowctl queue stats [--json]
flowctl queue list NAME [--status S] [--limit N] [--json]
flowctl queue push NAME [--reference R] [--data D] [--created-by B]
flowctl queue claim NAME [--reference R] [--json]       take the oldest NEW element (IN_PROGRESS)
flowctl queue finish ELEMENT [--status DONE|FAILED|ABANDONED] [--message M] [--queue NAME]
flowctl queue delete ELEMENT [--queue NAME]
flowctl queue prune [NAME] --older-than D | --before TIME   delete finished elements (every queue without NAME)
flowctl queue requeue-stale NAME --older-than D
ELEMENT is an element's id or a unique prefix of it (--queue: among that
queue's elements; finish looks among IN_PROGRESS elements). Times are printed in
the database's zone (DSN timezone=, default the local zone) with their offset.`

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
	case "claim":
		return queueClaim(ctx, e, args)
	case "finish":
		return queueFinish(ctx, e, args)
	case "delete":
		return queueDelete(ctx, e, args)
	case "prune":
		return queuePrune(ctx, e, args)
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
	asJSON := jsonFlag(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError("unexpected argument %q", fs.Arg(0))
	}
	q, err := e.queue(ctx)
	if err != nil {
		return err
	}
	counts, err := q.Counts(ctx)
	if err != nil {
		return err
	}
	if *asJSON {
		out := map[string]map[string]int{}
		for n, c := range counts {
			out[n] = map[string]int{}
			for _, st := range queue.Statuses() {
				out[n][string(st)] = c[st]
			}
		}
		return e.writeJSON(map[string]any{"queues": out})
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
	asJSON := jsonFlag(fs)
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
	if *asJSON {
		out := make([]elementJSON, 0, len(page.Elements))
		for _, el := range page.Elements {
			out = append(out, e.elementJSON(el))
		}
		return e.writeJSON(map[string]any{"queue": name, "elements": out, "total": page.Total})
	}
	w := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "ID\tSTATUS\tREFERENCE\tCREATED\tSTARTED\tENDED\tMESSAGE")
	for _, el := range page.Elements {
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", el.ID, el.Status, el.Reference, e.ooTime(el.CreatedDate), e.ooTime(el.StartDate), e.ooTime(el.EndDate), oneLine(el.Message))
	}
	if err := w.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "%d of %d elements\n", len(page.Elements), page.Total)
	return nil
}

// elementJSON is a queue element in --json output.
type elementJSON struct {
	ID        string     `json:"id"`
	Queue     string     `json:"queue"`
	Status    string     `json:"status"`
	Reference string     `json:"reference"`
	Data      string     `json:"data"`
	Message   string     `json:"message"`
	CreatedBy string     `json:"created_by"`
	Created   *time.Time `json:"created_date"`
	Started   *time.Time `json:"start_date"`
	Ended     *time.Time `json:"end_date"`
}

func (e *env) elementJSON(el queue.Element) elementJSON {
	return elementJSON{ID: el.ID.String(), Queue: el.QueueName, Status: string(el.Status), Reference: el.Reference,
		Data: el.Data, Message: el.Message, CreatedBy: el.CreatedBy,
		Created: e.ooJSON(el.CreatedDate), Started: e.ooJSON(el.StartDate), Ended: e.ooJSON(el.EndDate)}
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

func queueClaim(ctx context.Context, e *env, args []string) error {
	fs := e.flags("queue claim")
	ref := fs.String("reference", "", "claim the oldest NEW element with exactly this reference")
	asJSON := jsonFlag(fs)
	name, err := parseNamed(fs, args)
	if err != nil {
		return err
	}
	q, err := e.queue(ctx)
	if err != nil {
		return err
	}
	var el queue.Element
	if *ref != "" {
		el, err = q.ClaimReference(ctx, name, *ref)
	} else {
		el, err = q.Claim(ctx, name)
	}
	if err != nil {
		return err
	}
	if *asJSON {
		return e.writeJSON(e.elementJSON(el))
	}
	fmt.Fprintf(e.stdout, "claimed %s (reference %q), IN_PROGRESS since %s\n", el.ID, el.Reference, e.ooTime(el.StartDate))
	if el.Data != "" {
		fmt.Fprintf(e.stdout, "data: %s\n", el.Data)
	}
	return nil
}

func queueFinish(ctx context.Context, e *env, args []string) error {
	fs := e.flags("queue finish")
	inQueue := fs.String("queue", "", "look for an id prefix among this queue's elements only")
	status := fs.String("status", "DONE", "the final status: DONE, FAILED or ABANDONED")
	message := fs.String("message", "", "the element's message (kept as it is when empty)")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usageError("finish needs one ELEMENT: its id or a unique id prefix")
	}
	st, err := queue.ParseStatus(*status)
	if err != nil {
		return usageError("%v", err)
	}
	if !st.Final() {
		return usageError("--status %s is not a final status (DONE, FAILED or ABANDONED)", st)
	}
	q, err := e.queue(ctx)
	if err != nil {
		return err
	}
	// Only an IN_PROGRESS element can be finished: those are the ones a
	// prefix is looked for among.
	id, err := resolveElement(ctx, q, pos[0], *inQueue, queue.StatusInProgress)
	if err != nil {
		return err
	}
	if err := q.Finish(ctx, id, queue.Result{Status: st, Message: *message}); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "element %s is %s\n", id, st)
	return nil
}

func queueDelete(ctx context.Context, e *env, args []string) error {
	fs := e.flags("queue delete")
	inQueue := fs.String("queue", "", "look for an id prefix among this queue's elements only")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usageError("delete needs one ELEMENT: its id or a unique id prefix")
	}
	q, err := e.queue(ctx)
	if err != nil {
		return err
	}
	id, err := resolveElement(ctx, q, pos[0], *inQueue, "")
	if err != nil {
		return err
	}
	if err := q.Delete(ctx, id); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "element %s deleted\n", id)
	return nil
}

func queuePrune(ctx context.Context, e *env, args []string) error {
	fs := e.flags("queue prune")
	older := fs.Duration("older-than", 0, "delete finished elements that ended longer ago than this (e.g. 720h)")
	var before timeFlag
	fs.Var(&before, "before", "delete finished elements that ended before this RFC 3339 time")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 1 {
		return usageError("prune takes at most one queue NAME")
	}
	if (*older > 0) == !before.t.IsZero() {
		return usageError("prune needs one of --older-than D (positive) or --before TIME")
	}
	name := ""
	if len(pos) == 1 {
		name = pos[0]
	}
	db, err := e.open(ctx)
	if err != nil {
		return err
	}
	cut := before.t
	if *older > 0 {
		cut = db.Store().Now().Add(-*older)
	}
	n, err := db.Queue.Prune(ctx, name, cut)
	if err != nil {
		return err
	}
	where := "every queue"
	if name != "" {
		where = name
	}
	fmt.Fprintf(e.stdout, "pruned %d finished elements of %s that ended before %s\n", n, where, e.ooTime(cut))
	return nil
}

// resolveElement finds the element a user named by its id or a unique
// prefix of it, among the elements of one queue ("" for all) and status (""
// for all). A prefix reads the ids of those elements, a page at a time: the
// Queues table has no index on the id's text, so narrowing by queue and
// status is what keeps the scan short.
func resolveElement(ctx context.Context, q queue.Store, what, name string, status queue.Status) (uuid.UUID, error) {
	return resolve("queue element", what, false, func(yield func(candidate, error) bool) {
		for el, err := range q.All(ctx, queue.Filter{Queue: name, Status: status, Limit: 1000}) {
			if !yield(candidate{id: el.ID, label: el.QueueName + " " + el.Reference}, err) || err != nil {
				return
			}
		}
	})
}
