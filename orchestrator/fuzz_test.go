package orchestrator_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"math/big"
	"reflect"
	"testing"

	"github.com/flowstore/flowstore/internal/testdb"
	"github.com/flowstore/flowstore/orchestrator"
	"github.com/flowstore/flowstore/store"
)

// FuzzStateRoundTrip: on every live dialect, the initial state Start
// stores comes back from InputStates with every value the caller gave —
// numbers with their digits (PostgreSQL's jsonb may respell a number, 1e400
// as a 1 and 400 zeros, so there the value must be equal) — or Start
// refuses the state with ErrInvalid or ErrTooLong. Seeded with issue 14's
// cases: NUL in a string (PostgreSQL refuses \u0000 in jsonb), lone
// surrogates, big and exact numbers, deep nesting.
func FuzzStateRoundTrip(f *testing.F) {
	for _, s := range []string{
		`{}`, `{"a":1}`, `{"n":9007199254740993}`, `{"f":0.10}`, `{"big":1e400}`, `{"neg":-0}`, `{"s":"nul\u0000"}`,
		`{"s":"\ud800"}`, `{"s":"\udc00x"}`, `{"k\u0000":1}`, `{"s":"it's \"quoted\""}`, `{"deep":[[[[[[[[[[{"x":[]}]]]]]]]]]]}`,
		`{"u":"\u00e6\u00f8\u00e5\ud83d\ude00"}`, `{"a":null,"b":true,"c":false}`, `{"dup":1,"dup":2}`, `{"e":1E+2}`,
		`{"process_id":"mine"}`, `{"s":"\ufeff"}`,
	} {
		f.Add(s)
	}
	type target struct {
		name store.DialectName
		e    *orchestrator.Engine
	}
	var targets []target
	for _, d := range testdb.Live() {
		db := testdb.Fresh(f, d)
		e, err := orchestrator.NewEngine(db)
		if err != nil {
			f.Fatal(err)
		}
		if err := e.Register(f.Context(), orchestrator.Workflow{Name: "fuzz", Target: orchestrator.TargetCreate, Steps: []orchestrator.Step{writeStep("one")}}); err != nil {
			f.Fatal(err)
		}
		targets = append(targets, target{d, e})
	}
	f.Fuzz(func(t *testing.T, text string) {
		var in orchestrator.State
		dec := json.NewDecoder(bytes.NewReader([]byte(text)))
		dec.UseNumber()
		if err := dec.Decode(&in); err != nil || in == nil {
			return // not a JSON object: not a state a caller can pass
		}
		for _, tg := range targets {
			ctx := t.Context()
			pid, err := tg.e.Start(ctx, "fuzz", in)
			if err != nil {
				if !errors.Is(err, store.ErrInvalid) && !errors.Is(err, store.ErrTooLong) {
					t.Fatalf("%s: Start(%s): unclassified error %v", tg.name, text, err)
				}
				continue
			}
			states, err := tg.e.Store().InputStates(ctx, pid)
			if err != nil || len(states) != 1 {
				t.Fatalf("%s: Start(%s) succeeded; InputStates: %d rows, %v", tg.name, text, len(states), err)
			}
			var got map[string]any
			dec := json.NewDecoder(bytes.NewReader(states[0].State))
			dec.UseNumber()
			if err := dec.Decode(&got); err != nil {
				t.Fatalf("%s: stored state %s does not decode: %v", tg.name, states[0].State, err)
			}
			exact := tg.name != store.Postgres
			for k, v := range in {
				switch k {
				case "process_id", "workflow_name", "workflow_target", "reporter":
					continue // the engine sets these, as WFO does
				}
				if !sameJSON(v, got[k], exact) {
					t.Fatalf("%s: state %s: key %q stored as %#v, want %#v (stored %s)", tg.name, text, k, got[k], v, states[0].State)
				}
			}
		}
	})
}

// sameJSON compares decoded JSON values, numbers by their text when exact
// and by value otherwise.
func sameJSON(a, b any, exact bool) bool {
	switch a := a.(type) {
	case json.Number:
		b, ok := b.(json.Number)
		if !ok {
			return false
		}
		if exact || a == b {
			return a == b
		}
		// 1024 bits: far more digits than a fuzzed number has, and no
		// memory blow-up for an exponent of a billion (big.Rat would).
		x, _, errA := big.ParseFloat(string(a), 10, 1024, big.ToNearestEven)
		y, _, errB := big.ParseFloat(string(b), 10, 1024, big.ToNearestEven)
		return errA == nil && errB == nil && x.Cmp(y) == 0
	case map[string]any:
		b, ok := b.(map[string]any)
		if !ok || len(a) != len(b) {
			return false
		}
		for k, v := range a {
			if !sameJSON(v, b[k], exact) {
				return false
			}
		}
		return true
	case orchestrator.State:
		return sameJSON(map[string]any(a), b, exact)
	case []any:
		b, ok := b.([]any)
		if !ok || len(a) != len(b) {
			return false
		}
		for i := range a {
			if !sameJSON(a[i], b[i], exact) {
				return false
			}
		}
		return true
	}
	return reflect.DeepEqual(a, b)
}
