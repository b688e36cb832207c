package testdb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
)

// MySQLEnv names a MySQL or MariaDB server to test against instead of a
// throwaway one, as a mysql://user:password@host:port/ URL of an account
// that may CREATE DATABASE.
const MySQLEnv = "FLOWSTORE_TEST_MYSQL"

const mariadbd = "/usr/sbin/mariadbd"

type mysqlBackend struct {
	base  *url.URL // the server's URL; each database gets its own path
	admin *sql.DB

	// throwaway server, nil on a shared one
	srv *proc
	dir string

	dropper dropper // drops each test's databases when it ends
}

func newMySQLBackend() *mysqlBackend {
	b := &mysqlBackend{}
	b.dropper.drop = func(ctx context.Context, name string) error {
		_, err := b.admin.ExecContext(ctx, "DROP DATABASE IF EXISTS `"+name+"`")
		return err
	}
	return b
}

func setupMySQL() Target {
	if v := os.Getenv(MySQLEnv); v != "" {
		if v == "skip" {
			return Target{Detail: MySQLEnv + "=skip"}
		}
		b, version, err := sharedMySQL(v)
		if err != nil {
			return Target{Live: true, Detail: MySQLEnv, Err: err}
		}
		return Target{Live: true, Detail: fmt.Sprintf("%s: server %s at %s", MySQLEnv, version, b.base.Host), be: b}
	}
	if _, err := os.Stat(mariadbd); err != nil {
		return Target{Detail: MySQLEnv + " not set and no " + mariadbd}
	}
	began := time.Now()
	b, version, err := throwawayMySQL()
	if err != nil {
		return Target{Live: true, Detail: "throwaway server " + mariadbd, Err: err}
	}
	return Target{Live: true, be: b, Detail: fmt.Sprintf("throwaway server %s on %s, started in %.1fs",
		version, b.base.Host, time.Since(began).Seconds())}
}

func sharedMySQL(dsn string) (*mysqlBackend, string, error) {
	u, err := url.Parse(dsn)
	if err != nil || u.Scheme != "mysql" || u.Host == "" {
		return nil, "", fmt.Errorf("%s must be a mysql://user:password@host:port/ URL, got %q", MySQLEnv, dsn)
	}
	b := newMySQLBackend()
	b.base = u
	cfg := b.adminConfig()
	version, err := b.connect(context.Background(), cfg)
	if err != nil {
		return nil, "", err
	}
	return b, version, nil
}

// adminConfig is the driver configuration of the admin connection to base.
func (b *mysqlBackend) adminConfig() *mysql.Config {
	cfg := mysql.NewConfig()
	cfg.Net = "tcp"
	cfg.Addr = b.base.Host
	if b.base.Port() == "" {
		cfg.Addr += ":3306"
	}
	cfg.User = b.base.User.Username()
	cfg.Passwd, _ = b.base.User.Password()
	return cfg
}

