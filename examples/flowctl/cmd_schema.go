package main

import (
	"context"
	"fmt"

	"github.com/flowstore/flowstore/store"
)

func init() {
	register(&command{name: "migrate", usage: "[--adopt]: apply pending migrations; --adopt keeps reference tables another system already created", run: runMigrate})
	register(&command{name: "schema", usage: "--dialect D: print the full DDL of a dialect (sqlite, postgres, sqlserver, mysql)", run: runSchema})
	register(&command{name: "version", usage: "print the database's schema version and the library's", run: runVersion})
}

func runMigrate(ctx context.Context, e *env, args []string) error {
	fs := e.flags("migrate")
	adopt := fs.Bool("adopt", false, "keep the reference tables that already exist (an OpenOrchestrator, Kogito or WFO database) and add the rest")
	if err := fs.Parse(args); err != nil {
		return err
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
	if err := migrate(ctx); err != nil {
		return err
	}
	after, err := sdb.SchemaVersion(ctx)
	if err != nil {
		return err
	}
	if before == after {
		fmt.Fprintf(e.stdout, "schema is up to date at version %d (%s)\n", after, db.SQLDialect())
	} else {
		fmt.Fprintf(e.stdout, "migrated %s schema from version %d to %d\n", db.SQLDialect(), before, after)
	}
	return nil
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

func runVersion(ctx context.Context, e *env, args []string) error {
	fs := e.flags("version")
	if err := fs.Parse(args); err != nil {
		return err
	}
	db, err := e.open(ctx)
	if err != nil {
		return err
	}
	v, err := db.Store().SchemaVersion(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "database schema version %d (%s); library knows up to %d\n", v, db.SQLDialect(), store.LatestSchemaVersion())
	return nil
}
