package testdb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"testing"

	_ "github.com/microsoft/go-mssqldb" // the "sqlserver" database/sql driver, for the admin connection
)

// SQLServerEnv names a SQL Server to test against, as a sqlserver:// URL of
// a login that may CREATE DATABASE. There is no throwaway SQL Server: it
// cannot be installed here, so without this variable the dialect is
// covered by golden files only.
const SQLServerEnv = "FLOWSTORE_TEST_SQLSERVER"

type mssqlBackend struct {
	base  *url.URL // the server's URL; each database is named by its "database" parameter
	admin *sql.DB

	dropper dropper // drops each test's databases when it ends
}

func setupSQLServer() Target {
	v := os.Getenv(SQLServerEnv)
	switch v {
	case "":
		return Target{Detail: SQLServerEnv + " not set"}
	case "skip":
		return Target{Detail: SQLServerEnv + "=skip"}
	}
	u, err := url.Parse(v)
	if err != nil || u.Scheme != "sqlserver" {
		return Target{Live: true, Detail: SQLServerEnv, Err: fmt.Errorf("%s must be a sqlserver:// URL", SQLServerEnv)}
	}
	admin, err := sql.Open("sqlserver", v)
	if err != nil {
		return Target{Live: true, Detail: SQLServerEnv, Err: err}
	}
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	var version string
	if err := admin.QueryRowContext(ctx, "SELECT CAST(SERVERPROPERTY('ProductVersion') AS nvarchar(128))").Scan(&version); err != nil {
		admin.Close()
		return Target{Live: true, Detail: SQLServerEnv, Err: err}
	}
	b := &mssqlBackend{base: u, admin: admin}
	b.dropper.drop = func(ctx context.Context, name string) error {
		// SINGLE_USER … ROLLBACK IMMEDIATE ends sessions a test leaked;
		// DROP DATABASE fails while any remain.
		_, err := b.admin.ExecContext(ctx, fmt.Sprintf(`IF DB_ID(N'%[1]s') IS NOT NULL BEGIN
			ALTER DATABASE [%[1]s] SET SINGLE_USER WITH ROLLBACK IMMEDIATE;
			DROP DATABASE [%[1]s];
		END`, name))
		return err
	}
	return Target{Live: true, Detail: fmt.Sprintf("%s: server %s at %s", SQLServerEnv, version, u.Host), be: b}
}

func (b *mssqlBackend) create(ctx context.Context, t testing.TB) (string, error) {
	name := randomName("fs_")
	q := "CREATE DATABASE [" + name + "]"
	if _, err := b.admin.ExecContext(ctx, q); err != nil {
		return "", fmt.Errorf("%s: %w", q, err)
	}
	b.dropper.dropAfter(t, name)
	u := *b.base
	query := u.Query()
	query.Set("database", name)
	u.RawQuery = query.Encode()
	return u.String(), nil
}

func (b *mssqlBackend) shutdown() error {
	return errors.Join(b.dropper.wait(), b.admin.Close())
}
