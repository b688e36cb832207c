package constant_test

import (
	"testing"

	"github.com/flowstore/flowstore/internal/testdb"
)

func TestMain(m *testing.M) { testdb.Main(m) }
