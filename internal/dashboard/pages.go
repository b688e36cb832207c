package dashboard

import (
	"errors"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/flowstore/flowstore/orchestrator"
	"github.com/flowstore/flowstore/orchestrator/pipeline"
	"github.com/flowstore/flowstore/queue"
	"github.com/flowstore/flowstore/store"
	"github.com/flowstore/flowstore/store/correlation"
	"github.com/flowstore/flowstore/store/logs"
	"github.com/flowstore/flowstore/store/snapshot"
	"github.com/flowstore/flowstore/trigger"
)

var queueStatuses = []queue.Status{queue.StatusNew, queue.StatusInProgress, queue.StatusDone, queue.StatusFailed, queue.StatusAbandoned}

// ---- overview ----

type queueRow struct {
	Name     string
	Counts   []string // in queueStatuses order, capped
	DoneHour string   // DONE with end_date in the last hour, capped
}

type schedRow struct {
	trigger.SchedulerInfo
	Stale bool
}

type overviewData struct {
	Statuses   []queue.Status
	Queues     []queueRow
	MoreQueues bool      // more than maxQueues queues; the first are shown
	CountsAt   time.Time // when the queue counts were read (they may be cached)
	Due        []trigger.Trigger
	Running    []trigger.Trigger
	Schedulers []schedRow
	Engine     orchestrator.Status
	Runs       []runningRun // newest running pipeline runs
	MoreRuns   bool
	Failed     []orchestrator.Process
	Errors     []logs.Entry
}

func (h *handler) overview(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	d := overviewData{Statuses: queueStatuses}
	c, err := h.overviewCounts(ctx)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	d.MoreQueues, d.CountsAt = c.More, c.At
	for _, q := range c.Queues {
		row := queueRow{Name: q.Name, DoneHour: capped(q.DoneHour)}
		for _, n := range q.ByStatus {
			row.Counts = append(row.Counts, capped(n))
		}
		d.Queues = append(d.Queues, row)
	}
	now := h.db.Now()
	if d.Due, err = h.s.Triggers.Due(ctx, now, 20); err != nil {
		h.fail(w, r, err)
		return
	}
	if d.Running, err = h.s.Triggers.List(ctx, trigger.Filter{Statuses: []trigger.Status{trigger.StatusRunning, trigger.StatusPausing, trigger.StatusKilling}}); err != nil {
		h.fail(w, r, err)
		return
	}
	scheds, err := h.s.Triggers.Schedulers(ctx)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	for _, s := range scheds {
		d.Schedulers = append(d.Schedulers, schedRow{SchedulerInfo: s, Stale: now.Sub(s.LastUpdate) > h.o.StaleAfter})
	}
	if d.Engine, err = h.s.Processes.EngineStatus(ctx); err != nil {
		h.fail(w, r, err)
		return
	}
	if d.Runs, d.MoreRuns, err = h.runningPipelineRuns(ctx); err != nil {
		h.fail(w, r, err)
		return
	}
	if d.Failed, err = h.s.Processes.Processes(ctx, orchestrator.ProcessFilter{Status: orchestrator.StatusFailed, Limit: 10}); err != nil {
		h.fail(w, r, err)
		return
	}
	for e, err := range h.s.Logs.All(ctx, logs.Filter{Level: logs.LevelError, Limit: 10}) {
		if err != nil {
			h.fail(w, r, err)
			return
		}
		d.Errors = append(d.Errors, e)
	}
	h.render(w, r, "overview", "Overview", d)
}

// ---- queues ----

type queuesData struct {
	Queue, Status, Reference string
	Statuses                 []queue.Status
	Elements                 []queue.Element
	Next                     template.URL // the query of the next page (url.Values.Encode); "" on the last
	Self                     string
}

// cursor is a keyset position: the created_date and id of the last row
// shown, in a URL-safe form.
func cursor(t time.Time, id uuid.UUID) string {
	return strconv.FormatInt(t.UnixMicro(), 10) + "_" + id.String()
}

func parseCursor(s string) (time.Time, uuid.UUID, bool) {
	ts, ids, ok := strings.Cut(s, "_")
	if !ok {
		return time.Time{}, uuid.Nil, false
	}
	us, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return time.Time{}, uuid.Nil, false
	}
	id, err := uuid.Parse(ids)
	if err != nil {
		return time.Time{}, uuid.Nil, false
	}
	return time.UnixMicro(us).UTC(), id, true
}

