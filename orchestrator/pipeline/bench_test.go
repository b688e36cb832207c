package pipeline_test

import (
	"context"
	"database/sql"
	"testing"
	"time"

	"github.com/flowstore/flowstore/internal/testdb"
	"github.com/flowstore/flowstore/orchestrator/pipeline"
	"github.com/flowstore/flowstore/store"
)

// The benchmarks compare the library with the raw driver running the same
// statements with bound parameters, in the same run on the same database:
//
//	go test ./orchestrator/pipeline -run '^$' -bench . -benchtime 200x
//
// StartRun is the path every run takes (allocation, workflow_sequence,
// copies of a three-stage workflow with two actions and one variable);
// Transition is the one every state change takes.
func BenchmarkStartRun(b *testing.B) {
	for _, d := range benchDialects() {
		b.Run(string(d), func(b *testing.B) {
			db := testdb.Fresh(b, d)
			ctx := context.Background()
			ps := newStore(b, db)
			def, err := ps.CreateWorkflow(ctx, threeStages("bench"))
			if err != nil {
				b.Fatal(err)
			}
			b.Run("flowstore", func(b *testing.B) {
				for range b.N {
					if _, err := ps.StartRun(ctx, def.Workflow.ID, pipeline.StartOptions{}); err != nil {
						b.Fatal(err)
					}
				}
			})
			b.Run("raw", func(b *testing.B) {
				for range b.N {
					if err := rawStartRun(ctx, db, def.Workflow.ID); err != nil {
						b.Fatal(err)
					}
				}
			})
		})
	}
}

func BenchmarkTransition(b *testing.B) {
	for _, d := range benchDialects() {
		b.Run(string(d), func(b *testing.B) {
			db := testdb.Fresh(b, d)
			ctx := context.Background()
			ps := newStore(b, db)
			def, err := ps.CreateWorkflow(ctx, threeStages("bench"))
			if err != nil {
				b.Fatal(err)
			}
			actions := func(n int) []int64 {
				var ids []int64
				for len(ids) < n {
					r, err := ps.StartRun(ctx, def.Workflow.ID, pipeline.StartOptions{})
					if err != nil {
						b.Fatal(err)
					}
					for _, a := range r.Stages[1].Actions {
						ids = append(ids, a.ID)
					}
				}
				return ids[:n]
			}
			b.Run("flowstore", func(b *testing.B) {
				ids := actions(b.N)
				b.ResetTimer()
				for i := range b.N {
					if err := ps.Transition(ctx, pipeline.LevelAction, ids[i], pipeline.RunDoing, ""); err != nil {
						b.Fatal(err)
					}
				}
			})
			b.Run("raw", func(b *testing.B) {
				ids := actions(b.N)
				q := db.SQLDialect().Rebind(`UPDATE action_log SET run_state = ?, updated_at = ? WHERE id = ? AND (run_state IN (?, ?) OR run_state IS NULL) AND (requires IS NULL OR requires = '' OR requires = '[]') AND deleted_at IS NULL`)
				b.ResetTimer()
				for i := range b.N {
					// Transition runs in a transaction (a workflow's end
					// also releases its instance); so does the raw path.
					tx, err := db.SQL().BeginTx(ctx, nil)
					if err != nil {
						b.Fatal(err)
					}
					res, err := tx.ExecContext(ctx, q, 2, time.Now().UTC(), ids[i], 0, 1)
					if err != nil {
						b.Fatal(err)
					}
					if n, _ := res.RowsAffected(); n != 1 {
						b.Fatalf("raw transition matched %d rows", n)
					}
					if err := tx.Commit(); err != nil {
						b.Fatal(err)
					}
				}
			})
		})
	}
}

func benchDialects() []store.DialectName {
	var ds []store.DialectName
	for _, d := range testdb.Live() {
		if d == store.SQLite || d == store.Postgres {
			ds = append(ds, d)
		}
	}
	return ds
}

