package logs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/flowstore/flowstore/store"
)

// ErrHandlerClosed is what Handle and Flush return once Run has stopped
// the handler.
var ErrHandlerClosed = errors.New("log handler has stopped")

// ErrRecordDropped is what the error callback (WithOnError) receives,
// wrapped with the record and the cause, for records the handler gave up
// on: one the database refuses while it accepts others, one whose Handle
// call's context ended while the buffer was full, one handed to a stopped
// handler, and those still unwritten when Run's stop timeout ran out. Every
// other error the callback receives is about records the handler keeps and
// writes again.
var ErrRecordDropped = errors.New("log record dropped")

// ProcessKey is the attribute key that sets a record's process name
// (Logs.process_name) instead of being written into the message:
// logger.With(logs.ProcessKey, "invoice-robot").
const ProcessKey = "process_name"

// HandlerOption configures NewHandler.
type HandlerOption func(*handlerConfig)

type handlerConfig struct {
	process      string
	level        slog.Leveler
	batch        int
	interval     time.Duration
	buffer       int // 0: 16 batches
	onError      func(error)
	stopTimeout  time.Duration
	queryTimeout time.Duration
	errs         []error
}

func (c *handlerConfig) bad(format string, args ...any) {
	c.errs = append(c.errs, fmt.Errorf(format, args...))
}

// WithProcessName sets what Logs.process_name holds for records that do
// not carry ProcessKey. Default: the program's file name.
func WithProcessName(name string) HandlerOption {
	return func(c *handlerConfig) { c.process = name }
}

// WithLevel sets the lowest level handled. Default slog.LevelInfo; use
// slog.LevelDebug to get TRACE rows.
func WithLevel(l slog.Leveler) HandlerOption {
	return func(c *handlerConfig) {
		if l == nil {
			c.bad("WithLevel(nil)")
			return
		}
		c.level = l
	}
}

// WithBatchSize sets how many records one INSERT writes. Default 256.
func WithBatchSize(n int) HandlerOption {
	return func(c *handlerConfig) {
		if n <= 0 {
			c.bad("WithBatchSize(%d): must be positive", n)
			return
		}
		c.batch = n
	}
}

// WithFlushInterval sets the longest a handled record waits for its batch
// to fill while Run runs, and the first pause after a failed write.
// Default 1 s.
func WithFlushInterval(d time.Duration) HandlerOption {
	return func(c *handlerConfig) {
		if d <= 0 {
			c.bad("WithFlushInterval(%s): must be positive", d)
			return
		}
		c.interval = d
	}
}

// WithBufferSize bounds the records accepted and not yet written, the
// batch being written included (at least the batch size). When it is full
// — the database is slow or down, or Run has not started — Handle waits
// for room until its context ends. Default 16 batches.
func WithBufferSize(n int) HandlerOption {
	return func(c *handlerConfig) {
		if n <= 0 {
			c.bad("WithBufferSize(%d): must be positive", n)
			return
		}
		c.buffer = n
	}
}

// WithOnError sets the error callback: it is told about each failed batch
// write (the batch is kept and written again after a pause) and, with an
// error matching ErrRecordDropped, about each record the handler gave up
// on. It must not log through the handler itself. Default: print to
// os.Stderr.
func WithOnError(fn func(error)) HandlerOption {
	return func(c *handlerConfig) {
		if fn != nil {
			c.onError = fn
		}
	}
}

// WithStopTimeout sets how long Run, once its context ended, keeps writing
// what is buffered before it gives the rest up (reported through the error
// callback). Default 30 s; 0 gives everything up at once.
func WithStopTimeout(d time.Duration) HandlerOption {
	return func(c *handlerConfig) {
		if d < 0 {
			c.bad("WithStopTimeout(%s): must not be negative", d)
			return
		}
		c.stopTimeout = d
	}
}

// WithQueryTimeout bounds each statement the handler runs (default 10 s):
// an INSERT of one batch, a row of a salvage pass, a probe.
func WithQueryTimeout(d time.Duration) HandlerOption {
	return func(c *handlerConfig) {
		if d <= 0 {
			c.bad("WithQueryTimeout(%s): must be positive", d)
			return
		}
		c.queryTimeout = d
	}
}

