// Package faults_test holds the fault tests of issue 14: database restarts
// under load, connection poolers, clock skew between machines and a full
// disk. The normal `go test` runs shortened loops; FLOWSTORE_FAULTS_FULL=1
// runs the full ones.
package faults_test

import (
	"os"
	"testing"

	"github.com/flowstore/flowstore/internal/testdb"
)

// FullEnv set to 1 runs the fault tests' full loops instead of the
// shortened ones.
const FullEnv = "FLOWSTORE_FAULTS_FULL"

func full() bool { return os.Getenv(FullEnv) == "1" }

func TestMain(m *testing.M) { testdb.Main(m) }
