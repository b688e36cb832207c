package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"golang.org/x/term"

	"github.com/flowstore/flowstore"
	"github.com/flowstore/flowstore/crypto/secret"
)

func init() {
	register(&command{name: "key", usage: "new [--kind fernet|aes256gcm]: print a new key (Fernet: an OpenOrchestratorKey)", run: runKey})
	register(&command{name: "credentials", usage: "set | get | list | delete | rotate: OpenOrchestrator credentials, encrypted", help: credentialsUsage, run: runCredentials})
}

const credentialsUsage = `flowctl credentials set NAME --username U [--key-file F]   the password is read from stdin (not echoed on a terminal)
flowctl credentials get NAME [--key-file F]
flowctl credentials list [--key-file F] [--json]   no key needed; the key id of an AES-256-GCM token is shown
flowctl credentials delete NAME
flowctl credentials rotate --new-key-file F [--key-file F]
The key ring comes from --key-file (one key per line, the first encrypts), else $OpenOrchestratorKey.`

// keyEnv is where OpenOrchestrator keeps its encryption key.
const keyEnv = "OpenOrchestratorKey"

// parseArgs parses flags that may come before, between or after the
// positional arguments ("set NAME --username U") and returns the positionals.
func parseArgs(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			return pos, nil
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

func runKey(_ context.Context, e *env, args []string) error {
	fs := e.flags("key")
	kind := fs.String("kind", "fernet", "fernet (OpenOrchestrator-compatible) or aes256gcm")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 || pos[0] != "new" {
		return usageError("want: key new")
	}
	var k secret.Kind
	switch strings.ToLower(*kind) {
	case "fernet":
		k = secret.Fernet
	case "aes256gcm", "gcm":
		k = secret.AESGCM
	default:
		return usageError("unknown --kind %q", *kind)
	}
	key, err := secret.GenerateKey(k)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(e.stdout, key.Encode())
	return err
}

// loadRing reads a key file (see secret.ParseRing), or else the
// OpenOrchestratorKey environment variable.
func loadRing(e *env, file string) (*secret.Ring, error) {
	if file != "" {
		b, err := os.ReadFile(file)
		if err != nil {
			return nil, err
		}
		r, err := secret.ParseRing(string(b))
		if err != nil {
			return nil, fmt.Errorf("key file %s: %w", file, err)
		}
		return r, nil
	}
	if v := e.getenv(keyEnv); v != "" {
		r, err := secret.ParseRing(v)
		if err != nil {
			return nil, fmt.Errorf("$%s: %w", keyEnv, err)
		}
		return r, nil
	}
	return nil, usageError("no key: pass --key-file F or set $%s", keyEnv)
}

func runCredentials(ctx context.Context, e *env, args []string) error {
	fs := e.flags("credentials")
	keyFile := fs.String("key-file", "", "file with the key ring (one key per line, the first encrypts); default $"+keyEnv)
	username := fs.String("username", "", "username (set; required)")
	newKeyFile := fs.String("new-key-file", "", "file with the new key ring (rotate)")
	asJSON := jsonFlag(fs)
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) == 0 {
		return usageError("missing subcommand")
	}
	sub, pos := pos[0], pos[1:]
	needName := func() (string, error) {
		if len(pos) != 1 {
			return "", usageError("credentials %s takes one NAME", sub)
		}
		return pos[0], nil
	}
	// The store encrypts and decrypts with the ring the database is opened
	// with, so each subcommand loads the ring it needs before opening.
	open := func(ring *secret.Ring) (*flowstore.DB, error) {
		if ring == nil {
			return e.open(ctx)
		}
		return e.open(ctx, flowstore.WithKeyRing(ring))
	}
	switch sub {
	case "set":
		name, err := needName()
		if err != nil {
			return err
		}
		// OpenOrchestrator's credentials always have a username; an empty
		// one is a forgotten flag, not a choice.
		if *username == "" {
			return usageError("credentials set needs --username U")
		}
		ring, err := loadRing(e, *keyFile)
		if err != nil {
			return err
		}
		db, err := open(ring)
		if err != nil {
			return err
		}
		password, err := readSecret(ctx, e.stdin, e.stderr)
		if err != nil {
			return err
		}
		if err := db.Credentials.Set(ctx, name, *username, password); err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "credential %s set (encrypted with %s)\n", name, ring.Primary())
	case "get":
		name, err := needName()
		if err != nil {
			return err
		}
		ring, err := loadRing(e, *keyFile)
		if err != nil {
			return err
		}
		db, err := open(ring)
		if err != nil {
			return err
		}
		s, err := db.Credentials.Get(ctx, name)
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "name:     %s\nusername: %s\npassword: %s\nkey:      %s\nchanged:  %s\n",
			s.Name, s.Username, s.Password, s.KeyID, e.ooTimeMicro(s.ChangedAt))
	case "list":
		if len(pos) != 0 {
			return usageError("credentials list takes no arguments")
		}
		ring, _ := loadRing(e, *keyFile) // optional: only to name the keys
		db, err := open(nil)
		if err != nil {
			return err
		}
		rows, err := db.Credentials.List(ctx)
		if err != nil {
			return err
		}
		out := make([]credentialJSON, 0, len(rows))
		for _, r := range rows {
			c := credentialJSON{Name: r.Name, Username: r.Username, Format: "fernet", ChangedAt: e.ooJSON(r.ChangedAt)}
			if id, ok := gcmKeyID(r.Password); ok {
				// An AES-256-GCM token names its key: no key needed.
				c.Format, c.KeyID = "aes256gcm", id
			} else if strings.HasPrefix(r.Password, gcmPrefix) {
				c.Format = "aes256gcm"
			}
			if ring != nil {
				// With the ring, say which key actually opens it (a
				// Fernet token does not name its key).
				if id, ok := ring.KeyIDOf(r.Password); ok {
					c.KeyID = id
				}
			}
			out = append(out, c)
		}
		if *asJSON {
			return e.writeJSON(map[string]any{"credentials": out})
		}
		tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "NAME\tUSERNAME\tFORMAT\tKEY\tCHANGED")
		for _, c := range out {
			key := c.KeyID
			if key == "" {
				key = "?"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", c.Name, c.Username, c.Format, key, e.ooTime(deTime(c.ChangedAt)))
		}
		return tw.Flush()
	case "delete":
		name, err := needName()
		if err != nil {
			return err
		}
		db, err := open(nil)
		if err != nil {
			return err
		}
		if err := db.Credentials.Delete(ctx, name); err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "credential %s deleted\n", name)
	case "rotate":
		if len(pos) != 0 || *newKeyFile == "" {
			return usageError("want: credentials rotate --new-key-file F")
		}
		old, err := loadRing(e, *keyFile)
		if err != nil && !errors.Is(err, errUsage) {
			return err
		}
		next, err := loadRing(e, *newKeyFile)
		if err != nil {
			return err
		}
		db, err := open(old)
		if err != nil {
			return err
		}
		n, err := db.Credentials.Rotate(ctx, next)
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "re-encrypted %d credentials with %s\n", n, next.Primary())
	default:
		return usageError("unknown subcommand %q", sub)
	}
	return nil
}