func (h *handler) queues(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	d := queuesData{Queue: q.Get("queue"), Status: q.Get("status"), Reference: q.Get("reference"), Statuses: queueStatuses, Self: r.URL.RequestURI()}
	if d.Queue != "" && d.Status == "" {
		// One queue is listed one status at a time: the index (queue_name,
		// status, created_date, id) then serves the page in order, where
		// all statuses of a long queue would be read and sorted.
		d.Status = string(queue.StatusFailed)
	}
	f := queue.Filter{Queue: d.Queue, Reference: d.Reference, Desc: true, Limit: pageSize + 1}
	if d.Status != "" {
		f.Status = queue.Status(d.Status)
		if !slices.Contains(queueStatuses, f.Status) {
			http.Error(w, "bad request: unknown status", http.StatusBadRequest)
			return
		}
	}
	var after uuid.UUID
	var at time.Time
	if c := q.Get("before"); c != "" {
		var ok bool
		if at, after, ok = parseCursor(c); !ok {
			http.Error(w, "bad request: bad cursor", http.StatusBadRequest)
			return
		}
		// Keyset: everything up to the last row shown, newest first; rows
		// with the same created_date are told apart by id below (All
		// reads on past them, however many there are).
		f.To = at
	}
	for e, err := range h.s.Queue.All(r.Context(), f) {
		if err != nil {
			h.fail(w, r, err)
			return
		}
		if !at.IsZero() && e.CreatedDate.Equal(at) && h.db.SQLDialect().CompareUUIDs(e.ID, after) >= 0 {
			continue
		}
		d.Elements = append(d.Elements, e)
		if len(d.Elements) > pageSize {
			break
		}
	}
	if len(d.Elements) > pageSize {
		d.Elements = d.Elements[:pageSize]
		last := d.Elements[pageSize-1]
		nq := url.Values{}
		for k, v := range map[string]string{"queue": d.Queue, "status": d.Status, "reference": d.Reference} {
			if v != "" {
				nq.Set(k, v)
			}
		}
		nq.Set("before", cursor(last.CreatedDate, last.ID))
		d.Next = template.URL(nq.Encode())
	}
	h.render(w, r, "queues", "Queues", d)
}

type elementData struct {
	E    queue.Element
	Seen string
	Back string
}

// seenElement is what an action on an element expects to find: its status
// and dates as the page showed them.
func seenElement(e queue.Element) string {
	return string(e.Status) + "|" + strconv.FormatInt(e.StartDate.UnixMicro(), 10) + "|" + strconv.FormatInt(e.EndDate.UnixMicro(), 10)
}