// Handler is a slog.Handler that writes records to the Logs table in
// batches. Make it with NewHandler, log through slog.New(h), and run it:
//
//	h, err := logs.NewHandler(db, logs.WithProcessName("invoice-robot"))
//	go h.Run(ctx) // writes until ctx ends, then what is still buffered
//	log := slog.New(h)
//
// Levels map onto OpenOrchestrator's three: below INFO is TRACE, INFO and
// WARN are INFO, ERROR and above is ERROR. The message is the record's
// message followed by its attributes as key=value pairs (groups as dotted
// keys); a message over MessageMax units keeps its first and last 4000.
// log_time is the record's own time (r.Time, to the microsecond), when the
// log call was made rather than when its batch was written, stored as
// Store.Write stores it: the wall clock of the DB's zone, as
// OpenOrchestrator does; a record without a time gets the store clock's.
// Rows carry ids in SQLAlchemy's spelling, like Store.Write's.
//
// Text the Logs table cannot hold is mended rather than refused, since a
// log call has nobody to report to: in the message (attribute keys
// included) and the process name, where the one text rule
// (store.ValidText, which Store.Write applies too) refuses the text, each
// run of bytes that is not valid UTF-8 (strings.ToValidUTF8) and each NUL
// character becomes U+FFFD, the replacement character "�". PostgreSQL
// cannot store NUL in text, and neither it nor MariaDB takes invalid UTF-8.
// Store.Write, by contrast, refuses such text with store.ErrInvalid.
//
// Handle puts a record into a bounded buffer (WithBufferSize) and returns;
// Run writes the buffer in batches, when a batch is full or the flush
// interval has passed, and Flush writes it at once. When the buffer is
// full, Handle waits for room; if its context ends first, the record is
// dropped and reported (ErrRecordDropped). A record is written exactly once
// if Handle returned nil, with one exception: a record the database refuses
// by itself (a constraint or column type of an adopted schema that the
// record breaks). When a batch fails and the database still accepts other
// rows, the batch is written row by row, and each row it refuses is
// reported (ErrRecordDropped) and dropped, so that one bad record cannot
// hold back the others or, by filling the buffer, block Handle. When the
// database accepts no row at all (down, table gone), every record is kept
// and written again after a pause.
//
// Stop the handler by ending Run's context, before closing the DB.
type Handler struct {
	c       *core
	attrs   []byte // pre-formatted " k=v" pairs from WithAttrs
	prefix  string // group prefix "g1.g2." from WithGroup
	process string
}

var _ slog.Handler = (*Handler)(nil)

// core is the state every Handler derived from one NewHandler shares.
type core struct {
	logs *bunStore
	cfg  handlerConfig

	// slots holds one token per record accepted and not yet written or
	// given up: it is what bounds the buffer.
	slots chan struct{}
	// kick tells Run that a whole batch waits.
	kick chan struct{}
	// stopping is closed when Run stops taking records; Handle calls
	// waiting for room give up.
	stopping chan struct{}
	running  atomic.Bool

	mu      sync.Mutex
	queue   []Entry // accepted, not yet taken by a writer
	stopped bool

	// writer is held (a token in it) by whoever writes: Run or Flush. It
	// guards pending, failures and retryAt.
	writer   chan struct{}
	pending  []Entry // taken from queue, not yet written
	failures int     // consecutive failed writes
	retryAt  time.Time
}

// NewHandler returns a handler writing to db's Logs table. It validates its
// options and does no I/O; records are written once Run runs (or Flush is
// called).
func NewHandler(db *store.DB, opts ...HandlerOption) (*Handler, error) {
	if db == nil {
		return nil, fmt.Errorf("logs: new handler: %w: nil *store.DB", store.ErrInvalid)
	}
	cfg := handlerConfig{
		level:        slog.LevelInfo,
		batch:        256,
		interval:     time.Second,
		stopTimeout:  30 * time.Second,
		queryTimeout: 10 * time.Second,
		onError:      func(err error) { fmt.Fprintln(os.Stderr, err) },
	}
	for _, o := range opts {
		o(&cfg)
	}
	if err := errors.Join(cfg.errs...); err != nil {
		return nil, fmt.Errorf("logs: new handler: %w: %w", store.ErrInvalid, err)
	}
	if cfg.buffer == 0 {
		cfg.buffer = 16 * cfg.batch
	}
	cfg.buffer = max(cfg.buffer, cfg.batch)
	if cfg.process == "" {
		cfg.process = filepath.Base(os.Args[0])
	}
	c := &core{
		logs:     newStore(db),
		cfg:      cfg,
		slots:    make(chan struct{}, cfg.buffer),
		kick:     make(chan struct{}, 1),
		stopping: make(chan struct{}),
		writer:   make(chan struct{}, 1),
	}
	return &Handler{c: c, process: cfg.process}, nil
}