// rawStartRun is StartRun's statement sequence on database/sql with bound
// parameters (PostgreSQL and SQLite both speak RETURNING).
func rawStartRun(ctx context.Context, db *store.DB, workflow int64) error {
	rb := db.SQLDialect().Rebind
	tx, err := db.SQL().BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	now := time.Now().UTC()
	res, err := tx.ExecContext(ctx, rb(`UPDATE workflow SET last_sequence = COALESCE(last_sequence, 0) + 1, current_instance = COALESCE(current_instance, 0) + 1 WHERE id = ? AND state = 1 AND (is_limit_instance IS NULL OR is_limit_instance = ? OR COALESCE(current_instance, 0) < COALESCE(limit_instance, 0)) AND deleted_at IS NULL`), workflow, false)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return store.ErrConflict
	}
	var w struct {
		ns, repo, name, version, code, manifest, desc, src, env, req sql.NullString
		seq                                                          int64
	}
	if err := tx.QueryRowContext(ctx, rb(`SELECT namespace, repository, workflow, version, version_code, manifest, description, source_info, env, requires, last_sequence FROM workflow WHERE id = ? AND deleted_at IS NULL`), workflow).
		Scan(&w.ns, &w.repo, &w.name, &w.version, &w.code, &w.manifest, &w.desc, &w.src, &w.env, &w.req, &w.seq); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, rb(`INSERT INTO workflow_sequence (workflow, sequence, created_at, updated_at) VALUES (?, ?, ?, ?)`), workflow, w.seq, now, now); err != nil {
		return err
	}
	var runID int64
	if err := tx.QueryRowContext(ctx, rb(`INSERT INTO workflow_log (namespace, repository, workflow, from_workflow, pre_workflow, pre_workflow_info, version, version_code, sequence, run_state, event, manifest, description, source_info, env, requires, auth_list, created_at, updated_at, pre_stage, pre_action) VALUES (?, ?, ?, ?, 0, '', ?, ?, ?, 0, 0, ?, ?, ?, ?, ?, '[]', ?, ?, 0, 0) RETURNING id`),
		w.ns, w.repo, w.name, workflow, w.version, w.code, w.seq, w.manifest, w.desc, w.src, w.env, w.req, now, now).Scan(&runID); err != nil {
		return err
	}
	type stage struct {
		id, typ                                         int64
		ns, repo, name, title, desc, man, env, to, reqs sql.NullString
	}
	rows, err := tx.QueryContext(ctx, rb(`SELECT id, type, namespace, repository, stage, title, description, manifest, env, timeout, requires FROM stage WHERE workflow = ? AND deleted_at IS NULL ORDER BY id`), workflow)
	if err != nil {
		return err
	}
	var stages []stage
	for rows.Next() {
		var s stage
		if err := rows.Scan(&s.id, &s.typ, &s.ns, &s.repo, &s.name, &s.title, &s.desc, &s.man, &s.env, &s.to, &s.reqs); err != nil {
			return err
		}
		stages = append(stages, s)
	}
	if err := rows.Close(); err != nil {
		return err
	}
	type action struct {
		id, stage                                  int64
		ns, repo, name, title, image, tag, timeout sql.NullString
	}
	rows, err = tx.QueryContext(ctx, rb(`SELECT id, stage, namespace, repository, action, title, image_name, image_tag, timeout FROM action WHERE workflow = ? AND deleted_at IS NULL ORDER BY id`), workflow)
	if err != nil {
		return err
	}
	var actions []action
	for rows.Next() {
		var a action
		if err := rows.Scan(&a.id, &a.stage, &a.ns, &a.repo, &a.name, &a.title, &a.image, &a.tag, &a.timeout); err != nil {
			return err
		}
		actions = append(actions, a)
	}
	if err := rows.Close(); err != nil {
		return err
	}
	pre := int64(-1)
	for _, s := range stages {
		var sid int64
		if err := tx.QueryRowContext(ctx, rb(`INSERT INTO stage_log (namespace, repository, workflow, from_workflow, sequence, from_stage, type, pre_stage, stage, title, description, run_state, event, manifest, env, timeout, requires, auth_list, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, 0, ?, ?, ?, ?, '[]', ?, ?) RETURNING id`),
			s.ns, s.repo, runID, workflow, w.seq, s.id, s.typ, pre, s.name, s.title, s.desc, s.man, s.env, s.to, s.reqs, now, now).Scan(&sid); err != nil {
			return err
		}
		pre = sid
		for _, a := range actions {
			if a.stage != s.id {
				continue
			}
			if _, err := tx.ExecContext(ctx, rb(`INSERT INTO action_log (namespace, repository, workflow, from_workflow, sequence, stage, from_stage, from_action, run_state, component, service, action, title, image_name, image_tag, timeout, auth_list, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0, 0, 0, ?, ?, ?, ?, ?, '[]', ?, ?) RETURNING id`),
				a.ns, a.repo, runID, workflow, w.seq, sid, s.id, a.id, a.name, a.title, a.image, a.tag, a.timeout, now, now); err != nil {
				return err
			}
		}
	}
	rows, err = tx.QueryContext(ctx, rb(`SELECT "key", "default", vaule FROM workflow_var WHERE workflow = ? AND deleted_at IS NULL ORDER BY id`), workflow)
	if err != nil {
		return err
	}
	var vars [][3]sql.NullString
	for rows.Next() {
		var v [3]sql.NullString
		if err := rows.Scan(&v[0], &v[1], &v[2]); err != nil {
			return err
		}
		vars = append(vars, v)
	}
	if err := rows.Close(); err != nil {
		return err
	}
	for _, v := range vars {
		if _, err := tx.ExecContext(ctx, rb(`INSERT INTO workflow_var_log (workflow, from_workflow, sequence, "key", "default", vaule, change_log) VALUES (?, ?, ?, ?, ?, ?, '[]')`),
			runID, workflow, w.seq, v[0], v[1], v[2]); err != nil {
			return err
		}
	}
	return tx.Commit()
}
