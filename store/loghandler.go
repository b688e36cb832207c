package store

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"
	"unicode/utf8"
)

// ErrLogHandlerClosed is returned by a LogHandler's Handle after Close.
var ErrLogHandlerClosed = errors.New("flowstore: log handler is closed")

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
	// BufferSize bounds the records waiting to be written (at least
	// BatchSize). When it is full — the database is slow or down — Handle
	// waits for room (or for its context) rather than drop records.
	// Default 16 × BatchSize.
	BufferSize int
	// OnError is told about each failed batch write; the batch is kept and
	// written again after a pause. Default: print to os.Stderr.
	OnError func(error)
}

// LogHandler is a slog.Handler that writes records to the Logs table through
// a bounded buffer, flushed in batches when BatchSize records are waiting
// or FlushInterval has passed. Levels map onto OpenOrchestrator's three:
// below INFO is TRACE, INFO and WARN are INFO, ERROR and above is ERROR.
// The message is the record's message followed by its attributes as
// key=value pairs (groups as dotted keys); messages over 8000 characters
// keep their first and last 4000.
//
// A record is accepted when Handle returns nil; Flush and Close return
// only after every record accepted before them is written (or their context
// ends, and then they say so). Close the handler before the DB.
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
	c.entries = make(chan LogEntry, c.bufSize)
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
	e := LogEntry{Level: storedLevel(r.Level), ProcessName: process, Message: string(buf)}
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
	pending := make([]LogEntry, 0, c.bufSize)
	var retryAt time.Time
	failures := 0

	// write writes pending in batches; it stops at the first failure.
	write := func(ctx context.Context) error {
		for len(pending) > 0 {
			n := min(len(pending), c.batchSize)
			if err := c.logs.writePrepared(ctx, pending[:n]); err != nil {
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
		if len(pending) >= c.bufSize {
			in = nil // full: let the channel push back on Handle
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
