package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"time"

	"golang.org/x/term"

	"github.com/flowstore/flowstore/store"
)

func init() {
	register(&command{name: "migrate", mayCreate: true,
		usage: "[--adopt]: apply pending migrations; --adopt keeps reference tables another system already created",
		help: `flowctl migrate [--adopt]
  --adopt  keep the reference tables an OpenOrchestrator, Kogito or WFO database already has, with their rows
Creates a SQLite file that does not exist yet; prints each migration applied and how long it took.`,
		run: runMigrate})
	register(&command{name: "schema", usage: "--dialect D: print the full DDL of a dialect (sqlite, postgres, sqlserver, mysql)", run: runSchema})
	register(&command{name: "version", usage: "print the library's version and, with --dsn or $FLOWSTORE_DSN, the database's schema version", run: runVersion})
}

// progressEvery is how often migrate reports a migration still running.
var progressEvery = 2 * time.Second

func runMigrate(ctx context.Context, e *env, args []string) error {
	fs := e.flags("migrate")
	adopt := fs.Bool("adopt", false, "keep the reference tables that already exist (an OpenOrchestrator, Kogito or WFO database) and add the rest")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError("unexpected argument %q", fs.Arg(0))
	}
	db, err := e.open(ctx)
	if err != nil {
		return err
	}
	// Migrations work on the database itself, below the stores.
	sdb := db.Store()
	before, err := sdb.SchemaVersion(ctx)
	if err != nil {
		return err
	}
	migrate := sdb.Migrate
	if *adopt {
		migrate = sdb.Adopt
	}
	start := time.Now()
	stopProgress := e.progress(ctx, sdb, before, start)
	err = migrate(ctx)
	stopProgress()
	if err != nil {
		return err
	}
	applied, err := appliedSince(ctx, sdb, before)
	if err != nil {
		return err
	}
	if err := e.checkAlembic(ctx, sdb); err != nil {
		return err
	}
	if len(applied) == 0 {
		fmt.Fprintf(e.stdout, "schema is up to date at version %d (%s)\n", before, db.SQLDialect())
		return nil
	}
	prev := start
	for _, m := range applied {
		took := m.at.Sub(prev)
		if took < 0 { // the database clock and ours disagree a little
			took = 0
		}
		prev = m.at
		fmt.Fprintf(e.stdout, "applied %04d_%s in %s\n", m.version, m.name, took.Round(time.Millisecond))
	}
	fmt.Fprintf(e.stdout, "migrated %s schema from version %d to %d in %s\n", db.SQLDialect(), before, applied[len(applied)-1].version,
		time.Since(start).Round(time.Millisecond))
	return nil
}

// checkAlembic says so when OpenOrchestrator's schema stamp names another
// revision than the one flowstore's OpenOrchestrator tables match: its
// programs then expect a schema flowstore does not know (a newer one, after
// an OpenOrchestrator upgrade), and both sides should be checked before
// they share the database.
func (e *env) checkAlembic(ctx context.Context, sdb *store.DB) error {
	rev, err := sdb.AlembicRevision(ctx)
	if err != nil || rev == "" || rev == store.OpenOrchestratorRevision {
		return err
	}
	fmt.Fprintf(e.stderr, "warning: alembic_version says OpenOrchestrator's schema is at revision %s, but flowstore's OpenOrchestrator tables match %s: "+
		"OpenOrchestrator has moved past what this flowstore knows; check its migrations before both use this database\n", rev, store.OpenOrchestratorRevision)
	return nil
}

type appliedMigration struct {
	version int
	name    string
	at      time.Time
}

