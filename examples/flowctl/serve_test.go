package main

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/flowstore/flowstore"
)

func TestServeNeedsTokenOffLoopback(t *testing.T) {
	dsn := tempDSN(t)
	code, _, errOut := flowctl(t, "", "--dsn", dsn, "migrate")
	require.Equal(t, 0, code, errOut)
	code, _, errOut = flowctl(t, "", "--dsn", dsn, "serve", "--addr", "0.0.0.0:0")
	assert.Equal(t, 2, code)
	assert.Contains(t, errOut, "FLOWSTORE_DASHBOARD_TOKEN")
	code, _, _ = flowctl(t, "", "--dsn", dsn, "serve", "--addr", ":0")
	assert.Equal(t, 2, code)

	for addr, want := range map[string]bool{"127.0.0.1:1": true, "[::1]:1": true, "localhost:1": true, "0.0.0.0:1": false, ":1": false, "10.1.2.3:1": false} {
		got, err := isLoopback(addr)
		require.NoError(t, err)
		assert.Equal(t, want, got, addr)
	}
}

// TestServeLogin runs flowctl serve on a free loopback port, logs in with
// the printed one-time URL, and checks that the URL works once only.
func TestServeLogin(t *testing.T) {
	dsn := tempDSN(t)
	code, _, errOut := flowctl(t, "", "--dsn", dsn, "migrate")
	require.Equal(t, 0, code, errOut)
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan int, 1)
	var errBuf bytes.Buffer
	go func() {
		done <- run(ctx, []string{"--dsn", dsn, "serve", "--addr", "127.0.0.1:0"}, strings.NewReader(""), pw, &errBuf, func(string) string { return "" })
		pw.Close()
	}()
	line, err := bufio.NewReader(pr).ReadString('\n')
	require.NoError(t, err, errBuf.String())
	go io.Copy(io.Discard, pr) //nolint:errcheck
	login := regexp.MustCompile(`http://\S+/login\?token=\S+`).FindString(line)
	require.NotEmpty(t, login, line)
	base := strings.TrimSuffix(login[:strings.Index(login, "/login")], "/")

	resp, err := http.Get(base + "/")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode, "no session")

	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	resp, err = c.Get(login)
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Contains(t, string(body), "Overview")

	// The URL was for one login.
	resp, err = http.Get(login)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)

	cancel()
	select {
	case code := <-done:
		assert.Equal(t, 0, code, errBuf.String())
	case <-time.After(10 * time.Second):
		t.Fatal("serve did not stop")
	}
}

func TestServeEnvToken(t *testing.T) {
	ctx := t.Context()
	db, err := flowstore.Open(ctx, "sqlite::memory:")
	require.NoError(t, err)
	defer db.Close()
	const token = "0123456789abcdef-operator"
	a := newServeAuth(token, "/fs")
	h, err := a.handler(db, flowstore.DashboardOptions{})
	require.NoError(t, err)
	srv := httptest.NewServer(h)
	defer srv.Close()
	get := func(path, bearer string) int {
		r, _ := http.NewRequest("GET", srv.URL+path, nil)
		if bearer != "" {
			r.Header.Set("Authorization", "Bearer "+bearer)
		}
		resp, err := http.DefaultClient.Do(r)
		require.NoError(t, err)
		resp.Body.Close()
		return resp.StatusCode
	}
	assert.Equal(t, http.StatusUnauthorized, get("/fs/", ""))
	assert.Equal(t, http.StatusUnauthorized, get("/fs/", "wrong-token-wrong-token"))
	assert.Equal(t, http.StatusOK, get("/fs/", token))
	assert.Equal(t, http.StatusUnauthorized, get("/fs/login?token=nope", ""))
	// The environment's token logs in any number of times.
	for range 2 {
		jar, _ := cookiejar.New(nil)
		resp, err := (&http.Client{Jar: jar}).Get(srv.URL + "/fs/login?token=" + token)
		require.NoError(t, err)
		resp.Body.Close()
		assert.Equal(t, http.StatusOK, resp.StatusCode)
		assert.Equal(t, "/fs/", resp.Request.URL.Path)
	}
}