func (h *handler) element(w http.ResponseWriter, r *http.Request) {
	id, err := uuid.Parse(r.PathValue("id"))
	if err != nil {
		http.Error(w, "bad request: bad id", http.StatusBadRequest)
		return
	}
	e, err := h.s.Queue.Get(r.Context(), id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.render(w, r, "element", "Queue element", elementData{E: e, Seen: seenElement(e), Back: "/queues/element/" + id.String()})
}

// checkElement reads the element a form names and refuses (errChanged)
// when it is no longer as the page showed it.
func (h *handler) checkElement(r *http.Request) (queue.Element, error) {
	id, err := uuid.Parse(r.PostForm.Get("id"))
	if err != nil {
		return queue.Element{}, store.ErrInvalid
	}
	e, err := h.s.Queue.Get(r.Context(), id)
	if err != nil {
		return e, err
	}
	if seenElement(e) != r.PostForm.Get("seen") {
		return e, errChanged
	}
	return e, nil
}

// requeue sets a FAILED or (stale) IN_PROGRESS element back to NEW.
func (h *handler) requeue(r *http.Request) (string, string, error) {
	b := back(r, "/queues")
	e, err := h.checkElement(r)
	if err != nil {
		return b, "", err
	}
	if e.Status != queue.StatusFailed && e.Status != queue.StatusInProgress && e.Status != queue.StatusAbandoned {
		return b, "", store.ErrInvalid
	}
	return b, "requeued", h.s.Queue.ForceStatus(r.Context(), e.ID, queue.StatusNew, "")
}

func (h *handler) deleteElement(r *http.Request) (string, string, error) {
	e, err := h.checkElement(r)
	if err != nil {
		return back(r, "/queues"), "", err
	}
	return "/queues?queue=" + url.QueryEscape(e.QueueName), "deleted", h.s.Queue.Delete(r.Context(), e.ID)
}

func (h *handler) requeueStale(r *http.Request) (string, string, error) {
	b := back(r, "/queues")
	min, err := strconv.Atoi(r.PostForm.Get("minutes"))
	name := r.PostForm.Get("queue")
	if err != nil || min < 1 || name == "" {
		return b, "", store.ErrInvalid
	}
	_, err = h.s.Queue.RequeueStale(r.Context(), name, time.Duration(min)*time.Minute)
	return b, "stale", err
}

// ---- triggers ----

type triggersData struct {
	Triggers   []trigger.Trigger
	Schedulers []schedRow
}

func (h *handler) triggers(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	ts, err := h.s.Triggers.List(ctx, trigger.Filter{})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	scheds, err := h.s.Triggers.Schedulers(ctx)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	d := triggersData{Triggers: ts}
	now := h.db.Now()
	for _, s := range scheds {
		d.Schedulers = append(d.Schedulers, schedRow{SchedulerInfo: s, Stale: now.Sub(s.LastUpdate) > h.o.StaleAfter})
	}
	h.render(w, r, "triggers", "Triggers and schedulers", d)
}

// checkTrigger reads the trigger a form names; a status other than the one
// the page showed is errChanged.
func (h *handler) checkTrigger(r *http.Request) (trigger.Trigger, error) {
	id, err := uuid.Parse(r.PostForm.Get("id"))
	if err != nil {
		return trigger.Trigger{}, store.ErrInvalid
	}
	t, err := h.s.Triggers.Get(r.Context(), id)
	if err != nil {
		return t, err
	}
	if string(t.Status) != r.PostForm.Get("seen") {
		return t, errChanged
	}
	return t, nil
}

func (h *handler) pauseTrigger(r *http.Request) (string, string, error) {
	t, err := h.checkTrigger(r)
	if err != nil {
		return "/triggers", "", err
	}
	_, err = h.s.Triggers.Pause(r.Context(), t.ID)
	return "/triggers", "paused", err
}

func (h *handler) resumeTrigger(r *http.Request) (string, string, error) {
	t, err := h.checkTrigger(r)
	if err != nil {
		return "/triggers", "", err
	}
	_, err = h.s.Triggers.Resume(r.Context(), t.ID)
	return "/triggers", "resumed", err
}

// startTrigger makes an idle single or scheduled trigger due now; a
// scheduler starts it on its next poll (Begin stays the one conditional
// start).
func (h *handler) startTrigger(r *http.Request) (string, string, error) {
	t, err := h.checkTrigger(r)
	if err != nil {
		return "/triggers", "", err
	}
	if t.Status != trigger.StatusIdle || t.Type == trigger.Queue {
		return "/triggers", "", store.ErrInvalid
	}
	now := h.db.Now()
	_, err = h.s.Triggers.Update(r.Context(), t.ID, trigger.Patch{NextRun: &now})
	return "/triggers", "started", err
}

// ---- processes ----

type processesData struct {
	Status, Workflow string
	Statuses         []orchestrator.ProcessStatus
	Workflows        []orchestrator.WorkflowRow
	Processes        []orchestrator.Process
	Engine           orchestrator.Status
	Limit            int
}

var processStatuses = []orchestrator.ProcessStatus{
	orchestrator.StatusCreated, orchestrator.StatusRunning, orchestrator.StatusSuspended, orchestrator.StatusWaiting,
	orchestrator.StatusAwaitingCallback, orchestrator.StatusAborted, orchestrator.StatusFailed,
	orchestrator.StatusAPIUnavailable, orchestrator.StatusInconsistentData, orchestrator.StatusCompleted, orchestrator.StatusResumed,
}

func (h *handler) processes(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	q := r.URL.Query()
	d := processesData{Status: q.Get("status"), Workflow: q.Get("workflow"), Statuses: processStatuses, Limit: store.DefaultLimit}
	f := orchestrator.ProcessFilter{Workflow: d.Workflow, Limit: d.Limit}
	if d.Status != "" {
		st, err := orchestrator.ParseProcessStatus(d.Status)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		f.Status = st
	}
	var err error
	if d.Processes, err = h.s.Processes.Processes(ctx, f); err != nil {
		h.fail(w, r, err)
		return
	}
	if d.Workflows, err = h.s.Processes.Workflows(ctx); err != nil {
		h.fail(w, r, err)
		return
	}
	if d.Engine, err = h.s.Processes.EngineStatus(ctx); err != nil {
		h.fail(w, r, err)
		return
	}
	h.render(w, r, "processes", "Processes", d)
}

type processData struct {
	P         *orchestrator.Process
	Steps     []orchestrator.ProcessStep
	Inputs    int
	Seen      string
	Resumable bool
	Ended     bool
}

func resumable(s orchestrator.ProcessStatus) bool {
	switch s {
	case orchestrator.StatusSuspended, orchestrator.StatusWaiting, orchestrator.StatusAwaitingCallback,
		orchestrator.StatusFailed, orchestrator.StatusAPIUnavailable, orchestrator.StatusInconsistentData:
		return true
	}
	return false
}

func seenProcess(p *orchestrator.Process) string {
	return string(p.LastStatus) + "|" + strconv.FormatInt(p.LastModifiedAt.UnixMicro(), 10)
}

func (h *handler) process(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	pid, err := uuid.Parse(r.PathValue("pid"))
	if err != nil {
		http.Error(w, "bad request: bad pid", http.StatusBadRequest)
		return
	}
	p, err := h.s.Processes.Process(ctx, pid)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	steps, err := h.s.Processes.Steps(ctx, pid)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	inputs, err := h.s.Processes.InputStates(ctx, pid)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	d := processData{P: p, Steps: steps, Inputs: len(inputs), Seen: seenProcess(p), Resumable: resumable(p.LastStatus),
		Ended: p.LastStatus == orchestrator.StatusCompleted || p.LastStatus == orchestrator.StatusAborted}
	h.render(w, r, "process", "Process "+pid.String(), d)
}

func (h *handler) checkProcess(r *http.Request) (*orchestrator.Process, string, error) {
	pid, err := uuid.Parse(r.PostForm.Get("pid"))
	if err != nil {
		return nil, "/processes", store.ErrInvalid
	}
	b := "/processes/" + pid.String()
	p, err := h.s.Processes.Process(r.Context(), pid)
	if err != nil {
		return nil, b, err
	}
	if seenProcess(p) != r.PostForm.Get("seen") {
		return nil, b, errChanged
	}
	return p, b, nil
}

// resumeProcess is resume and retry: ResumeProcess's conditional update
// marks a stopped process resumed, and a serving engine runs it.
func (h *handler) resumeProcess(r *http.Request) (string, string, error) {
	p, b, err := h.checkProcess(r)
	if err != nil {
		return b, "", err
	}
	return b, "resumed", h.s.Processes.ResumeProcess(r.Context(), p.PID, nil)
}

func (h *handler) abortProcess(r *http.Request) (string, string, error) {
	p, b, err := h.checkProcess(r)
	if err != nil {
		return b, "", err
	}
	by := "dashboard"
	if h.o.Actor != nil {
		if a := h.o.Actor(r); a != "" {
			by = a
		}
	}
	return b, "aborted", h.s.Processes.AbortProcess(r.Context(), p.PID, by)
}

func (h *handler) lockEngine(r *http.Request) (string, string, error) {
	return back(r, "/processes"), "locked", h.s.Processes.Lock(r.Context())
}

func (h *handler) unlockEngine(r *http.Request) (string, string, error) {
	_, err := h.s.Processes.Unlock(r.Context())
	return back(r, "/processes"), "unlocked", err
}

// ---- pipelines ----

type pipelinesData struct {
	Namespace, Repository, Workflow string
	Asked                           bool
	Versions                        []pipeline.Workflow
	Runs                            []pipeline.WorkflowLog
}

func (h *handler) pipelines(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	d := pipelinesData{Namespace: q.Get("namespace"), Repository: q.Get("repository"), Workflow: q.Get("workflow")}
	if d.Namespace != "" && d.Repository != "" && d.Workflow != "" {
		d.Asked = true
		var err error
		if d.Versions, err = h.s.Pipelines.ListVersions(r.Context(), d.Namespace, d.Repository, d.Workflow); err != nil {
			h.fail(w, r, err)
			return
		}
		if d.Runs, err = h.s.Pipelines.ListRuns(r.Context(), pipeline.RunFilter{Namespace: d.Namespace, Repository: d.Repository, Workflow: d.Workflow, Limit: pageSize}); err != nil {
			h.fail(w, r, err)
			return
		}
	}
	h.render(w, r, "pipelines", "Pipelines", d)
}

func (h *handler) pipelineRun(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id < 1 {
		http.Error(w, "bad request: bad run id", http.StatusBadRequest)
		return
	}
	run, err := h.s.Pipelines.GetRunByID(r.Context(), id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.render(w, r, "run", "Pipeline run", run)
}

// ---- snapshots ----

type snapshotsData struct {
	ID, ProcessID, ProcessVersion, BusinessKey, EventType, Correlation string
	Asked                                                              bool
	Found                                                              []*snapshot.Info
	More                                                               bool
	Correlations                                                       []*correlation.Correlation
}

func (h *handler) snapshots(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	q := r.URL.Query()
	d := snapshotsData{ID: q.Get("id"), ProcessID: q.Get("process"), ProcessVersion: q.Get("version"),
		BusinessKey: q.Get("key"), EventType: q.Get("event"), Correlation: q.Get("correlation")}
	ref := snapshot.ProcessRef{ID: d.ProcessID}
	if d.ProcessVersion != "" {
		v := d.ProcessVersion
		ref.Version = &v
	}
	stat := func(id string) error {
		info, err := h.s.Snapshots.Stat(ctx, id)
		if errors.Is(err, store.ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		d.Found = append(d.Found, info)
		c, err := h.s.Correlations.FindByCorrelatedID(ctx, id)
		if err == nil {
			d.Correlations = append(d.Correlations, c)
		} else if !errors.Is(err, store.ErrNotFound) {
			return err
		}
		return nil
	}
	var err error
	switch {
	case d.ID != "":
		d.Asked = true
		err = stat(d.ID)
	case d.ProcessID != "" && d.BusinessKey != "":
		d.Asked = true
		var s *snapshot.Snapshot
		s, err = h.s.Snapshots.FindByBusinessKey(ctx, ref, d.BusinessKey)
		if errors.Is(err, store.ErrNotFound) {
			err = nil
		} else if err == nil {
			err = stat(s.ID)
		}
	case d.ProcessID != "" && d.EventType != "":
		d.Asked = true
		var ids []string
		for s, e := range h.s.Snapshots.WaitingForEventType(ctx, ref, d.EventType) {
			if e != nil {
				err = e
				break
			}
			if len(ids) == pageSize {
				d.More = true
				break
			}
			ids = append(ids, s.ID)
		}
		for _, id := range ids {
			if err == nil {
				err = stat(id)
			}
		}
	case d.Correlation != "":
		d.Asked = true
		var c *correlation.Correlation
		c, err = h.s.Correlations.FindByEncodedID(ctx, d.Correlation)
		if errors.Is(err, store.ErrNotFound) {
			err = nil
		} else if err == nil {
			d.Correlations = append(d.Correlations, c)
		}
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.render(w, r, "snapshots", "Snapshots", d)
}

// ---- logs ----

type logsData struct {
	Level, Process, From, To string
	Zone                     string // the zone the from and to fields are read in
	Levels                   []logs.Level
	Entries                  []logs.Entry
	Next                     template.URL // url.Values.Encode: safe in a URL's query
	TailQuery                template.URL
}

// formTime is the layout of the datetime-local inputs, read in the DB's
// zone: the zone the Logs table's naive times are written in and the page
// shows them in.
const formTime = "2006-01-02T15:04"

func (h *handler) logFilter(q url.Values) (logs.Filter, error) {
	var f logs.Filter
	if v := q.Get("level"); v != "" {
		l, err := logs.ParseLevel(v)
		if err != nil {
			return f, err
		}
		f.Level = l
	}
	f.ProcessName = q.Get("process")
	for _, b := range []struct {
		key string
		t   *time.Time
	}{{"from", &f.From}, {"to", &f.To}} {
		if v := q.Get(b.key); v != "" {
			t, err := time.ParseInLocation(formTime, v, h.db.Zone())
			if err != nil {
				return f, store.ErrInvalid
			}
			*b.t = t
		}
	}
	return f, nil
}

func (h *handler) logs(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f, err := h.logFilter(q)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	d := logsData{Level: q.Get("level"), Process: q.Get("process"), From: q.Get("from"), To: q.Get("to"), Zone: store.ZoneName(h.db.Zone()),
		Levels: []logs.Level{logs.LevelTrace, logs.LevelInfo, logs.LevelError}}
	tq := url.Values{}
	for _, k := range []string{"level", "process"} {
		if v := q.Get(k); v != "" {
			tq.Set(k, v)
		}
	}
	// The tail starts where this page's reading starts, so that no row
	// written in between is missed.
	tq.Set("since", strconv.FormatInt(h.db.Now().UnixMicro(), 10))
	d.TailQuery = template.URL(tq.Encode())
	var at time.Time
	var after uuid.UUID
	if c := q.Get("before"); c != "" {
		var ok bool
		if at, after, ok = parseCursor(c); !ok {
			http.Error(w, "bad request: bad cursor", http.StatusBadRequest)
			return
		}
		f.To = at // inclusive; ties (log_time DESC, id DESC) are skipped by id
	}
	// Logs.All's Limit caps the rows read. Ties at the cursor's time are
	// skipped, so a read that ends inside a run of ties is repeated with
	// a larger cap.
	for limit := pageSize + 1 + 16; ; limit *= 4 {
		f.Limit = limit
		d.Entries = d.Entries[:0]
		read := 0
		for e, err := range h.s.Logs.All(r.Context(), f) {
			if err != nil {
				h.fail(w, r, err)
				return
			}
			read++
			if !at.IsZero() && e.Time.Equal(at) && h.db.SQLDialect().CompareUUIDs(e.ID, after) >= 0 {
				continue
			}
			d.Entries = append(d.Entries, e)
			if len(d.Entries) > pageSize {
				break
			}
		}
		if len(d.Entries) > pageSize || read < limit {
			break
		}
	}
	if len(d.Entries) > pageSize {
		d.Entries = d.Entries[:pageSize]
		last := d.Entries[pageSize-1]
		nq := url.Values{}
		for _, k := range []string{"level", "process", "from", "to"} {
			if v := q.Get(k); v != "" {
				nq.Set(k, v)
			}
		}
		nq.Set("before", cursor(last.Time, last.ID))
		d.Next = template.URL(nq.Encode())
	}
	h.render(w, r, "logs", "Logs", d)
}

// ---- credentials and constants ----

type credRow struct {
	Name, Username, KeyID string
	Changed               time.Time
}

type constRow struct {
	Name    string
	Length  int
	Changed time.Time
}

type secretsData struct {
	Credentials []credRow
	Constants   []constRow
}

// secrets lists credential names, usernames and the id of the key that
// opens each password, and constant names with their value's length:
// neither a password nor a value is put into the page.
func (h *handler) secrets(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	creds, err := h.s.Credentials.List(ctx)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	ring := h.s.Credentials.Ring()
	var d secretsData
	for _, c := range creds {
		row := credRow{Name: c.Name, Username: c.Username, Changed: c.ChangedAt, KeyID: "no key ring"}
		if ring != nil {
			if id, ok := ring.KeyIDOf(c.Password); ok {
				row.KeyID = id
			} else {
				row.KeyID = "no key of the ring opens it"
			}
		}
		d.Credentials = append(d.Credentials, row)
	}
	consts, err := h.s.Constants.List(ctx)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	for _, c := range consts {
		d.Constants = append(d.Constants, constRow{Name: c.Name, Length: len([]rune(c.Value)), Changed: c.ChangedAt})
	}
	h.render(w, r, "secrets", "Credentials and constants", d)
}
