// Command quickstart is the first thing to run: it creates an embedded SQLite
// database (no setup needed), migrates it to the full flowstore schema and
// tells you what is inside.
//
//	go run ./examples/quickstart            # SQLite file in a temp directory
//	go run ./examples/quickstart -dsn postgres://…   # the same on another database
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/uptrace/bun"

	"github.com/flowstore/flowstore/internal/refschema"
	"github.com/flowstore/flowstore/store"
)

func main() {
	dsn := flag.String("dsn", "", "database DSN (default: a new SQLite file in a temp directory)")
	flag.Parse()
	if err := run(context.Background(), *dsn); err != nil {
		fmt.Fprintln(os.Stderr, "quickstart:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, dsn string) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	where := dsn
	if dsn == "" {
		dir, err := os.MkdirTemp("", "flowstore-quickstart-")
		if err != nil {
			return err
		}
		where = filepath.Join(dir, "flowstore.db")
		dsn = "sqlite:" + where
	}
	db, err := store.Open(ctx, dsn)
	if err != nil {
		return err
	}
	defer db.Close()

	fmt.Printf("flowstore quickstart on %s\n\n", db.Dialect())
	start := time.Now()
	if err := db.Migrate(ctx); err != nil {
		return err
	}
	v, err := db.SchemaVersion(ctx)
	if err != nil {
		return err
	}
	fmt.Printf("1. migrated the schema to version %d in %s\n", v, time.Since(start).Round(time.Millisecond))

	perSystem := map[string][]string{}
	var systems []string
	for _, t := range refschema.Tables {
		if perSystem[t.System] == nil {
			systems = append(systems, t.System)
		}
		perSystem[t.System] = append(perSystem[t.System], t.Name)
	}
	fmt.Println("2. the database now holds the tables of four workflow systems, with their own names:")
	for _, s := range systems {
		fmt.Printf("   %-17s %2d tables: %s\n", s, len(perSystem[s]), summarize(perSystem[s], 6))
	}

	fmt.Println("3. a transaction through a Session, the unit every store shares:")
	err = db.InTx(ctx, func(ctx context.Context, s *store.Session) error {
		// bun.Ident quotes the table name the way each dialect wants it.
		_, err := s.NewRaw("INSERT INTO ? (name, value, changed_at) VALUES (?, ?, ?)",
			bun.Ident("Constants"), "greeting", "hello from flowstore", s.Now()).Exec(ctx)
		return err
	})
	if err != nil {
		return err
	}
	var value string
	if err := db.Bun().NewSelect().Table("Constants").Column("value").Where("name = ?", "greeting").Scan(ctx, &value); err != nil {
		return err
	}
	fmt.Printf("   wrote and read back Constants[greeting] = %q\n\n", value)
	fmt.Printf("database: %s\n", where)
	if db.Dialect() == store.SQLite {
		fmt.Printf("look inside with: sqlite3 %s '.tables'\n", where)
	}
	return nil
}

func summarize(names []string, n int) string {
	if len(names) <= n {
		return fmt.Sprint(names)
	}
	return fmt.Sprintf("%v … and %d more", names[:n], len(names)-n)
}
