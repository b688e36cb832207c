package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestRun(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var out bytes.Buffer
	require.NoError(t, run(ctx, &out, "", 0))
	got := out.String()
	t.Log("\n" + got)
	require.Equal(t, 3, strings.Count(got, "start "), got)
	require.Equal(t, 3, strings.Count(got, "end   "), got)
	require.Contains(t, got, `end   SINGLE    "welcome mail" -> DONE`)
	require.Contains(t, got, `end   SCHEDULED "every minute" -> IDLE, next run`)
	require.Contains(t, got, `end   QUEUE     "invoice batch" -> IDLE`)
}
