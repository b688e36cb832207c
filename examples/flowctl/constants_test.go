package main

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestConstantsCommands(t *testing.T) {
	dsn := migrated(t)
	code, out, errOut := flowctl(t, "", "--dsn", dsn, "constants", "set", "folder", `\\share\in`)
	require.Equal(t, 0, code, errOut)
	require.Contains(t, out, "constant folder set")
	code, out, errOut = flowctl(t, "", "--dsn", dsn, "constants", "get", "folder")
	require.Equal(t, 0, code, errOut)
	require.Equal(t, `\\share\in`+"\n", out)
	flowctl(t, "", "--dsn", dsn, "constants", "set", "alpha", "1")
	code, out, errOut = flowctl(t, "", "--dsn", dsn, "constants", "list")
	require.Equal(t, 0, code, errOut)
	require.Regexp(t, `(?s)NAME.*alpha\s+1.*folder`, out)
	code, _, errOut = flowctl(t, "", "--dsn", dsn, "constants", "delete", "alpha")
	require.Equal(t, 0, code, errOut)
	code, _, errOut = flowctl(t, "", "--dsn", dsn, "constants", "get", "alpha")
	require.Equal(t, 1, code)
	requireError(t, errOut, `flowctl constants: constant: get "alpha": not found`)
	code, _, _ = flowctl(t, "", "--dsn", dsn, "constants", "set", "only-name")
	require.Equal(t, 2, code)
}
