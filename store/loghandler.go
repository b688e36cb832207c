package store

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
	"time"
	"unicode/utf8"
)

// ErrLogHandlerClosed is returned by a LogHandler's Handle after Close.
var ErrLogHandlerClosed = errors.New("flowstore: log handler is closed")

// ErrLogRecordDropped is what a LogHandler's OnError receives (wrapped, with
// the record and the database's error) for a record it dropped because the
// database refuses that record while it accepts others. Every other error
// OnError receives is about records the handler keeps and writes again.
var ErrLogRecordDropped = errors.New("flowstore: log record dropped")

// LogProcessKey is the attribute key that sets a record's process name
// (Logs.process_name) instead of being written into the message:
// logger.With(store.LogProcessKey, "invoice-robot").
const LogProcessKey = "process_name"

// LogHandlerOptions configure NewLogHandler. Zero fields take the defaults.
type LogHandlerOptions struct {
	// ProcessName is written to Logs.process_name unless a record carries
	// LogProcessKey. Default: the program's file name.
	ProcessName string
	// Level is the minimum level handled. Default slog.LevelInfo; use
	// slog.LevelDebug to get TRACE rows.
	Level slog.Leveler
	// BatchSize is how many records one INSERT writes. Default 256.
	BatchSize int
	// FlushInterval is the longest a handled record waits for its batch to
	// fill. Default 1s.
	FlushInterval time.Duration
	// BufferSize bounds the records accepted and not yet written, including
	// the batch being written (at least BatchSize). When it is full — the
	// database is slow or down — Handle waits for room (or for its context)
	// rather than drop records. Default 16 × BatchSize.
	BufferSize int
	// OnError is told about each failed batch write; the batch is kept and
	// written again after a pause. It is also told, with an error matching
	// ErrLogRecordDropped, about each record dropped because the database
	// refuses that one record (see LogHandler). Default: print to os.Stderr.
	OnError func(error)
}

// LogHandler is a slog.Handler that writes records to the Logs table through
// a bounded buffer, flushed in batches when BatchSize records are waiting
// or FlushInterval has passed. Levels map onto OpenOrchestrator's three:
// below INFO is TRACE, INFO and WARN are INFO, ERROR and above is ERROR.
// The message is the record's message followed by its attributes as
// key=value pairs (groups as dotted keys); messages over 8000 characters
// keep their first and last 4000. log_time is the record's own time
// (r.Time, in UTC to the microsecond), when the log call was made rather
// than when its batch was written; a record without a time gets the store
// clock's.
//
// Text the Logs table cannot hold is mended rather than refused, since a
// log call has nobody to report to: in the message (attribute keys
// included) and the process name, each run of bytes that is not valid UTF-8
// (strings.ToValidUTF8) and each NUL character becomes U+FFFD, the
// replacement character "�". PostgreSQL cannot store NUL in text, and
// neither it nor MariaDB takes invalid UTF-8. Logs.Write, by contrast,
// refuses such text with ErrInvalid.
//
// A record is accepted when Handle returns nil; Flush and Close return
// only after every record accepted before them is written (or their context
// ends, and then they say so). The one exception is a record the database
// refuses by itself (a constraint or column type of an adopted schema that
// the record breaks): when a batch fails and the database still accepts
// other rows, the batch is written row by row, and each row it refuses is
// reported to OnError (matching ErrLogRecordDropped) and dropped, so that
// one bad record cannot hold back the others or, by filling the buffer,
// block Handle. When the database accepts no row at all (down, table gone),
// every record is kept and written again after a pause. Close the handler
// before the DB.
type LogHandler struct {
	core    *logCore
	attrs   []byte // pre-formatted " k=v" pairs from WithAttrs
	prefix  string // group prefix "g1.g2." from WithGroup
	process string
}

var _ slog.Handler = (*LogHandler)(nil)

type logCore struct {
	logs      *Logs
	level     slog.Leveler
	batchSize int
	interval  time.Duration
	bufSize   int
	onError   func(error)

	entries  chan LogEntry
	flushReq chan chan error
	closeReq chan closeRequest
	closing  chan struct{} // closed first by Close: unblocks waiting senders
	done     chan struct{} // closed when the writer goroutine has ended
	mu       sync.RWMutex  // Handle holds it shared while sending
	closed   bool
	once     sync.Once
	closeErr error
}

type closeRequest struct {
	ctx   context.Context
	reply chan error
}

