// Command flowctl administers a flowstore database: migrations, schema DDL,
// and (per package) the records flowstore keeps.
//
//	flowctl [--dsn DSN] COMMAND [ARGS]
//
// The DSN comes from --dsn, else the FLOWSTORE_DSN environment variable, else
// sqlite:flowstore.db. Run "flowctl help" for the command list.
//
// Each command lives in its own file and registers itself in init, so a new
// package's commands slot in without touching this one.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"iter"
	"os"
	"os/signal"
	"sort"
	"strings"

	"github.com/flowstore/flowstore"
)

// command is one flowctl subcommand ("migrate", "queue", …). A command with
// its own subcommands ("queue stats") parses them in run.
type command struct {
	name  string
	usage string // one line: arguments and what it does
	run   func(ctx context.Context, env *env, args []string) error
}

var commands = map[string]*command{}

func register(c *command) {
	if _, dup := commands[c.name]; dup {
		panic("flowctl: command registered twice: " + c.name)
	}
	commands[c.name] = c
}

// env is what a command runs with: the streams, the environment and the
// database, opened on first use.
type env struct {
	stdout, stderr io.Writer
	stdin          io.Reader
	getenv         func(string) string
	dsn            string
	db             *flowstore.DB
}

// errUsage makes run print the command's usage line and exit with status 2.
var errUsage = errors.New("usage")

func usageError(format string, args ...any) error {
	return fmt.Errorf("%w: %s", errUsage, fmt.Sprintf(format, args...))
}

// open opens (once) the database the DSN names, with every store bound to
// it. It never migrates: an administration tool changes the schema only when
// told to (migrate), and version must report the schema as it finds it.
// opts count on the first call only, which is the only one: a flowctl run
// runs one command, and a command opens once.
func (e *env) open(ctx context.Context, opts ...flowstore.Option) (*flowstore.DB, error) {
	if e.db != nil {
		return e.db, nil
	}
	db, err := flowstore.Open(ctx, e.dsn, append([]flowstore.Option{flowstore.WithoutMigrate()}, opts...)...)
	if err != nil {
		return nil, err
	}
	e.db = db
	return db, nil
}

// flags returns a FlagSet for a command that reports errors instead of
// exiting, and accepts --dsn after the command name as well.
func (e *env) flags(name string) *flag.FlagSet {
	fs := flag.NewFlagSet("flowctl "+name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	fs.StringVar(&e.dsn, "dsn", e.dsn, "database DSN (default $FLOWSTORE_DSN or sqlite:flowstore.db)")
	return fs
}

func defaultDSN(getenv func(string) string) string {
	if v := getenv("FLOWSTORE_DSN"); v != "" {
		return v
	}
	return "sqlite:flowstore.db"
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr, os.Getenv)
	stop()
	os.Exit(code)
}

// run is main without the process: tests call it with buffers.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) int {
	e := &env{stdout: stdout, stderr: stderr, stdin: stdin, getenv: getenv, dsn: defaultDSN(getenv)}
	defer func() {
		if e.db != nil {
			_ = e.db.Close()
		}
	}()
	top := e.flags("")
	top.Usage = func() { printUsage(stderr) }
	if err := top.Parse(args); err != nil {
		return 2
	}
	args = top.Args()
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" {
		printUsage(stdout)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	c, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "flowctl: unknown command %q\n", args[0])
		printUsage(stderr)
		return 2
	}
	if err := c.run(ctx, e, args[1:]); err != nil {
		if errors.Is(err, errUsage) || errors.Is(err, flag.ErrHelp) {
			if !errors.Is(err, flag.ErrHelp) {
				fmt.Fprintf(stderr, "flowctl %s: %v\n", c.name, strings.TrimPrefix(err.Error(), "usage: "))
			}
			fmt.Fprintf(stderr, "usage: flowctl %s %s\n", c.name, c.usage)
			return 2
		}
		fmt.Fprintf(stderr, "flowctl %s: %v\n", c.name, err)
		return 1
	}
	return 0
}

func printUsage(w io.Writer) {
	fmt.Fprintln(w, "usage: flowctl [--dsn DSN] COMMAND [ARGS]")
	fmt.Fprintln(w, "\nThe DSN defaults to $FLOWSTORE_DSN, else sqlite:flowstore.db.\n\ncommands:")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-12s %s\n", n, commands[n].usage)
	}
}

// upTo yields the first n values of seq, or all of them when n is 0 (what
// --limit 0 means in flowctl's list commands). It stops seq as soon as it
// has n, so a store's iterator reads no page beyond.
func upTo[T any](seq iter.Seq2[T, error], n int) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		i := 0
		for v, err := range seq {
			if !yield(v, err) {
				return
			}
			// Stop here, not at the next value: fetching it may cost a query.
			if i++; i == n {
				return
			}
		}
	}
}
