package pipeline

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/flowstore/flowstore/orchestrator/internal/textrule"
	"github.com/flowstore/flowstore/store"
	"github.com/flowstore/flowstore/trigger"
)

// NextFire returns when a timer with this cron expression fires next after
// the given time, in UTC. A malformed expression wraps store.ErrInvalid; one
// that matches no time in the five years the cron library looks ahead
// ("0 0 30 2 *") is ErrNeverFires, which matches store.ErrInvalid too.
func NextFire(cron string, after time.Time) (time.Time, error) {
	next, err := nextFire(cron, after)
	return next, fail("next fire time", err)
}

func nextFire(cron string, after time.Time) (time.Time, error) {
	sched, err := trigger.ParseCron(cron)
	if err != nil {
		return time.Time{}, err
	}
	next := sched.Next(after)
	if next.IsZero() {
		return time.Time{}, fmt.Errorf("%w: %q matches no time after %s",
			ErrNeverFires, cron, after.UTC().Format(time.RFC3339))
	}
	return store.UTC(next), nil
}

// CreateTimer implements Timers.
func (s *bunStore) CreateTimer(ctx context.Context, t *Timer) error {
	if err := checkArgs(ctx, t, "timer"); err != nil {
		return fail("create timer", err)
	}
	return fail(fmt.Sprintf("create timer of workflow %d", t.Workflow), s.createTimer(ctx, t))
}

func (s *bunStore) createTimer(ctx context.Context, t *Timer) error {
	if err := textrule.Struct("", t); err != nil {
		return err
	}
	if err := required("namespace", t.Namespace); err != nil {
		return err
	}
	if err := checkLens(s.h, "namespace", t.Namespace, "repository", t.Repository, "cron", t.Cron,
		"event_type", t.EventType, "event_name", t.EventName); err != nil {
		return err
	}
	now := s.h.Now()
	next, err := nextFire(t.Cron, now)
	if err != nil {
		return err
	}
	t.NextRun = time.Time{}
	if t.Available {
		t.NextRun = next
	}
	stamp(now, &t.CreatedAt, &t.UpdatedAt, &t.DeletedAt)
	return s.h.InTx(ctx, func(ctx context.Context, h store.Handle) error {
		if err := lockWorkflow(ctx, h, t.Workflow); err != nil {
			return err
		}
		t.ID = 0
		_, err := h.IDB().NewInsert().Model(t).Exec(ctx)
		return dbErr(h, "insert timer", err)
	})
}

// ListTimers implements Timers. A version has a few timers: no limit, no
// iterator.
func (s *bunStore) ListTimers(ctx context.Context, workflow int64) ([]Timer, error) {
	if err := store.CheckContext(ctx); err != nil {
		return nil, fail(fmt.Sprintf("list timers of workflow %d", workflow), err)
	}
	var ts []Timer
	err := s.h.IDB().NewSelect().Model(&ts).Where("? = ?", ident("workflow"), workflow).Order("id").Scan(ctx)
	return ts, fail(fmt.Sprintf("list timers of workflow %d", workflow), dbErr(s.h, "read timer", err))
}

// SetTimerAvailable implements Timers.
func (s *bunStore) SetTimerAvailable(ctx context.Context, id int64, available bool) error {
	op := fmt.Sprintf("switch timer %d off", id)
	if available {
		op = fmt.Sprintf("switch timer %d on", id)
	}
	if err := store.CheckContext(ctx); err != nil {
		return fail(op, err)
	}
	return fail(op, s.setTimerAvailable(ctx, id, available))
}

func (s *bunStore) setTimerAvailable(ctx context.Context, id int64, available bool) error {
	var t Timer
	if err := s.h.IDB().NewSelect().Model(&t).Where("? = ?", ident("id"), id).Scan(ctx); err != nil {
		return notFoundOr(s.h, err, "read timer", "timer %d", id)
	}
	now := s.h.Now()
	q := s.h.IDB().NewUpdate().Model((*Timer)(nil)).
		Set("? = ?", ident("available"), available).Set("? = ?", ident("updated_at"), now)
	if available {
		next, err := nextFire(t.Cron, now)
		if err != nil {
			return err
		}
		q = q.Set("? = ?", ident("next_run"), next)
	} else {
		q = q.Set("? = NULL", ident("next_run"))
	}
	res, err := q.Where("? = ?", ident("id"), id).Exec(ctx)
	return affected(s.h, res, err, "update timer", fmt.Sprintf("timer %d", id))
}

// FireDueTimers implements Timers.
//
// Each due timer is claimed by a conditional UPDATE that moves next_run
// from a time that has come to the next occurrence after now; only one
// caller's UPDATE can match, on every dialect, because the row lock makes
// the others re-read a next_run that is now in the future. The run starts
// in the same transaction (in a savepoint), so an occurrence is either
// claimed and started, or neither. A start refused by the workflow
// (disabled, instance limit) still uses up the occurrence, as pilotage's
// timers did; the Firing says why.
//
// Timers pilotage created have no next_run; they are scheduled from now on
// the first call and fire from then on. Such a timer whose expression never
// fires (CreateTimer refuses those, older rows may have one) is switched off
// instead (available false, next_run NULL) with a warning in the store's
// logger; one whose expression does not parse is left alone and never fires.
func (s *bunStore) FireDueTimers(ctx context.Context) ([]Firing, error) {
	if err := store.CheckContext(ctx); err != nil {
		return nil, fail("fire due timers", err)
	}
	fired, err := s.fireDueTimers(ctx)
	return fired, fail("fire due timers", err)
}

