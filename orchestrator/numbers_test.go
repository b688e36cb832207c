package orchestrator_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/flowstore/flowstore/internal/testdb"
	"github.com/flowstore/flowstore/orchestrator"
	"github.com/flowstore/flowstore/store"
)

// exactNumbers are JSON numbers a float64 round trip would change (or
// refuse: 1e400 overflows it), as a WFO step might leave them.
var exactNumbers = map[string]string{
	"beyond_2_53":     "9007199254740993",
	"negative_big":    "-9007199254740993",
	"huge":            "123456789012345678901234567890",
	"tenth":           "0.1",
	"tenth_scaled":    "0.10",
	"pi_long":         "3.141592653589793238462643383279",
	"exponent":        "1e400",
	"tiny":            "1.5E-300",
	"plus_exponent":   "2E+3",
	"negative_tenths": "-12.50",
}

// numbersJSON is a JSON object holding exactNumbers as written, plus a nested
// object and list, in the text WFO would send.
func numbersJSON(extra string) string {
	var b strings.Builder
	b.WriteString("{")
	for k, v := range exactNumbers {
		fmt.Fprintf(&b, "%q: %s, ", k+extra, v)
	}
	fmt.Fprintf(&b, `"nested%s": {"id": 9007199254740993, "list": [1e400, 0.10, 18446744073709551617]}, "name%s": "x"}`, extra, extra)
	return b.String()
}

// numberTokens decodes a JSON object and returns each number it holds, by
// its path, as the text of the number.
func numberTokens(t testing.TB, doc []byte) map[string]string {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("decode %s: %v", doc, err)
	}
	out := map[string]string{}
	var walk func(path string, v any)
	walk = func(path string, v any) {
		switch x := v.(type) {
		case json.Number:
			out[path] = string(x)
		case map[string]any:
			for k, e := range x {
				walk(path+"."+k, e)
			}
		case []any:
			for i, e := range x {
				walk(fmt.Sprintf("%s[%d]", path, i), e)
			}
		}
	}
	walk("", v)
	return out
}

// sameValue reports whether two decimal numbers are the same number.
func sameValue(a, b string) bool {
	x, ok1 := new(big.Rat).SetString(a)
	y, ok2 := new(big.Rat).SetString(b)
	return ok1 && ok2 && x.Cmp(y) == 0
}