// NewLogHandler starts a handler writing to logs and its writer goroutine;
// Close stops it.
func NewLogHandler(logs *Logs, opts LogHandlerOptions) *LogHandler {
	c := &logCore{
		logs:      logs,
		level:     opts.Level,
		batchSize: opts.BatchSize,
		interval:  opts.FlushInterval,
		bufSize:   opts.BufferSize,
		onError:   opts.OnError,
		flushReq:  make(chan chan error),
		closeReq:  make(chan closeRequest),
		closing:   make(chan struct{}),
		done:      make(chan struct{}),
	}
	if c.level == nil {
		c.level = slog.LevelInfo
	}
	if c.batchSize <= 0 {
		c.batchSize = 256
	}
	if c.interval <= 0 {
		c.interval = time.Second
	}
	if c.bufSize <= 0 {
		c.bufSize = 16 * c.batchSize
	}
	c.bufSize = max(c.bufSize, c.batchSize)
	if c.onError == nil {
		c.onError = func(err error) { fmt.Fprintln(os.Stderr, "flowstore: log handler:", err) }
	}
	// The writer holds at most one batch (pending) and the channel the
	// rest, so that no more than BufferSize records are ever accepted and
	// unwritten. With BufferSize == BatchSize the channel is unbuffered:
	// each Handle then waits for the writer to take its record.
	c.entries = make(chan LogEntry, c.bufSize-c.batchSize)
	process := opts.ProcessName
	if process == "" {
		process = filepath.Base(os.Args[0])
	}
	go c.run()
	return &LogHandler{core: c, process: process}
}

// Enabled reports whether records of level are handled.
func (h *LogHandler) Enabled(_ context.Context, level slog.Level) bool {
	return level >= h.core.level.Level()
}

// storedLevel maps a slog level onto the three levels Logs stores.
func storedLevel(l slog.Level) LogLevel {
	switch {
	case l < slog.LevelInfo:
		return LogTrace
	case l < slog.LevelError:
		return LogInfo
	}
	return LogError
}

// Handle formats the record and queues it for the next batch. It waits
// while the buffer is full; it fails if ctx ends first, if the handler is
// closed, or if the record's process name does not fit Logs.process_name.
func (h *LogHandler) Handle(ctx context.Context, r slog.Record) error {
	process := h.process
	buf := make([]byte, 0, len(r.Message)+len(h.attrs)+16*r.NumAttrs())
	buf = append(buf, r.Message...)
	buf = append(buf, h.attrs...)
	r.Attrs(func(a slog.Attr) bool {
		if h.prefix == "" && a.Key == LogProcessKey {
			process = a.Value.Resolve().String()
			return true
		}
		buf = appendAttr(buf, h.prefix, a)
		return true
	})
	// r.Time, not the store clock: the row records when the call was made,
	// however long the record then waits for its batch (prepare normalises
	// it to UTC microseconds, and fills a zero time from the store clock).
	e := LogEntry{Time: r.Time, Level: storedLevel(r.Level), ProcessName: sanitizeText(process), Message: sanitizeText(string(buf))}
	if err := h.core.logs.prepare(&e, h.core.logs.h.Now()); err != nil {
		return err
	}
	c := h.core
	c.mu.RLock()
	defer c.mu.RUnlock()
	if c.closed {
		return ErrLogHandlerClosed
	}
	select {
	case c.entries <- e:
		return nil
	case <-c.closing:
		return ErrLogHandlerClosed
	case <-ctx.Done():
		return ctx.Err()
	}
}

// sanitizeText replaces what the Logs table cannot hold — invalid UTF-8
// (each run of bad bytes) and NUL — with U+FFFD, so that prepare accepts
// every record Handle formats. Valid text is returned as is, unallocated.
func sanitizeText(s string) string {
	if utf8.ValidString(s) && strings.IndexByte(s, 0) < 0 {
		return s
	}
	return strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", "\uFFFD")
}

// WithAttrs returns a handler whose records carry attrs.
func (h *LogHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	if len(attrs) == 0 {
		return h
	}
	n := *h
	n.attrs = append([]byte(nil), h.attrs...)
	for _, a := range attrs {
		if h.prefix == "" && a.Key == LogProcessKey {
			n.process = a.Value.Resolve().String()
			continue
		}
		n.attrs = appendAttr(n.attrs, h.prefix, a)
	}
	return &n
}