// Enabled reports whether records of level are handled.
func (h *Handler) Enabled(_ context.Context, level slog.Level) bool {
	return level >= h.c.cfg.level.Level()
}

// storedLevel maps a slog level onto the three levels Logs stores.
func storedLevel(l slog.Level) Level {
	switch {
	case l < slog.LevelInfo:
		return LevelTrace
	case l < slog.LevelError:
		return LevelInfo
	}
	return LevelError
}

// Handle formats the record and buffers it for the next batch. It waits
// while the buffer is full; it fails if ctx ends first, if the handler has
// stopped, or if the record's process name does not fit Logs.process_name.
func (h *Handler) Handle(ctx context.Context, r slog.Record) error {
	if err := store.CheckContext(ctx); err != nil {
		// slog.Logger passes context.Background() for a nil context; only a
		// direct call gets here.
		return fmt.Errorf("logs: handle: %w", err)
	}
	process := h.process
	buf := make([]byte, 0, len(r.Message)+len(h.attrs)+16*r.NumAttrs())
	buf = append(buf, r.Message...)
	buf = append(buf, h.attrs...)
	r.Attrs(func(a slog.Attr) bool {
		if h.prefix == "" && a.Key == ProcessKey {
			process = a.Value.Resolve().String()
			return true
		}
		buf = appendAttr(buf, h.prefix, a)
		return true
	})
	// r.Time, not the store clock: the row records when the call was made,
	// however long the record then waits for its batch (prepare normalises
	// it to UTC microseconds, and fills a zero time from the store clock).
	e := Entry{Time: r.Time, Level: storedLevel(r.Level), ProcessName: sanitizeText(process), Message: sanitizeText(string(buf))}
	if err := h.c.logs.prepare(&e, h.c.logs.h.Now()); err != nil {
		return fmt.Errorf("logs: handle: %w", err)
	}
	if err := h.c.accept(ctx, e); err != nil {
		return fmt.Errorf("logs: handle: %w", err)
	}
	return nil
}

// accept buffers a prepared record, waiting for room.
func (c *core) accept(ctx context.Context, e Entry) error {
	select {
	case <-c.stopping:
		c.dropped(ErrHandlerClosed, e)
		return ErrHandlerClosed
	default:
	}
	select {
	case c.slots <- struct{}{}:
	case <-c.stopping:
		c.dropped(ErrHandlerClosed, e)
		return ErrHandlerClosed
	case <-ctx.Done():
		c.dropped(fmt.Errorf("the buffer stayed full until the caller's context ended: %w", ctx.Err()), e)
		return ctx.Err()
	}
	c.mu.Lock()
	if c.stopped {
		c.mu.Unlock()
		<-c.slots
		c.dropped(ErrHandlerClosed, e)
		return ErrHandlerClosed
	}
	c.queue = append(c.queue, e)
	full := len(c.queue) >= c.cfg.batch
	c.mu.Unlock()
	if full {
		select {
		case c.kick <- struct{}{}:
		default: // a kick is already waiting
		}
	}
	return nil
}

// dropped reports one record the handler gives up on.
func (c *core) dropped(cause error, e Entry) {
	c.cfg.onError(fmt.Errorf("logs: handler: %w: %s: %w", ErrRecordDropped, describe(e), cause))
}

// describe names a record in an error report: enough to find the log
// call, not the whole of a long message.
func describe(e Entry) string {
	return fmt.Sprintf("the %s record of %q at %s (%s)", e.Level, e.ProcessName, e.Time.Format(time.RFC3339Nano), messageHead(e.Message))
}

