package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/flowstore/flowstore/crypto/secret"
)

// migrated returns the DSN of a new, migrated SQLite database.
func migrated(t *testing.T) string {
	t.Helper()
	dsn := tempDSN(t)
	code, _, errOut := flowctl(t, "", "--dsn", dsn, "migrate")
	require.Equal(t, 0, code, errOut)
	return dsn
}

func writeKeyFile(t *testing.T, keys ...string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "key")
	require.NoError(t, os.WriteFile(path, []byte(strings.Join(keys, "\n")+"\n"), 0o600))
	return path
}

func TestKeyNew(t *testing.T) {
	code, out, errOut := flowctl(t, "", "key", "new")
	require.Equal(t, 0, code, errOut)
	k, err := secret.ParseKey(out)
	require.NoError(t, err)
	require.Equal(t, secret.Fernet, k.Kind())
	require.Len(t, strings.TrimSpace(out), 44, "the form of an OpenOrchestratorKey")

	code, out, errOut = flowctl(t, "", "key", "new", "--kind", "aes256gcm")
	require.Equal(t, 0, code, errOut)
	k, err = secret.ParseKey(out)
	require.NoError(t, err)
	require.Equal(t, secret.AESGCM, k.Kind())

	code, _, _ = flowctl(t, "", "key", "old")
	require.Equal(t, 2, code)
}

// flowctl round-trips a credential, rotates it to a new key, and reads it
// with the new key alone.
func TestCredentialsRoundTripAndRotate(t *testing.T) {
	dsn := migrated(t)
	_, out, _ := flowctl(t, "", "key", "new")
	oldKey := strings.TrimSpace(out)
	keyFile := writeKeyFile(t, oldKey)

	code, out, errOut := flowctl(t, "s3cret pass\n", "--dsn", dsn, "credentials", "set", "erp", "--username", "robot", "--key-file", keyFile)
	require.Equal(t, 0, code, errOut)
	require.Contains(t, out, "credential erp set")
	require.NotContains(t, out, "s3cret")

	code, out, errOut = flowctl(t, "", "--dsn", dsn, "credentials", "get", "erp", "--key-file", keyFile)
	require.Equal(t, 0, code, errOut)
	require.Contains(t, out, "username: robot\n")
	require.Contains(t, out, "password: s3cret pass\n")

	code, out, errOut = flowctl(t, "", "--dsn", dsn, "credentials", "list")
	require.Equal(t, 0, code, errOut)
	require.Contains(t, out, "erp")
	require.Contains(t, out, "fernet")
	require.NotContains(t, out, "s3cret")

	_, out, _ = flowctl(t, "", "key", "new", "--kind", "aes256gcm")
	newFile := writeKeyFile(t, strings.TrimSpace(out))
	code, out, errOut = flowctl(t, "", "--dsn", dsn, "credentials", "rotate", "--key-file", keyFile, "--new-key-file", newFile)
	require.Equal(t, 0, code, errOut)
	require.Contains(t, out, "re-encrypted 1 credentials")

	code, out, errOut = flowctl(t, "", "--dsn", dsn, "credentials", "get", "erp", "--key-file", newFile)
	require.Equal(t, 0, code, errOut)
	require.Contains(t, out, "password: s3cret pass\n")
	code, _, errOut = flowctl(t, "", "--dsn", dsn, "credentials", "get", "erp", "--key-file", keyFile)
	require.Equal(t, 1, code)
	requireError(t, errOut, `flowctl credentials: credential: get "erp": `)
	require.Contains(t, errOut, "decryption failed")

	code, out, errOut = flowctl(t, "", "--dsn", dsn, "credentials", "delete", "erp")
	require.Equal(t, 0, code, errOut)
	require.Contains(t, out, "deleted")
	code, _, errOut = flowctl(t, "", "--dsn", dsn, "credentials", "get", "erp", "--key-file", newFile)
	require.Equal(t, 1, code)
	requireError(t, errOut, `flowctl credentials: credential: get "erp": not found`)
}

// The key can come from OpenOrchestratorKey, as OpenOrchestrator keeps it.
func TestCredentialsKeyFromEnvironment(t *testing.T) {
	dsn := migrated(t)
	k, err := secret.GenerateKey(secret.Fernet)
	require.NoError(t, err)
	getenv := func(name string) string {
		if name == "OpenOrchestratorKey" {
			return k.Encode()
		}
		return ""
	}
	var out, errOut bytes.Buffer
	code := run(context.Background(), []string{"--dsn", dsn, "credentials", "set", "x", "--username", "u"}, strings.NewReader("pw"), &out, &errOut, getenv)
	require.Equal(t, 0, code, errOut.String())
	out.Reset()
	code = run(context.Background(), []string{"--dsn", dsn, "credentials", "get", "x"}, nil, &out, &errOut, getenv)
	require.Equal(t, 0, code, errOut.String())
	require.Contains(t, out.String(), "password: pw\n")
	require.Contains(t, out.String(), "key:      "+k.ID())

	code, _, errOut2 := flowctl(t, "", "--dsn", dsn, "credentials", "get", "x")
	require.Equal(t, 2, code)
	require.Contains(t, errOut2, "OpenOrchestratorKey")
}

func TestCredentialsSetNeedsPasswordOnStdin(t *testing.T) {
	dsn := migrated(t)
	_, out, _ := flowctl(t, "", "key", "new")
	keyFile := writeKeyFile(t, strings.TrimSpace(out))
	code, _, errOut := flowctl(t, "", "--dsn", dsn, "credentials", "set", "x", "--username", "u", "--key-file", keyFile)
	require.Equal(t, 2, code)
	require.Contains(t, errOut, "stdin")
}

// credentials set refuses to run without --username (before it reads a
// password or touches the database).
func TestCredentialsSetNeedsUsername(t *testing.T) {
	dsn := migrated(t)
	_, out, _ := flowctl(t, "", "key", "new")
	keyFile := writeKeyFile(t, strings.TrimSpace(out))
	code, _, errOut := flowctl(t, "pw\n", "--dsn", dsn, "credentials", "set", "x", "--key-file", keyFile)
	require.Equal(t, 2, code)
	require.Contains(t, errOut, "--username")
	code, out, _ = flowctl(t, "", "--dsn", dsn, "credentials", "list")
	require.Equal(t, 0, code)
	require.NotContains(t, out, "x ", "nothing written")
}