// TestWFOStateNumbersExact plays WFO's part: it writes a process as WFO
// leaves it — created by WFO (initial input), one step run by WFO, then a
// step that suspended, and a resume with user input (status resumed, a
// user_input row) — at the SQL level, with state JSON holding numbers a
// float64 cannot hold. The flowstore engine then continues the process to
// its end. Every number must come out of every step row exactly as the
// database holds what WFO wrote: byte for byte where the column is text
// (SQLite, MySQL/MariaDB, SQL Server), and on PostgreSQL's jsonb, which
// keeps the value but may spell it its own way, as jsonb hands it back (to
// WFO as to us). Before the fix 9007199254740993 came back as
// 9007199254740992 and 1e400 made the process unloadable.
func TestWFOStateNumbersExact(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		e := newEngine(t, db)
		var seenInput orchestrator.State
		check := orchestrator.Step{Name: "check", Fn: func(ctx context.Context, _ *store.Session, st orchestrator.State) (orchestrator.Result, error) {
			// Steps see numbers as json.Number, and their own numbers go
			// in as Go values.
			n, ok := st["beyond_2_53"].(json.Number)
			if !ok || n.String() != "9007199254740993" {
				return orchestrator.Result{}, fmt.Errorf("step saw beyond_2_53 = %#v", st["beyond_2_53"])
			}
			st["added_by_step"] = json.Number("9007199254740995")
			return orchestrator.Success(st), nil
		}}
		ask := orchestrator.Step{Name: "ask", Fn: func(ctx context.Context, _ *store.Session, st orchestrator.State) (orchestrator.Result, error) {
			in, ok := orchestrator.UserInput(ctx)
			if !ok {
				return orchestrator.Suspend(st), nil
			}
			seenInput = in
			return orchestrator.Success(st), nil
		}}
		prepare := orchestrator.Step{Name: "prepare", Fn: func(context.Context, *store.Session, orchestrator.State) (orchestrator.Result, error) {
			return orchestrator.Result{}, fmt.Errorf("WFO ran this step; the engine must not run it again")
		}}
		if err := e.Register(ctx, orchestrator.Workflow{Name: "wfo-numbers", Target: orchestrator.TargetCreate,
			Steps: []orchestrator.Step{prepare, ask, check}}); err != nil {
			t.Fatal(err)
		}
		wf, err := e.Store().Workflow(ctx, "wfo-numbers")
		if err != nil {
			t.Fatal(err)
		}

		// WFO's rows, as it writes them: UTC timestamps, lower-case
		// statuses, the state as JSON text.
		pid := uuid.New()
		t0 := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
		initial := numbersJSON("")
		stepState := numbersJSON("") // the first step passes the state on
		userInput := numbersJSON("_input")
		exec := func(q string, args ...any) {
			t.Helper()
			if _, err := db.Bun().NewRaw(q, args...).Exec(ctx); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
		exec(`INSERT INTO processes (pid, workflow_id, assignee, last_status, last_step, started_at, last_modified_at, created_by, is_task) VALUES (?, ?, 'SYSTEM', 'resumed', 'ask', ?, ?, 'wfo-user', ?)`,
			pid, wf.WorkflowID, t0, t0.Add(3*time.Second), false)
		exec(`INSERT INTO input_states (input_state_id, pid, input_state, input_time, input_type) VALUES (?, ?, ?, ?, 'initial_state')`,
			uuid.New(), pid, initial, t0)
		exec(`INSERT INTO process_steps (stepid, pid, name, status, state, created_by, executed_at) VALUES (?, ?, 'prepare', 'success', ?, 'wfo-user', ?)`,
			uuid.New(), pid, stepState, t0.Add(time.Second))
		exec(`INSERT INTO process_steps (stepid, pid, name, status, state, created_by, executed_at) VALUES (?, ?, 'ask', 'suspend', ?, 'wfo-user', ?)`,
			uuid.New(), pid, stepState, t0.Add(2*time.Second))
		exec(`INSERT INTO input_states (input_state_id, pid, input_state, input_time, input_type) VALUES (?, ?, ?, ?, 'user_input')`,
			uuid.New(), pid, userInput, t0.Add(3*time.Second))

		// What the database hands back for WFO's rows: the reference.
		steps, err := e.Store().Steps(ctx, pid)
		if err != nil || len(steps) != 2 {
			t.Fatalf("WFO's steps: %v, %v", steps, err)
		}
		stored := numberTokens(t, steps[1].State)
		inputs, err := e.Store().InputStates(ctx, pid)
		if err != nil || len(inputs) != 2 {
			t.Fatalf("WFO's inputs: %v, %v", inputs, err)
		}
		storedInput := numberTokens(t, inputs[1].State)
		for path, tok := range stored {
			lit := literalAt(path)
			if !sameValue(tok, lit) {
				t.Fatalf("the database changed the value of %s: wrote %s, holds %s", path, lit, tok)
			}
			if db.SQLDialect().Name() != store.Postgres && tok != lit {
				t.Fatalf("a text column changed %s: wrote %s, holds %s", path, lit, tok)
			}
		}

		p, err := e.RunProcess(ctx, pid)
		if err != nil {
			t.Fatal(err)
		}
		if p.LastStatus != orchestrator.StatusCompleted {
			t.Fatalf("status %s, want completed (%v)", p.LastStatus, deref(p.FailedReason))
		}
		if got := stepsOf(t, db, pid); strings.Join(got, " ") != "prepare:success ask:suspend ask:success check:success Done:complete" {
			t.Fatalf("steps %v", got)
		}
		if n, _ := seenInput["beyond_2_53_input"].(json.Number); n != "9007199254740993" {
			t.Errorf("UserInput gave %#v", seenInput["beyond_2_53_input"])
		}
		steps, err = e.Store().Steps(ctx, pid)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range steps[2:] {
			got := numberTokens(t, s.State)
			for path, tok := range stored {
				if got[path] != tok {
					t.Errorf("step %s (%s): %s = %s, want %s as the database held it", s.Name, s.Status, path, got[path], tok)
				}
			}
			// The resume's input is merged into the state of the step that
			// suspended, and so into every later one.
			for path, tok := range storedInput {
				if got[path] != tok {
					t.Errorf("step %s: input %s = %s, want %s", s.Name, path, got[path], tok)
				}
			}
		}
		last := numberTokens(t, steps[len(steps)-1].State)
		if last[".added_by_step"] != "9007199254740995" {
			t.Errorf("a number the step added: %s", last[".added_by_step"])
		}

		// The store's own writes keep numbers too: Start, ResumeProcess.
		pid2, err := e.Start(ctx, "wfo-numbers", orchestrator.State{"n": json.Number("9007199254740993"), "f": json.Number("0.10")})
		if err != nil {
			t.Fatal(err)
		}
		ins, err := e.Store().InputStates(ctx, pid2)
		if err != nil {
			t.Fatal(err)
		}
		got := numberTokens(t, ins[0].State)
		if got[".n"] != "9007199254740993" || !sameValue(got[".f"], "0.10") {
			t.Errorf("initial input stored as %s", ins[0].State)
		}
	})
}

// literalAt returns the number exactNumbers (or the nested object) holds at
// a path numberTokens reports.
func literalAt(path string) string {
	key := strings.TrimPrefix(path, ".")
	key = strings.TrimSuffix(key, "_input")
	if v, ok := exactNumbers[key]; ok {
		return v
	}
	switch strings.TrimPrefix(path, ".nested") {
	case ".id":
		return "9007199254740993"
	case ".list[0]":
		return "1e400"
	case ".list[1]":
		return "0.10"
	case ".list[2]":
		return "18446744073709551617"
	}
	return "?" + path
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