func (s *bunStore) fireDueTimers(ctx context.Context) ([]Firing, error) {
	now := s.h.Now()
	var unscheduled []Timer
	if err := s.h.IDB().NewSelect().Model(&unscheduled).Where("? = ?", ident("available"), true).
		Where("? IS NULL", ident("next_run")).Order("id").Scan(ctx); err != nil {
		return nil, dbErr(s.h, "read timers", err)
	}
	for _, t := range unscheduled {
		next, err := nextFire(t.Cron, now)
		if errors.Is(err, ErrNeverFires) {
			if err := disableTimer(ctx, s.h, t, now); err != nil {
				return nil, err
			}
			continue
		}
		if err != nil {
			continue // a malformed legacy cron never fires; CreateTimer refuses new ones
		}
		if _, err := s.h.IDB().NewUpdate().Model((*Timer)(nil)).Set("? = ?", ident("next_run"), next).
			Where("? = ?", ident("id"), t.ID).Where("? IS NULL", ident("next_run")).Exec(ctx); err != nil {
			return nil, dbErr(s.h, "schedule timer", err)
		}
	}
	var due []Timer
	if err := s.h.IDB().NewSelect().Model(&due).Where("? = ?", ident("available"), true).
		Where("? <= ?", ident("next_run"), now).Order("next_run", "id").Scan(ctx); err != nil {
		return nil, dbErr(s.h, "read due timers", err)
	}
	var fired []Firing
	for _, t := range due {
		next, err := nextFire(t.Cron, now)
		if errors.Is(err, ErrNeverFires) {
			// Written by an older release, which stored a zero next_run for it.
			if err := disableTimer(ctx, s.h, t, now); err != nil {
				return fired, err
			}
			continue
		}
		if err != nil {
			continue
		}
		var f *Firing
		err = s.h.InTx(ctx, func(ctx context.Context, h store.Handle) error {
			f = nil
			claimed, err := claimTimer(ctx, h, t.ID, now, next)
			if err != nil || !claimed {
				return err // nil when another process fired this occurrence
			}
			f = &Firing{Timer: t, Due: t.NextRun, NextRun: next}
			f.Timer.NextRun = next
			var run *Run
			err = h.InTx(ctx, func(ctx context.Context, h store.Handle) error {
				var err error
				run, err = startRun(ctx, h, t.Workflow, StartOptions{StartData: t.StartJSON})
				return err
			})
			switch {
			case err == nil:
				f.Run = &run.Workflow
			case errors.Is(err, ErrInstanceLimit), errors.Is(err, ErrDisabled), errors.Is(err, store.ErrNotFound):
				f.Err = fail(fmt.Sprintf("start run of workflow %d", t.Workflow), err) // as StartRun would say it
			default:
				return err
			}
			return nil
		})
		if err != nil {
			return fired, err
		}
		if f != nil {
			fired = append(fired, *f)
		}
	}
	return fired, nil
}

// claimTimer moves a due timer's next_run from a time that has come to
// next. Only one of several racing callers matches the row: the others wait
// for its lock and then see a next_run in the future.
func claimTimer(ctx context.Context, h store.Handle, id int64, now, next time.Time) (bool, error) {
	res, err := h.IDB().NewUpdate().Model((*Timer)(nil)).
		Set("? = ?", ident("next_run"), next).Set("? = ?", ident("updated_at"), now).
		Where("? = ?", ident("id"), id).Where("? = ?", ident("available"), true).
		Where("? <= ?", ident("next_run"), now).Exec(ctx)
	if err != nil {
		return false, dbErr(h, "claim timer", err)
	}
	n, err := res.RowsAffected()
	return n == 1, dbErr(h, "claim timer", err)
}

// disableTimer switches off a timer whose cron expression never fires, so
// that it is neither fired nor looked at again; the UPDATE names the
// expression it judged.
func disableTimer(ctx context.Context, h store.Handle, t Timer, now time.Time) error {
	res, err := h.IDB().NewUpdate().Model((*Timer)(nil)).
		Set("? = ?", ident("available"), false).Set("? = NULL", ident("next_run")).
		Set("? = ?", ident("updated_at"), now).
		Where("? = ?", ident("id"), t.ID).Where("? = ?", ident("available"), true).
		Where("? = ?", ident("cron"), t.Cron).Exec(ctx)
	if err != nil {
		return dbErr(h, "disable timer", err)
	}
	if n, _ := res.RowsAffected(); n == 1 {
		h.DB().Logger().WarnContext(ctx, "pipeline: timer switched off: its cron expression never fires",
			"timer", t.ID, "workflow", t.Workflow, "cron", t.Cron)
	}
	return nil
}
