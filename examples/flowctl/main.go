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
	"github.com/flowstore/flowstore/store"
)

// command is one flowctl subcommand ("migrate", "queue", …). A command with
// its own subcommands ("queue stats") parses them in run.
type command struct {
	name  string
	usage string // one line: arguments and what it does
	// help is the full usage, one line per subcommand with its flags, that
	// "flowctl help NAME", "flowctl NAME --help" and a usage error print;
	// "" prints usage.
	help string
	// mayCreate lets the command create the database (migrate): every
	// other command opens only a database that exists.
	mayCreate bool
	run       func(ctx context.Context, env *env, args []string) error
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
	dsnGiven       bool // --dsn or $FLOWSTORE_DSN named the database
	cmd            *command
	db             *flowstore.DB

	// The FlagSet a command parsed last, to print its flags with the
	// command's help, and whether parsing it failed (a usage error).
	lastFlags  *flag.FlagSet
	flagFailed bool
}

// errUsage makes run print the command's usage and exit with status 2.
var errUsage = errors.New("usage")

func usageError(format string, args ...any) error {
	return fmt.Errorf("%w: %s", errUsage, fmt.Sprintf(format, args...))
}

// open opens (once) the database the DSN names, with every store bound to
// it. It never migrates: an administration tool changes the schema only when
// told to (migrate). Only a command that may create the database (migrate)
// opens a SQLite file that is not there yet; for the others a mistyped path
// is an error, not a new empty file.
//
// A database that is not (fully) migrated is refused here, once, with
// store.ErrNotMigrated, instead of failing later with the text of the
// first query that meets a missing table. Commands that report the schema
// as they find it (version) open with openAnySchema.
//
// opts count on the first call only, which is the only one: a flowctl run
// runs one command, and a command opens once.
func (e *env) open(ctx context.Context, opts ...flowstore.Option) (*flowstore.DB, error) {
	if e.db != nil {
		return e.db, nil
	}
	db, err := e.openAnySchema(ctx, opts...)
	if err != nil {
		return nil, err
	}
	if e.cmd != nil && e.cmd.mayCreate {
		return db, nil
	}
	v, err := db.Store().SchemaVersion(ctx)
	if err != nil {
		return nil, err
	}
	switch latest := store.LatestSchemaVersion(); {
	case v == 0:
		return nil, store.ErrNotMigrated
	case v < latest:
		return nil, fmt.Errorf("schema at version %d of %d: %w", v, latest, store.ErrNotMigrated)
	}
	return db, nil
}

// openAnySchema is open without the schema check.
func (e *env) openAnySchema(ctx context.Context, opts ...flowstore.Option) (*flowstore.DB, error) {
	if e.db != nil {
		return e.db, nil
	}
	all := []flowstore.Option{flowstore.WithoutMigrate()}
	if e.cmd == nil || !e.cmd.mayCreate {
		all = append(all, flowstore.WithStoreOptions(store.WithExisting()))
	}
	db, err := flowstore.Open(ctx, e.dsn, append(all, opts...)...)
	if err != nil {
		return nil, err
	}
	e.db = db
	return db, nil
}

// flags returns a FlagSet for a command that reports errors instead of
// exiting or printing, and accepts --dsn after the command name as well.
// run prints what went wrong, once, with the command's help.
func (e *env) flags(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(strings.TrimSpace("flowctl "+name), flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	// Usage runs on -h and on every parse error; ErrHelp tells them apart.
	fs.Usage = func() { e.flagFailed = true }
	fs.Func("dsn", "database DSN (default $FLOWSTORE_DSN, else sqlite:flowstore.db)", func(s string) error {
		e.dsn, e.dsnGiven = s, true
		return nil
	})
	e.lastFlags = fs
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

// isHelp reports whether arg asks for help ("help", "-h", "--help").
func isHelp(arg string) bool {
	switch arg {
	case "help", "-h", "-help", "--help":
		return true
	}
	return false
}

// run is main without the process: tests call it with buffers.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) int {
	e := &env{stdout: stdout, stderr: stderr, stdin: stdin, getenv: getenv, dsn: defaultDSN(getenv), dsnGiven: getenv("FLOWSTORE_DSN") != ""}
	defer func() {
		if e.db != nil {
			_ = e.db.Close()
		}
	}()
	top := e.flags("")
	if err := top.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			printUsage(stdout)
			return 0
		}
		fmt.Fprintf(stderr, "flowctl: %v\n", err)
		printUsage(stderr)
		return 2
	}
	args = top.Args()
	if len(args) == 0 {
		printUsage(stderr)
		return 2
	}
	if isHelp(args[0]) {
		if len(args) == 1 {
			printUsage(stdout)
			return 0
		}
		c, ok := commands[args[1]]
		if !ok {
			fmt.Fprintf(stderr, "flowctl help: unknown command %q\n", args[1])
			printUsage(stderr)
			return 2
		}
		printHelp(stdout, c, nil)
		return 0
	}
	c, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "flowctl: unknown command %q\n", args[0])
		printUsage(stderr)
		return 2
	}
	if len(args) > 1 && isHelp(args[1]) {
		printHelp(stdout, c, nil)
		return 0
	}
	e.cmd = c
	e.lastFlags = nil
	err := c.run(ctx, e, args[1:])
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		printHelp(stdout, c, e.lastFlags)
		return 0
	case errors.Is(err, errUsage) || e.flagFailed:
		fmt.Fprintf(stderr, "flowctl %s: %s\n", c.name, strings.TrimPrefix(err.Error(), errUsage.Error()+": "))
		printHelp(stderr, c, e.lastFlags)
		return 2
	case errors.Is(err, store.ErrNotMigrated):
		// Whatever the layer that met the missing table, the user needs
		// one sentence: what to run. The driver's text would add nothing.
		fmt.Fprintf(stderr, "flowctl %s: %s\n", c.name, notMigratedText(err))
		return 1
	}
	fmt.Fprintf(stderr, "flowctl %s: %v\n", c.name, err)
	return 1
}

// notMigratedText is the message of an ErrNotMigrated error without the
// driver's text that may follow the sentinel ("…: no such table: Queues").
func notMigratedText(err error) string {
	msg := err.Error()
	s := store.ErrNotMigrated.Error()
	if i := strings.Index(msg, s); i >= 0 {
		return msg[:i+len(s)]
	}
	return msg
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
		fmt.Fprintf(w, "  %-13s %s\n", n, commands[n].usage)
	}
	fmt.Fprintln(w, "\nflowctl help COMMAND (or flowctl COMMAND --help) prints a command's subcommands and flags.")
}

// printHelp prints a command's help and, when a subcommand's flags were
// being parsed, those flags.
func printHelp(w io.Writer, c *command, fs *flag.FlagSet) {
	if c.help != "" {
		fmt.Fprintf(w, "usage:\n%s\n", indent(c.help))
	} else {
		fmt.Fprintf(w, "usage: flowctl %s %s\n", c.name, c.usage)
	}
	if fs == nil {
		fmt.Fprintln(w, "\nEvery command also takes --dsn DSN.")
		return
	}
	fmt.Fprintf(w, "\nflags of %s:\n", fs.Name())
	fs.SetOutput(w)
	fs.PrintDefaults()
	fs.SetOutput(io.Discard)
}

func indent(s string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	for i, l := range lines {
		lines[i] = "  " + l
	}
	return strings.Join(lines, "\n")
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