// sanitizeText mends what the Logs table cannot hold, so that prepare
// accepts every record Handle formats: text the one text rule
// (store.ValidText, which prepare applies too) refuses has each run of
// invalid UTF-8 bytes (strings.ToValidUTF8) and each NUL replaced by
// U+FFFD. Text the rule takes is returned as is, unallocated.
func sanitizeText(s string) string {
	if store.ValidText("", s) == nil {
		return s
	}
	return strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", "\uFFFD")
}

// WithAttrs returns a handler whose records carry attrs.
func (h *Handler) WithAttrs(attrs []slog.Attr) slog.Handler {
	if len(attrs) == 0 {
		return h
	}
	n := *h
	n.attrs = append([]byte(nil), h.attrs...)
	for _, a := range attrs {
		if h.prefix == "" && a.Key == ProcessKey {
			n.process = a.Value.Resolve().String()
			continue
		}
		n.attrs = appendAttr(n.attrs, h.prefix, a)
	}
	return &n
}

// WithGroup returns a handler that qualifies later attribute keys with name.
func (h *Handler) WithGroup(name string) slog.Handler {
	if name == "" {
		return h
	}
	n := *h
	n.prefix = h.prefix + name + "."
	return &n
}

// appendAttr writes " key=value"; groups become dotted keys.
func appendAttr(buf []byte, prefix string, a slog.Attr) []byte {
	v := a.Value.Resolve()
	if v.Kind() == slog.KindGroup {
		g := v.Group()
		if len(g) == 0 {
			return buf
		}
		if a.Key != "" {
			prefix += a.Key + "."
		}
		for _, ga := range g {
			buf = appendAttr(buf, prefix, ga)
		}
		return buf
	}
	if a.Equal(slog.Attr{}) {
		return buf
	}
	buf = append(buf, ' ')
	buf = append(buf, prefix...)
	buf = append(buf, a.Key...)
	buf = append(buf, '=')
	switch v.Kind() {
	case slog.KindString:
		return appendMaybeQuoted(buf, v.String())
	case slog.KindInt64:
		return strconv.AppendInt(buf, v.Int64(), 10)
	case slog.KindUint64:
		return strconv.AppendUint(buf, v.Uint64(), 10)
	case slog.KindBool:
		return strconv.AppendBool(buf, v.Bool())
	case slog.KindFloat64:
		return strconv.AppendFloat(buf, v.Float64(), 'g', -1, 64)
	case slog.KindDuration:
		return append(buf, v.Duration().String()...)
	case slog.KindTime:
		return v.Time().AppendFormat(buf, time.RFC3339Nano)
	}
	return appendMaybeQuoted(buf, v.String())
}

// appendMaybeQuoted quotes a value that is empty or contains blanks, '=',
// quotes or control characters, as slog's text handler does.
func appendMaybeQuoted(buf []byte, s string) []byte {
	if s == "" {
		return append(buf, `""`...)
	}
	for _, c := range s {
		if c <= ' ' || c == '=' || c == '"' || c == utf8.RuneError || c == 0x7f {
			return strconv.AppendQuote(buf, s)
		}
	}
	return append(buf, s...)
}

// Run writes buffered records until ctx ends: a batch as soon as it is
// full, and whatever waits once the flush interval has passed. A failed
// write is reported through the error callback and tried again after a
// pause that grows with each failure (up to six flush intervals), while the
// bounded buffer holds new records back. When ctx ends, Run stops taking
// records (Handle then returns ErrHandlerClosed), writes what is buffered
// for at most the stop timeout, reports what it could not write
// (ErrRecordDropped) and returns nil. Each statement runs on a context
// detached from ctx, bounded by the query timeout, so a write under way
// when ctx ends completes. Run may be called once.
func (h *Handler) Run(ctx context.Context) error {
	if err := store.CheckContext(ctx); err != nil {
		return fmt.Errorf("logs: run: %w", err)
	}
	c := h.c
	if !c.running.CompareAndSwap(false, true) {
		return fmt.Errorf("logs: run: %w: Run was already called", store.ErrInvalid)
	}
	work := context.WithoutCancel(ctx)
	ticker := time.NewTicker(c.cfg.interval)
	defer ticker.Stop()
	for {
		select {
		case <-ctx.Done():
			c.stop(work)
			return nil
		case <-c.kick:
			c.background(ctx, work, true)
		case <-ticker.C:
			c.background(ctx, work, false)
		}
	}
}

