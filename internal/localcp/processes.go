package localcp

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"
)

const (
	// stopGrace is how long a process may take to exit after SIGTERM before
	// it gets SIGKILL.
	stopGrace = 10 * time.Second
	// killWait is how long to wait for a process to disappear after SIGKILL.
	killWait = 5 * time.Second
	// logTailLines is how many log lines an early-exit error quotes.
	logTailLines = 25
	// logTailBytes bounds how much of a log file is read to find its tail.
	logTailBytes = 16 << 10
)

// process is one child process of the control plane.
type process struct {
	name    string
	bin     string
	args    []string
	env     []string
	logDir  string
	output  *lockedWriter
	cmd     *exec.Cmd
	logPath string
	logFile *os.File
	out     *prefixWriter // nil when Options.Out is nil
	done    chan struct{} // closed once the process has exited and been reaped
	waitErr error         // the result of cmd.Wait, valid after done is closed
}

// startProcess starts bin with args in its own process group, killed by the
// kernel if the parent dies. Its output goes to logDir/<name>.log and, when
// out is not nil, to out with every line prefixed by "[name] ".
func startProcess(name, bin string, args, env []string, logDir string, out *lockedWriter) (*process, error) {
	logPath := filepath.Join(logDir, name+".log")
	logFile, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open log of %s: %w", name, err)
	}
	p := &process{name: name, bin: bin, args: args, env: env, logDir: logDir, output: out, logPath: logPath, logFile: logFile, done: make(chan struct{})}
	var w io.Writer = logFile
	if out != nil {
		p.out = &prefixWriter{dst: out, prefix: "[" + name + "] "}
		w = io.MultiWriter(logFile, p.out)
	}
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout, cmd.Stderr = w, w
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	cmd.WaitDelay = killWait
	if err := cmd.Start(); err != nil {
		_ = logFile.Close()
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	p.cmd = cmd
	go p.wait()
	return p, nil
}

// wait reaps the process and releases its log.
func (p *process) wait() {
	p.waitErr = p.cmd.Wait()
	if p.out != nil {
		p.out.flush()
	}
	_ = p.logFile.Close()
	close(p.done)
}

// pid returns the process ID.
func (p *process) pid() int { return p.cmd.Process.Pid }

// exited reports whether the process has exited.
func (p *process) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// errPortInUse marks an early exit caused by a port that another process
// took between allocatePorts and the component binding it.
var errPortInUse = errors.New("port already in use")

// exitError describes an unexpected exit, quoting the end of the log.
func (p *process) exitError() error {
	tail := logTail(p.logPath)
	err := fmt.Errorf("%s (pid %d) exited early: %w; last lines of %s:\n%s",
		p.name, p.pid(), p.waitErr, p.logPath, tail)
	if strings.Contains(tail, "address already in use") {
		return errors.Join(errPortInUse, err)
	}
	return err
}

// stop sends SIGTERM, then SIGKILL after grace, and waits until the process
// is reaped. A process that has already exited is left alone.
func (p *process) stop(grace time.Duration) error {
	if p.exited() {
		return nil
	}
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("terminate %s (pid %d): %w", p.name, p.pid(), err)
	}
	if p.waitFor(grace) {
		return nil
	}
	if err := p.cmd.Process.Kill(); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("kill %s (pid %d): %w", p.name, p.pid(), err)
	}
	if !p.waitFor(killWait) {
		return fmt.Errorf("%s (pid %d) did not exit after SIGKILL", p.name, p.pid())
	}
	return nil
}

// waitFor waits up to d for the process to exit and reports whether it did.
func (p *process) waitFor(d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-p.done:
		return true
	case <-t.C:
		return false
	}
}

// logTail returns the last lines of a log file, or a note why it cannot.
func logTail(path string) string {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Sprintf("(cannot read log: %v)", err)
	}
	defer func() { _ = f.Close() }()
	if st, err := f.Stat(); err == nil && st.Size() > logTailBytes {
		_, _ = f.Seek(-logTailBytes, io.SeekEnd)
	}
	data, err := io.ReadAll(f)
	if err != nil {
		return fmt.Sprintf("(cannot read log: %v)", err)
	}
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	if len(lines) > logTailLines {
		lines = lines[len(lines)-logTailLines:]
	}
	return strings.Join(lines, "\n")
}

// lockedWriter serialises writes of several processes to one io.Writer.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) write(b []byte) {
	l.mu.Lock()
	defer l.mu.Unlock()
	_, _ = l.w.Write(b) // a failing log sink must not stop the process
}

// prefixWriter writes whole lines, each prefixed, to a lockedWriter, so that
// the output of concurrent processes does not interleave within a line.
// exec.Cmd calls Write from one goroutine at a time because Stdout and
// Stderr are the same writer.
type prefixWriter struct {
	dst    *lockedWriter
	prefix string
	buf    []byte
}

// Write implements io.Writer.
func (w *prefixWriter) Write(b []byte) (int, error) {
	w.buf = append(w.buf, b...)
	for {
		i := bytes.IndexByte(w.buf, '\n')
		if i < 0 {
			break
		}
		w.emit(w.buf[:i+1])
		w.buf = w.buf[i+1:]
	}
	return len(b), nil
}

// flush writes a trailing partial line, if any.
func (w *prefixWriter) flush() {
	if len(w.buf) > 0 {
		w.emit(append(w.buf, '\n'))
		w.buf = nil
	}
}

func (w *prefixWriter) emit(line []byte) {
	w.dst.write(append([]byte(w.prefix), line...))
}