func throwawayMySQL() (*mysqlBackend, string, error) {
	install, err := exec.LookPath("mariadb-install-db")
	if err != nil {
		if install, err = exec.LookPath("mysql_install_db"); err != nil {
			return nil, "", fmt.Errorf("%s is installed but mariadb-install-db is not on PATH", mariadbd)
		}
	}
	cred, err := sysUser("mysql")
	if err != nil {
		return nil, "", err
	}
	dir, err := tempDir("flowstore-mariadb-", cred)
	if err != nil {
		return nil, "", err
	}
	b := newMySQLBackend()
	b.dir = dir
	fail := func(err error) (*mysqlBackend, string, error) {
		_ = b.shutdown()
		return nil, "", err
	}
	data := filepath.Join(dir, "data")
	sock := filepath.Join(dir, "mysqld.sock")
	// --no-defaults everywhere: the machine's my.cnf (ports, sockets, data
	// directory of the system instance) must not leak in.
	// "normal" root authentication: root logs in without a password instead
	// of through unix_socket, which would tie it to the OS root user.
	setup := command(dir, cred, install, "--no-defaults", "--auth-root-authentication-method=normal",
		"--datadir="+data, "--skip-test-db", "--skip-name-resolve")
	if err := runTool(setup); err != nil {
		return fail(err)
	}
	var version string
	b.srv, _, err = startServer(func(port int) (*proc, error) {
		cmd := command(dir, cred, mariadbd, "--no-defaults",
			"--datadir="+data, "--socket="+sock, "--pid-file="+filepath.Join(dir, "mariadbd.pid"),
			"--tmpdir="+dir, "--port="+strconv.Itoa(port), "--bind-address=127.0.0.1",
			"--skip-name-resolve",
			// What a real deployment configures; the compiled-in default
			// (latin1) is not.
			"--character-set-server=utf8mb4",
			// Durability is worthless for a database that lives for one
			// test binary.
			"--innodb-flush-log-at-trx-commit=0", "--skip-log-bin",
			// Concurrency tests run many goroutines and processes at once.
			"--max-connections=300")
		p, err := startProc("mariadbd", cmd, filepath.Join(dir, "mariadbd.log"))
		if err != nil {
			return nil, err
		}
		b.base = &url.URL{Scheme: "mysql", User: url.User("root"), Host: fmt.Sprintf("127.0.0.1:%d", port), Path: "/"}
		// The socket first: it works before root@127.0.0.1 exists.
		cfg := mysql.NewConfig()
		cfg.Net, cfg.Addr, cfg.User = "unix", sock, "root"
		err = p.waitReady(func(ctx context.Context) error {
			version, err = b.connect(ctx, cfg)
			return err
		})
		return p, err
	})
	if err != nil {
		return fail(err)
	}
	// store.Open connects over TCP as root@127.0.0.1; mariadb-install-db
	// creates that account today, but not every version does.
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	for _, q := range []string{
		"CREATE USER IF NOT EXISTS 'root'@'127.0.0.1'",
		"GRANT ALL PRIVILEGES ON *.* TO 'root'@'127.0.0.1' WITH GRANT OPTION",
	} {
		if _, err := b.admin.ExecContext(ctx, q); err != nil {
			return fail(fmt.Errorf("%s: %w", q, err))
		}
	}
	return b, version, nil
}

// connect opens the admin connection and returns the server's version.
func (b *mysqlBackend) connect(ctx context.Context, cfg *mysql.Config) (string, error) {
	// A DROP DATABASE waits for the metadata locks of open transactions,
	// by default for a year: a test that leaked one must not hang the
	// harness.
	cfg.Params = map[string]string{"lock_wait_timeout": "10"}
	conn, err := mysql.NewConnector(cfg)
	if err != nil {
		return "", err
	}
	db := sql.OpenDB(conn)
	var version string
	if err := db.QueryRowContext(ctx, "SELECT VERSION()").Scan(&version); err != nil {
		db.Close()
		return "", err
	}
	b.admin = db
	return version, nil
}

func (b *mysqlBackend) create(ctx context.Context, t testing.TB) (string, error) {
	name := randomName("fs_")
	q := "CREATE DATABASE `" + name + "` CHARACTER SET utf8mb4"
	if _, err := b.admin.ExecContext(ctx, q); err != nil {
		return "", fmt.Errorf("%s: %w", q, err)
	}
	b.dropper.dropAfter(t, name)
	u := *b.base
	u.Path = "/" + name
	return u.String(), nil
}

func (b *mysqlBackend) shutdown() error {
	errs := []error{b.dropper.wait()}
	if b.admin != nil {
		errs = append(errs, b.admin.Close())
	}
	if b.srv != nil {
		errs = append(errs, b.srv.stop(syscall.SIGTERM))
	}
	errs = append(errs, removeDir(b.dir))
	return errors.Join(errs...)
}