// background is one write of Run's loop: the whole batches waiting, or
// (wholeBatches false) everything. It does nothing during the pause after
// a failed write.
func (c *core) background(ctx, work context.Context, wholeBatches bool) {
	select {
	case c.writer <- struct{}{}:
	case <-ctx.Done(): // a Flush holds the writer; stop instead
		return
	}
	defer func() { <-c.writer }()
	if time.Now().Before(c.retryAt) {
		return
	}
	c.take(wholeBatches)
	if err := c.write(work); err != nil {
		c.cfg.onError(fmt.Errorf("logs: handler: %w", err))
	}
}

// stop ends Run: no record is taken any more, and what is buffered is
// written within the stop timeout.
func (c *core) stop(work context.Context) {
	c.mu.Lock()
	c.stopped = true
	c.mu.Unlock()
	close(c.stopping)
	ctx, cancel := context.WithTimeout(work, c.cfg.stopTimeout)
	defer cancel()
	select {
	case c.writer <- struct{}{}:
	default:
		select {
		case c.writer <- struct{}{}:
		case <-ctx.Done():
			// A Flush outlived the stop timeout: what it holds is its own
			// to write; what is still buffered is given up.
			c.mu.Lock()
			left := c.queue
			c.queue = nil
			c.mu.Unlock()
			if len(left) > 0 {
				c.cfg.onError(fmt.Errorf("logs: handler: %w: stopped with %d records not written: %w", ErrRecordDropped, len(left), ctx.Err()))
				c.release(len(left))
			}
			return
		}
	}
	defer func() { <-c.writer }()
	c.take(false)
	for len(c.pending) > 0 {
		err := c.write(ctx)
		if err == nil {
			break
		}
		c.cfg.onError(fmt.Errorf("logs: handler: %w", err))
		t := time.NewTimer(time.Until(c.retryAt))
		select {
		case <-t.C:
			continue
		case <-ctx.Done():
			t.Stop()
		}
		c.cfg.onError(fmt.Errorf("logs: handler: %w: stopped with %d records not written: %w", ErrRecordDropped, len(c.pending), errors.Join(err, ctx.Err())))
		c.release(len(c.pending))
		c.pending = nil
	}
}

// Flush writes every record buffered so far and returns when they are in
// the database, or when ctx ends. It works whether Run runs or not, and
// ignores the pause after a failed write.
func (h *Handler) Flush(ctx context.Context) error {
	if err := store.CheckContext(ctx); err != nil {
		return fmt.Errorf("logs: flush: %w", err)
	}
	c := h.c
	select {
	case c.writer <- struct{}{}:
	case <-ctx.Done():
		return fmt.Errorf("logs: flush: %w", ctx.Err())
	}
	defer func() { <-c.writer }()
	c.mu.Lock()
	stopped := c.stopped
	c.mu.Unlock()
	if stopped && len(c.pending) == 0 {
		return fmt.Errorf("logs: flush: %w", ErrHandlerClosed)
	}
	c.take(false)
	if err := c.write(ctx); err != nil {
		return fmt.Errorf("logs: flush: %w", err)
	}
	return nil
}

// take moves buffered records to pending: every one, or only whole
// batches. The caller holds the writer.
func (c *core) take(wholeBatches bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := len(c.queue)
	if wholeBatches {
		n -= n % c.cfg.batch
	}
	c.pending = append(c.pending, c.queue[:n]...)
	c.queue = append(c.queue[:0], c.queue[n:]...)
}

// release frees the buffer room of n records written or given up.
func (c *core) release(n int) {
	for range n {
		<-c.slots
	}
}

// insert writes rows that prepare has checked, bounded by the query
// timeout.
func (c *core) insert(ctx context.Context, rows []Entry) error {
	ctx, cancel := context.WithTimeout(ctx, c.cfg.queryTimeout)
	defer cancel()
	return c.logs.writePrepared(ctx, rows)
}

