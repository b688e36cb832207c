package sqlserver

import (
	"bytes"
	"encoding/hex"
	"slices"
	"testing"

	"github.com/google/uuid"
	mssql "github.com/microsoft/go-mssqldb"
	"github.com/stretchr/testify/require"

	"github.com/flowstore/flowstore/store"
)

// TestGUIDByteOrder pins, without a server, what the SQL Server
// check of New decides, on the bytes go-mssqldb really produces:
// uniqueidentifier travels in SQL Server's mixed-endian order
// (mssql.UniqueIdentifier.Value encodes it so), which the driver hands
// back unchanged without "guid conversion=true" — and uuid.UUID.Scan would
// then read a different, byte-swapped UUID.
func TestGUIDByteOrder(t *testing.T) {
	id := uuid.MustParse(probeGUID)
	wire, err := mssql.UniqueIdentifier(id).Value()
	require.NoError(t, err)
	require.Equal(t, "33221100554477668899aabbccddeeff", hex.EncodeToString(wire.([]byte)), "SQL Server's byte order")

	var swapped uuid.UUID
	require.NoError(t, swapped.Scan(wire))
	require.NotEqual(t, id, swapped, "scanning unconverted bytes corrupts the UUID")
	require.Equal(t, "33221100-5544-7766-8899-aabbccddeeff", swapped.String())

	err = checkGUIDBytes(wire.([]byte))
	require.ErrorIs(t, err, store.ErrUnsupported)
	require.Contains(t, err.Error(), `"guid conversion=true"`)
	require.NoError(t, checkGUIDBytes(id[:]), "converted (RFC 4122) order is accepted")
	require.ErrorIs(t, checkGUIDBytes([]byte("00112233-4455-6677-8899-aabbccddeeff")), store.ErrUnsupported, "36 bytes of text are not what go-mssqldb returns")

	target, err := store.ParseDSN("sqlserver://sa:pw@db?database=flow&guid+conversion=false")
	require.NoError(t, err)
	require.Contains(t, target.DriverDSN, "guid+conversion=true", "Open always turns the conversion on")
}

func mustIDs(t *testing.T, ss ...string) []uuid.UUID {
	t.Helper()
	ids := make([]uuid.UUID, len(ss))
	for i, s := range ss {
		ids[i] = uuid.MustParse(s)
	}
	return ids
}

func TestSQLServerGUIDOrder(t *testing.T) {
	// Microsoft's own example ("Comparing GUID and uniqueidentifier
	// values", ADO.NET docs): SqlGuid, which sorts as SQL Server does,
	// orders these by their last group, Guid by their first.
	ids := mustIDs(t,
		"3aaaaaaa-bbbb-cccc-dddd-2eeeeeeeeeee",
		"2aaaaaaa-bbbb-cccc-dddd-1eeeeeeeeeee",
		"1aaaaaaa-bbbb-cccc-dddd-3eeeeeeeeeee")
	slices.SortFunc(ids, compareGUIDs)
	require.Equal(t, mustIDs(t,
		"2aaaaaaa-bbbb-cccc-dddd-1eeeeeeeeeee",
		"3aaaaaaa-bbbb-cccc-dddd-2eeeeeeeeeee",
		"1aaaaaaa-bbbb-cccc-dddd-3eeeeeeeeeee"), ids)
	slices.SortFunc(ids, func(a, b uuid.UUID) int { return bytes.Compare(a[:], b[:]) })
	require.Equal(t, mustIDs(t,
		"1aaaaaaa-bbbb-cccc-dddd-3eeeeeeeeeee",
		"2aaaaaaa-bbbb-cccc-dddd-1eeeeeeeeeee",
		"3aaaaaaa-bbbb-cccc-dddd-2eeeeeeeeeee"), ids)

	// Every byte position counts exactly once.
	seen := map[int]bool{}
	for _, i := range guidOrder {
		require.False(t, seen[i], "byte %d twice", i)
		seen[i] = true
	}
	require.Len(t, seen, 16)
	// Within the first three groups SQL Server reads the bytes backwards:
	// 00000001-… (byte 3 set) sorts after 01000000-… (byte 0 set).
	require.Equal(t, 1, compareGUIDs(uuid.MustParse("00000001-0000-0000-0000-000000000000"), uuid.MustParse("01000000-0000-0000-0000-000000000000")))
	require.Equal(t, 0, compareGUIDs(ids[0], ids[0]))
}
