package testdb

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

func TestRemoveOrphans(t *testing.T) {
	t.Setenv("TMPDIR", t.TempDir())
	exited := exec.Command("true")
	if err := exited.Run(); err != nil {
		t.Fatal(err)
	}
	mk := func(name, owner string) string {
		dir := filepath.Join(os.TempDir(), name)
		if err := os.Mkdir(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if owner != "" {
			if err := os.WriteFile(filepath.Join(dir, ownerFile), []byte(owner), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		return dir
	}
	orphan := mk("flowstore-postgres-1", strconv.Itoa(exited.Process.Pid))
	live := mk("flowstore-postgres-2", strconv.Itoa(os.Getpid()))
	settingUp := mk("flowstore-postgres-3", "")
	other := mk("flowstore-mariadb-1", strconv.Itoa(exited.Process.Pid))

	removeOrphans(os.TempDir(), "flowstore-postgres-")
	for dir, want := range map[string]bool{orphan: false, live: true, settingUp: true, other: true} {
		if _, err := os.Stat(dir); (err == nil) != want {
			t.Errorf("%s: exists=%v, want %v", filepath.Base(dir), err == nil, want)
		}
	}
}

func TestFailedStartShowsLogTail(t *testing.T) {
	attempts := 0
	_, _, err := startServer(func(port int) (*proc, error) {
		attempts++
		cmd := command(t.TempDir(), nil, "sh", "-c", "echo 'could not bind: Address already in use'; echo port "+strconv.Itoa(port)+"; exit 3")
		p, err := startProc("fake", cmd, filepath.Join(t.TempDir(), "fake.log"))
		if err != nil {
			return nil, err
		}
		return p, p.waitReady(func(context.Context) error { return errors.New("refused") })
	})
	if attempts != 3 {
		t.Errorf("%d attempts, want 3 (a lost port race is retried)", attempts)
	}
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{"fake exited before accepting connections", "exit status 3", "Address already in use"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
}