// write writes pending in batches. It stops at the first failure that
// leaves records unwritten, keeping them in pending, and sets the pause
// before Run tries again. The caller holds the writer and adds the
// package's prefix to the error.
func (c *core) write(ctx context.Context) error {
	for len(c.pending) > 0 {
		n := min(len(c.pending), c.cfg.batch)
		err := c.insert(ctx, c.pending[:n])
		if err != nil && !store.IsRetryable(err) && ctx.Err() == nil {
			// Perhaps one record the database refuses: write the batch
			// row by row and keep what is still unwritten.
			var kept []Entry
			kept, err = c.salvage(ctx, c.pending[:n], err)
			m := copy(c.pending, kept)
			c.pending = append(c.pending[:m], c.pending[n:]...)
			c.release(n - m)
			n = m
		}
		if err != nil {
			c.failures++
			c.retryAt = time.Now().Add(time.Duration(min(c.failures, 6)) * c.cfg.interval)
			return fmt.Errorf("write %d records (%d waiting): %w", n, len(c.pending), err)
		}
		c.failures = 0
		c.pending = append(c.pending[:0], c.pending[n:]...)
		c.release(n)
	}
	return nil
}

// salvage handles a batch that the database refused with an error that is
// not worth retrying as it is. The cause may be one record the database
// will never take (a value an adopted schema's constraint or column type
// refuses), and then retrying the batch forever would hold back every
// record after it, fill the buffer and block Handle. So the rows are
// written one by one, and each row the database refuses is reported and
// dropped — but only when the database has shown that it takes other rows:
// a plain probe row before the pass (rolled back), and a row of the pass or
// a second probe after it. When the database takes nothing (a table that
// is gone, a read-only or full database) that is an outage, not a bad
// record, and every row is kept, as for any failed write.
//
// It returns the rows still to be written, in order, and the error that
// left them unwritten (nil when none is left).
func (c *core) salvage(ctx context.Context, rows []Entry, batchErr error) ([]Entry, error) {
	if err := c.probe(ctx); err != nil {
		return slices.Clone(rows), batchErr
	}
	var refused []Entry
	var reasons []error
	wrote := false
	for i := range rows {
		err := c.insert(ctx, rows[i:i+1])
		if err == nil {
			wrote = true
			continue
		}
		if store.IsRetryable(err) || ctx.Err() != nil {
			// The database, not this row: keep it and everything after it,
			// and the rows refused so far, for the next attempt.
			return slices.Concat(refused, rows[i:]), err
		}
		refused = append(refused, rows[i])
		reasons = append(reasons, err)
	}
	if len(refused) == 0 {
		return nil, nil
	}
	if !wrote {
		if err := c.probe(ctx); err != nil {
			return refused, errors.Join(reasons[len(reasons)-1], err)
		}
	}
	for i, e := range refused {
		c.dropped(fmt.Errorf("the database refuses it: %w", reasons[i]), e)
	}
	return nil, nil
}

// errProbeDone ends the probe's transaction with a rollback.
var errProbeDone = errors.New("log handler probe (rolled back)")

// probe reports whether the database takes a plain Logs row now: it writes
// one inside a transaction and rolls it back.
func (c *core) probe(ctx context.Context) error {
	row := Entry{Level: LevelInfo, ProcessName: "flowstore", Message: "log handler probe"}
	if err := c.logs.prepare(&row, c.logs.h.Now()); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, c.cfg.queryTimeout)
	defer cancel()
	err := c.logs.h.InTx(ctx, func(ctx context.Context, h store.Handle) error {
		if err := c.logs.on(h).writePrepared(ctx, []Entry{row}); err != nil {
			return err
		}
		return errProbeDone
	})
	if errors.Is(err, errProbeDone) {
		return nil
	}
	return err // never nil: fn always fails
}

// messageHead is the start of a message for an error report: enough to find
// the log call, not the whole of an 8000-character message.
func messageHead(s string) string {
	const max = 80
	if utf8.RuneCountInString(s) <= max {
		return strconv.Quote(s)
	}
	r := []rune(s)
	return strconv.Quote(string(r[:max])) + "…"
}