// appliedSince reads the migrations recorded after version, in order, with
// the time each was recorded (its end: the store clock when it committed).
func appliedSince(ctx context.Context, sdb *store.DB, version int) ([]appliedMigration, error) {
	rows, err := sdb.SQL().QueryContext(ctx, sdb.SQLDialect().Rebind(
		`SELECT version, name, applied_at FROM flowstore_migrations WHERE version > ? ORDER BY version`), version)
	if err != nil {
		return nil, fmt.Errorf("read applied migrations: %w", sdb.SQLDialect().Classify(err))
	}
	defer rows.Close()
	var out []appliedMigration
	for rows.Next() {
		var m appliedMigration
		if err := rows.Scan(&m.version, &m.name, &m.at); err != nil {
			return nil, fmt.Errorf("read applied migrations: %w", sdb.SQLDialect().Classify(err))
		}
		out = append(out, m)
	}
	return out, sdb.SQLDialect().Classify(rows.Err())
}

// progress reports a long migration while it runs: every progressEvery,
// which version the schema has reached and for how long migrate has run —
// on a terminal as one line updated in place, elsewhere (CI, a pipe) as
// plain lines. A quick migrate prints nothing here. The returned func
// stops it and ends the line.
func (e *env) progress(ctx context.Context, sdb *store.DB, before int, start time.Time) func() {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	tty := isTerminal(e.stderr)
	printed := false
	go func() {
		defer close(done)
		tick := time.NewTicker(progressEvery)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			// Another connection: what committed so far. A migration
			// whose DDL is in one transaction shows when it is done.
			v, err := sdb.SchemaVersion(ctx)
			if ctx.Err() != nil {
				return // migrate ended while this poll waited
			}
			if err != nil {
				v = before
			}
			msg := fmt.Sprintf("migrating: at version %d, running migration %04d, %s elapsed", v, v+1, time.Since(start).Round(time.Second))
			if tty {
				fmt.Fprintf(e.stderr, "\r\x1b[K%s", msg)
			} else {
				fmt.Fprintln(e.stderr, msg)
			}
			printed = true
		}
	}()
	return func() {
		cancel()
		<-done
		if tty && printed {
			fmt.Fprintln(e.stderr)
		}
	}
}

// isTerminal reports whether w is a terminal (so a progress line may be
// rewritten in place).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

func runSchema(_ context.Context, e *env, args []string) error {
	fs := e.flags("schema")
	dialect := fs.String("dialect", "sqlite", "sqlite, postgres, sqlserver or mysql")
	if err := fs.Parse(args); err != nil {
		return err
	}
	d, err := store.ParseDialectName(*dialect)
	if err != nil {
		return usageError("%v", err)
	}
	ddl, err := store.SchemaSQL(d)
	if err != nil {
		return err
	}
	_, err = fmt.Fprint(e.stdout, ddl)
	return err
}

// module is the flowstore module's path, whose version version reports.
const module = "github.com/flowstore/flowstore"

// libraryVersion is the flowstore module's version in a build's info: the
// main module's when flowctl is built inside flowstore, else the
// dependency's; "(devel)" when the build does not say.
func libraryVersion(info *debug.BuildInfo, ok bool) string {
	if !ok || info == nil {
		return "(devel)"
	}
	mods := append([]*debug.Module{&info.Main}, info.Deps...)
	for _, m := range mods {
		if m == nil || m.Path != module {
			continue
		}
		if m.Replace != nil && m.Replace.Version != "" {
			return m.Replace.Version
		}
		if m.Version != "" {
			return m.Version
		}
	}
	return "(devel)"
}

func runVersion(ctx context.Context, e *env, args []string) error {
	fs := e.flags("version")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError("unexpected argument %q", fs.Arg(0))
	}
	fmt.Fprintf(e.stdout, "flowstore %s; schema versions up to %d\n", libraryVersion(debug.ReadBuildInfo()), store.LatestSchemaVersion())
	if !e.dsnGiven {
		return nil
	}
	db, err := e.openAnySchema(ctx)
	if err != nil {
		return err
	}
	v, err := db.Store().SchemaVersion(ctx)
	if err != nil {
		return err
	}
	note := ""
	switch latest := store.LatestSchemaVersion(); {
	case v < latest:
		note = "; run flowctl migrate"
	case v > latest:
		note = "; migrated by a newer flowstore"
	}
	fmt.Fprintf(e.stdout, "database schema version %d (%s)%s\n", v, db.SQLDialect(), note)
	return nil
}