// readSecret reads a password from stdin (never argv, where other users of
// the machine can see it). On a terminal it prompts on prompt (stderr) and
// reads a line without echoing it; an empty one is refused as a slip of the
// Enter key. Otherwise (a pipe, a file) it reads the first line, without its
// line ending.
func readSecret(ctx context.Context, r io.Reader, prompt io.Writer) (string, error) {
	if r == nil {
		return "", usageError("the password is read from stdin")
	}
	if f, ok := r.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		return readPassword(ctx, int(f.Fd()), prompt)
	}
	line, err := bufio.NewReader(r).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", err
	}
	if line == "" && errors.Is(err, io.EOF) {
		return "", usageError("no password on stdin")
	}
	return strings.TrimRight(line, "\r\n"), nil
}

// readPassword prompts and reads a line from the terminal fd with echo off.
// Ctrl-C (ctx) gives up: the read itself cannot be interrupted, so the
// terminal's settings are put back here rather than when it returns.
func readPassword(ctx context.Context, fd int, prompt io.Writer) (string, error) {
	state, err := term.GetState(fd)
	if err != nil {
		return "", err
	}
	fmt.Fprint(prompt, "Password: ")
	type result struct {
		b   []byte
		err error
	}
	got := make(chan result, 1)
	go func() {
		b, err := term.ReadPassword(fd)
		got <- result{b, err}
	}()
	select {
	case r := <-got:
		fmt.Fprintln(prompt) // the user's Enter was not echoed either
		if r.err != nil {
			return "", fmt.Errorf("read password: %w", r.err)
		}
		if len(r.b) == 0 {
			return "", usageError("empty password")
		}
		return string(r.b), nil
	case <-ctx.Done():
		_ = term.Restore(fd, state)
		fmt.Fprintln(prompt)
		return "", ctx.Err()
	}
}

// credentialJSON is a credential in credentials list --json: never its
// password or token.
type credentialJSON struct {
	Name      string     `json:"name"`
	Username  string     `json:"username"`
	Format    string     `json:"format"`
	KeyID     string     `json:"key_id,omitempty"`
	ChangedAt *time.Time `json:"changed_at"`
}

// gcmPrefix starts an AES-256-GCM token: "gcm1." ‖ key id (8 hex digits) ‖
// "." ‖ base64 (see package secret's documentation).
const gcmPrefix = "gcm1."

// gcmKeyID reads the key id an AES-256-GCM token names, without a key: a
// listing needs no secret to say which key a credential was written with.
func gcmKeyID(token string) (string, bool) {
	rest, ok := strings.CutPrefix(token, gcmPrefix)
	if !ok || len(rest) < 9 || rest[8] != '.' {
		return "", false
	}
	id := rest[:8]
	if strings.Trim(id, "0123456789abcdef") != "" {
		return "", false
	}
	return id, true
}
