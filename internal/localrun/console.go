package localrun

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	uzap "go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"k8s.io/cli-runtime/pkg/printers"
	"k8s.io/klog/v2"
	"k8s.io/kubectl/pkg/util/term"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
)

// clearLine returns the cursor to the start of the line and erases the line.
const clearLine = "\r\x1b[K"

// console is what `make run` shows: messages that scroll, under which one
// status line stays. The status line is written only when its text
// changes: on a terminal it is rewritten in place; elsewhere (a log) each
// new text is a new line. A message is printed on a line of its own, and
// the status line after it again. It is safe for concurrent use.
type console struct {
	mu     sync.Mutex
	w      io.Writer
	tty    bool
	width  func() int // the terminal's columns; 0 when unknown
	status string     // the status line last written; "" when none is shown
	// troubled: a problem (an operator error, a control-plane process that
	// exited) was reported, so the logs are worth keeping.
	troubled bool
}

// newConsole writes to w, which is a terminal or not.
func newConsole(w io.Writer) *console {
	c := &console{w: w, tty: printers.IsTerminal(w), width: func() int { return 0 }}
	if f, ok := w.(*os.File); ok && c.tty {
		c.width = func() int {
			if size := term.GetSize(f.Fd()); size != nil {
				return int(size.Width)
			}
			return 0
		}
	}
	return c
}

// Printf prints a message (a newline is added) above the status line.
func (c *console) Printf(format string, a ...any) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.message(fmt.Sprintf(format, a...))
}

// Problemf prints a problem like Printf and remembers that there was one
// (Troubled).
func (c *console) Problemf(format string, a ...any) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.troubled = true
	c.message(fmt.Sprintf(format, a...))
}

// Troubled says whether a problem was reported (Problemf).
func (c *console) Troubled() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.troubled
}

// SetStatus shows s as the status line, unless it is shown already.
func (c *console) SetStatus(s string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if s == c.status {
		return
	}
	c.status = s
	if c.tty {
		c.write(clearLine + c.fit(s))
		return
	}
	c.write(s + "\n")
}

// EndStatus leaves the status line as it is and starts a new line: what is
// printed next is a message again, with no status line under it.
func (c *console) EndStatus() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.tty && c.status != "" {
		c.write("\n")
	}
	c.status = ""
}

// message writes msg on a line of its own, then the status line again.
func (c *console) message(msg string) {
	if !c.tty || c.status == "" {
		c.write(msg + "\n")
		return
	}
	c.write(clearLine + msg + "\n" + c.fit(c.status))
}

// fit cuts s to the terminal's width, so that rewriting it in place never
// leaves a wrapped remainder behind.
func (c *console) fit(s string) string {
	w := c.width()
	r := []rune(s)
	if w <= 1 || len(r) < w {
		return s
	}
	return string(r[:w-2]) + "…"
}

func (c *console) write(s string) {
	_, _ = io.WriteString(c.w, s) // the terminal going away must not stop Berth
}

// setOperatorLogger sends what the operator (controller-runtime's logger)
// and client-go (klog) log, at opts' level and up, to file, and the errors
// to con as well, one line each (errorCore). controller-runtime keeps the
// logger of the first call in a process.
func setOperatorLogger(opts zap.Options, file io.Writer, con *console) {
	errCore := &errorCore{LevelEnabler: zapcore.ErrorLevel, con: con, shown: &recentLines{seen: map[string]time.Time{}}}
	opts.DestWriter = file
	opts.ZapOpts = append(slices.Clip(opts.ZapOpts), uzap.WrapCore(func(c zapcore.Core) zapcore.Core {
		return zapcore.NewTee(c, errCore)
	}))
	log := zap.New(zap.UseFlagOptions(&opts))
	ctrl.SetLogger(log)
	klog.SetLogger(log)
}

// repeatWindow is how long an error line that was shown is not shown again.
const repeatWindow = time.Minute

// errorCore is the zapcore.Core of the operator's errors on the console:
// one line per entry (time, message, controller, object, error), without
// the fields only the log file needs. A line shown in the last
// repeatWindow is not shown again: a failing reconcile is retried many
// times a minute, and the log file has every attempt.
type errorCore struct {
	zapcore.LevelEnabler
	fields []zapcore.Field
	con    *console
	shown  *recentLines
}

// With implements zapcore.Core.
func (c *errorCore) With(fields []zapcore.Field) zapcore.Core {
	clone := *c
	clone.fields = append(slices.Clip(c.fields), fields...)
	return &clone
}

// Check implements zapcore.Core.
func (c *errorCore) Check(ent zapcore.Entry, ce *zapcore.CheckedEntry) *zapcore.CheckedEntry {
	if c.Enabled(ent.Level) {
		return ce.AddCore(ent, c)
	}
	return ce
}

// Write implements zapcore.Core.
func (c *errorCore) Write(ent zapcore.Entry, fields []zapcore.Field) error {
	enc := zapcore.NewMapObjectEncoder()
	for _, f := range append(slices.Clip(c.fields), fields...) {
		if err, ok := f.Interface.(error); ok && f.Type == zapcore.ErrorType && errors.Is(err, context.Canceled) {
			return nil // Berth is stopping (Ctrl-C): not a problem; the log file has it
		}
		f.AddTo(enc)
	}
	if line := errorLine(ent.Message, enc.Fields); c.shown.fresh(line, ent.Time) {
		c.con.Problemf("%s %s", ent.Time.Format(time.TimeOnly), line)
	}
	return nil
}

// Sync implements zapcore.Core.
func (c *errorCore) Sync() error { return nil }

// errorLine renders a log entry's message with the controller, the object
// and the error among its fields, e.g. "Reconciler error (service
// default/web): apply Deployment web: forbidden".
func errorLine(msg string, fields map[string]any) string {
	var about []string
	if controller, ok := fields["controller"].(string); ok {
		about = append(about, controller)
	}
	if name, ok := fields["name"].(string); ok {
		if ns, _ := fields["namespace"].(string); ns != "" {
			name = ns + "/" + name
		}
		about = append(about, name)
	}
	line := msg
	if len(about) > 0 {
		line += " (" + strings.Join(about, " ") + ")"
	}
	if err, ok := fields["error"].(string); ok {
		line += ": " + err
	}
	return line
}

// recentLines remembers the lines shown lately.
type recentLines struct {
	mu   sync.Mutex
	seen map[string]time.Time
}

// fresh reports whether line was not shown in the repeatWindow before now,
// and if so, records it as shown now.
func (r *recentLines) fresh(line string, now time.Time) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if last, ok := r.seen[line]; ok && now.Sub(last) < repeatWindow {
		return false
	}
	for l, t := range r.seen {
		if now.Sub(t) >= repeatWindow {
			delete(r.seen, l)
		}
	}
	r.seen[line] = now
	return true
}