// WithGroup returns a handler that qualifies later attribute keys with name.
func (h *LogHandler) WithGroup(name string) slog.Handler {
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

// Flush writes every record accepted so far and returns when they are in
// the database, or when ctx ends.
func (h *LogHandler) Flush(ctx context.Context) error {
	c := h.core
	reply := make(chan error, 1)
	select {
	case c.flushReq <- reply:
	case <-c.done:
		return ErrLogHandlerClosed
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case err := <-reply:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Close stops accepting records, writes every record accepted before it
// and stops the writer. If ctx ends before everything is written, Close
// returns an error saying how many records were not written. Later calls
// return the first call's result.
func (h *LogHandler) Close(ctx context.Context) error {
	c := h.core
	c.once.Do(func() {
		close(c.closing) // senders waiting for room give up
		c.mu.Lock()      // wait until no sender is between check and send
		c.closed = true
		c.mu.Unlock()
		reply := make(chan error, 1)
		c.closeReq <- closeRequest{ctx: ctx, reply: reply}
		c.closeErr = <-reply
		<-c.done
	})
	return c.closeErr
}

// run is the writer goroutine: it collects records into batches and
// writes them; a failed write is retried after a growing pause, while the
// bounded channel holds back new records.
func (c *logCore) run() {
	defer close(c.done)
	ticker := time.NewTicker(c.interval)
	defer ticker.Stop()
	// pending takes at most one batch from the channel (see NewLogHandler);
	// only Flush and Close drain the channel into it beyond that.
	pending := make([]LogEntry, 0, c.batchSize)
	var retryAt time.Time
	failures := 0

	// write writes pending in batches; it stops at the first failure that
	// leaves records unwritten, keeping them in pending.
	write := func(ctx context.Context) error {
		for len(pending) > 0 {
			n := min(len(pending), c.batchSize)
			err := c.logs.writePrepared(ctx, pending[:n])
			if err != nil && !IsRetryable(err) && ctx.Err() == nil {
				// Perhaps one record the database refuses: write the batch
				// row by row and keep what is still unwritten.
				var kept []LogEntry
				kept, err = c.salvage(ctx, pending[:n], err)
				m := copy(pending, kept)
				pending = append(pending[:m], pending[n:]...)
				n = m
			}
			if err != nil {
				failures++
				retryAt = time.Now().Add(time.Duration(min(failures, 6)) * c.interval)
				return fmt.Errorf("write %d log records (%d waiting): %w", n, len(pending), err)
			}
			failures = 0
			pending = append(pending[:0], pending[n:]...)
		}
		return nil
	}
	drain := func() {
		for {
			select {
			case e := <-c.entries:
				pending = append(pending, e)
			default:
				return
			}
		}
	}
	for {
		in := c.entries
		if len(pending) >= c.batchSize {
			in = nil // a batch is waiting (a write failed): let the channel push back on Handle
		}
		select {
		case e := <-in:
			pending = append(pending, e)
			if len(pending) >= c.batchSize && !time.Now().Before(retryAt) {
				if err := write(context.Background()); err != nil {
					c.onError(err)
				}
			}
		case <-ticker.C:
			if len(pending) > 0 && !time.Now().Before(retryAt) {
				if err := write(context.Background()); err != nil {
					c.onError(err)
				}
			}
		case reply := <-c.flushReq:
			drain()
			reply <- write(context.Background())
		case req := <-c.closeReq:
			drain() // no sender is left: Close holds the lock
			var err error
			for {
				if err = write(req.ctx); err == nil {
					break
				}
				c.onError(err)
				t := time.NewTimer(time.Until(retryAt))
				select {
				case <-req.ctx.Done():
					t.Stop()
					err = fmt.Errorf("flowstore: log handler closed with %d records not written: %w", len(pending), errors.Join(err, req.ctx.Err()))
				case <-t.C:
					continue
				}
				break
			}
			req.reply <- err
			return
		}
	}
}

// salvage handles a batch that the database refused with an error that is
// not worth retrying as it is. The cause may be one record the database
// will never take (a value an adopted schema's constraint or column type
// refuses), and then retrying the batch forever would hold back every
// record after it, fill the buffer and block Handle. So the rows are
// written one by one, and each row the database refuses is reported to
// OnError and dropped — but only when the database has shown that it takes
// other rows: a plain probe row before the pass (rolled back), and a row of
// the pass or a second probe after it. When the database takes nothing (a
// table that is gone, a read-only or full database) that is an outage, not
// a bad record, and every row is kept, as for any failed write.
//
// It returns the rows still to be written, in order, and the error that
// left them unwritten (nil when none is left).
func (c *logCore) salvage(ctx context.Context, rows []LogEntry, batchErr error) ([]LogEntry, error) {
	if err := c.probe(ctx); err != nil {
		return slices.Clone(rows), batchErr
	}
	var refused []LogEntry
	var reasons []error
	wrote := false
	for i := range rows {
		err := c.logs.writePrepared(ctx, rows[i:i+1])
		if err == nil {
			wrote = true
			continue
		}
		if IsRetryable(err) || ctx.Err() != nil {
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
		c.onError(fmt.Errorf("%w: the database refuses the %s record of %q at %s (%s): %w",
			ErrLogRecordDropped, e.Level, e.ProcessName, e.Time.Format(time.RFC3339Nano), messageHead(e.Message), reasons[i]))
	}
	return nil, nil
}

// errProbeDone ends the probe's transaction with a rollback.
var errProbeDone = errors.New("flowstore: log handler probe (rolled back)")

// probe reports whether the database takes a plain Logs row now: it writes
// one inside a transaction (a savepoint inside a session) and rolls it back.
func (c *logCore) probe(ctx context.Context) error {
	row := LogEntry{Level: LogInfo, ProcessName: "flowstore", Message: "log handler probe"}
	if err := c.logs.prepare(&row, c.logs.h.Now()); err != nil {
		return err
	}
	err := c.logs.h.InTx(ctx, func(ctx context.Context, h Handle) error {
		l := *c.logs
		l.h = h
		if err := l.writePrepared(ctx, []LogEntry{row}); err != nil {
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
