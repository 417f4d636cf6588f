package cmp

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"syscall"
	"time"
	"unicode"
	"unicode/utf8"

	"k8s.io/klog/v2"
)

// RunnerOptions bound what one runner does.
type RunnerOptions struct {
	// Timeout bounds one request: init and generate (or discovery) together.
	Timeout time.Duration
	// MaxOutputBytes bounds what generate may print.
	MaxOutputBytes int64
	// MaxTreeBytes bounds the source tree a request may upload.
	MaxTreeBytes int64
	// MaxConcurrent bounds the requests run at once; others wait.
	MaxConcurrent int
	// PassEnv names variables of the runner's own environment that commands
	// get (a sidecar's settings, e.g. VAULT_ADDR); nothing else of it is passed
	// but PATH.
	PassEnv []string
}

// DefaultRunnerOptions are Argo CD's timeout (ARGOCD_EXEC_TIMEOUT) and bounds
// like the in-process renderers'.
var DefaultRunnerOptions = RunnerOptions{
	Timeout:        90 * time.Second,
	MaxOutputBytes: 10 << 20,
	MaxTreeBytes:   256 << 20,
	MaxConcurrent:  4,
}

// renderHeader carries a request's parameters; the body is the tree as tar.
const renderHeader = "Capstan-Render"

// RenderRequest is what a runner needs besides the tree.
type RenderRequest struct {
	// AppPath is the source's directory in the tree, "." for the root.
	AppPath string `json:"appPath"`
	// Env are the variables of Argo CD's contract: ARGOCD_APP_*,
	// ARGOCD_ENV_* (the Application's plugin.env) and PARAM_*.
	Env map[string]string `json:"env,omitempty"`
}

// PluginInfo is what a runner says about its plugin.
type PluginInfo struct {
	Name       string                  `json:"name"`
	Discover   *Discover               `json:"discover,omitempty"`
	Parameters []ParameterAnnouncement `json:"parameters,omitempty"`
	// DynamicParameters is set when the plugin has a parameters.dynamic
	// command: its announcements need the source tree.
	DynamicParameters bool `json:"dynamicParameters,omitempty"`
	PreserveFileMode  bool `json:"preserveFileMode,omitempty"`
}

// Runner serves one plugin.
type Runner struct {
	plugin *Plugin
	opts   RunnerOptions
	slots  chan struct{}
}

// NewRunner returns a runner of plugin.
func NewRunner(plugin *Plugin, opts RunnerOptions) *Runner {
	if opts.MaxConcurrent <= 0 {
		opts.MaxConcurrent = 1
	}
	return &Runner{plugin: plugin, opts: opts, slots: make(chan struct{}, opts.MaxConcurrent)}
}

// Serve answers requests on a Unix socket at socketPath until ctx ends.
func (r *Runner) Serve(ctx context.Context, socketPath string) error {
	_ = os.Remove(socketPath)
	listener, err := net.Listen("unix", socketPath)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", socketPath, err)
	}
	if err := os.Chmod(socketPath, 0o600); err != nil {
		return err
	}
	server := &http.Server{Handler: r.Handler(), ReadHeaderTimeout: 10 * time.Second}
	go func() {
		<-ctx.Done()
		_ = server.Close()
	}()
	klog.FromContext(ctx).Info("Serving config management plugin", "plugin", r.plugin.Name(), "socket", socketPath)
	if err := server.Serve(listener); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// Handler serves GET /v1/plugin, POST /v1/match, POST /v1/generate and
// POST /v1/parameters.
func (r *Runner) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/plugin", func(w http.ResponseWriter, _ *http.Request) {
		info := PluginInfo{Name: r.plugin.Name(), Discover: r.plugin.Spec.Discover, PreserveFileMode: r.plugin.Spec.PreserveFileMode}
		if params := r.plugin.Spec.Parameters; params != nil {
			info.Parameters = params.Static
			info.DynamicParameters = params.Dynamic != nil && len(params.Dynamic.Command) > 0
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(info)
	})
	mux.HandleFunc("POST /v1/match", func(w http.ResponseWriter, req *http.Request) {
		r.serve(w, req, r.match)
	})
	mux.HandleFunc("POST /v1/generate", func(w http.ResponseWriter, req *http.Request) {
		r.serve(w, req, r.generate)
	})
	mux.HandleFunc("POST /v1/parameters", func(w http.ResponseWriter, req *http.Request) {
		r.serve(w, req, r.parameters)
	})
	return mux
}

// serve takes a slot, unpacks the tree into a temporary directory and runs
// fn there; the directory is removed afterwards.
func (r *Runner) serve(w http.ResponseWriter, req *http.Request, fn func(ctx context.Context, dir string, render RenderRequest) ([]byte, error)) {
	var render RenderRequest
	if err := json.Unmarshal([]byte(req.Header.Get(renderHeader)), &render); err != nil {
		http.Error(w, "bad "+renderHeader+" header: "+err.Error(), http.StatusBadRequest)
		return
	}
	ctx, cancel := context.WithTimeout(req.Context(), r.opts.Timeout)
	defer cancel()
	select {
	case r.slots <- struct{}{}:
		defer func() { <-r.slots }()
	case <-ctx.Done():
		http.Error(w, fmt.Sprintf("plugin %s: all %d slots stayed busy for %s", r.plugin.Name(), cap(r.slots), r.opts.Timeout), http.StatusServiceUnavailable)
		return
	}
	dir, err := os.MkdirTemp("", "capstan-cmp-")
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	defer os.RemoveAll(dir)
	if err := unpack(io.LimitReader(req.Body, r.opts.MaxTreeBytes+1), dir, r.opts.MaxTreeBytes, r.plugin.Spec.PreserveFileMode); err != nil {
		http.Error(w, "unpack the source tree: "+err.Error(), http.StatusBadRequest)
		return
	}
	out, err := fn(ctx, dir, render)
	if err != nil {
		http.Error(w, err.Error(), http.StatusUnprocessableEntity)
		return
	}
	_, _ = w.Write(out)
}

// appDir returns the source directory inside dir, refusing paths that leave it.
func appDir(dir, appPath string) (string, error) {
	clean := filepath.Clean("/" + appPath)
	full := filepath.Join(dir, clean)
	if info, err := os.Stat(full); err != nil || !info.IsDir() {
		return "", fmt.Errorf("app path %q is not a directory of the source", appPath)
	}
	return full, nil
}

func (r *Runner) generate(ctx context.Context, dir string, render RenderRequest) ([]byte, error) {
	workDir, err := appDir(dir, render.AppPath)
	if err != nil {
		return nil, err
	}
	env := r.environment(dir, render.Env)
	if init := r.plugin.Spec.Init; init != nil {
		if _, err := r.run(ctx, "init", *init, workDir, env); err != nil {
			return nil, err
		}
	}
	return r.run(ctx, "generate", r.plugin.Spec.Generate, workDir, env)
}

// parameters runs the parameters.dynamic command like generate (same
// directory, environment and limits, without init) and merges the
// announcements it prints, a JSON list, with the static ones.
func (r *Runner) parameters(ctx context.Context, dir string, render RenderRequest) ([]byte, error) {
	var static []ParameterAnnouncement
	var dynamic *Command
	if params := r.plugin.Spec.Parameters; params != nil {
		static, dynamic = params.Static, params.Dynamic
	}
	var announced []ParameterAnnouncement
	if dynamic != nil && len(dynamic.Command) > 0 {
		workDir, err := appDir(dir, render.AppPath)
		if err != nil {
			return nil, err
		}
		out, err := r.run(ctx, "parameters.dynamic", *dynamic, workDir, r.environment(dir, render.Env))
		if err != nil {
			return nil, err
		}
		if err := json.Unmarshal(out, &announced); err != nil {
			return nil, fmt.Errorf("plugin %s: parameters.dynamic must print a JSON list of parameter announcements (e.g. []): %w", r.plugin.Name(), err)
		}
	}
	return json.Marshal(MergeAnnouncements(announced, static))
}

// MergeAnnouncements returns the dynamic announcements followed by the
// static ones, as Argo CD orders them; a static announcement replaces a
// dynamic one of the same name (Argo CD's later-wins), and announcements
// without a name are dropped.
func MergeAnnouncements(dynamic, static []ParameterAnnouncement) []ParameterAnnouncement {
	out := make([]ParameterAnnouncement, 0, len(dynamic)+len(static))
	at := map[string]int{}
	for _, list := range [][]ParameterAnnouncement{dynamic, static} {
		for _, announcement := range list {
			if announcement.Name == "" {
				continue
			}
			if i, ok := at[announcement.Name]; ok {
				out[i] = announcement
				continue
			}
			at[announcement.Name] = len(out)
			out = append(out, announcement)
		}
	}
	return out
}

func (r *Runner) match(ctx context.Context, dir string, render RenderRequest) ([]byte, error) {
	workDir, err := appDir(dir, render.AppPath)
	if err != nil {
		return nil, err
	}
	matched := false
	if d := r.plugin.Spec.Discover; d != nil && d.Find != nil && len(d.Find.Command) > 0 {
		out, err := r.run(ctx, "discover", Command{Command: d.Find.Command, Args: d.Find.Args}, workDir, r.environment(dir, render.Env))
		matched = err == nil && len(bytes.TrimSpace(out)) > 0
	}
	return json.Marshal(map[string]bool{"match": matched})
}

// environment is what commands see: PATH, a HOME and TMPDIR in the
// request's directory, the variables the runner passes on, and the
// request's.
func (r *Runner) environment(dir string, request map[string]string) []string {
	env := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + dir, "TMPDIR=" + dir}
	for _, name := range r.opts.PassEnv {
		if value, ok := os.LookupEnv(name); ok {
			env = append(env, name+"="+value)
		}
	}
	for name, value := range request {
		env = append(env, name+"="+value)
	}
	return env
}

// maxStderr bounds the part of a failing command's stderr kept in its
// error: its tail, as the end of a tool's output says what went wrong.
const maxStderr = 1024

// run runs one command in workDir, in its own process group that is killed
// when ctx ends or its output passes the limit. A failure's error ends with
// the tail of the command's stderr (see stderrTail), as Argo CD's do.
func (r *Runner) run(ctx context.Context, step string, command Command, workDir string, env []string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, command.Command[0], append(command.Command[1:], command.Args...)...)
	cmd.Dir = workDir
	cmd.Env = env
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 2 * time.Second
	stdout := &limitedBuffer{max: r.opts.MaxOutputBytes}
	// More than is shown is kept, so that a secret cut at the start of the
	// tail is still recognised and masked.
	stderr := &limitedBuffer{max: 4 * maxStderr, keepTail: true}
	cmd.Stdout, cmd.Stderr = stdout, stderr
	stdout.onOverflow = func() {
		if cmd.Process != nil {
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		}
	}
	err := cmd.Run()
	var failure string
	switch {
	case stdout.overflowed:
		return nil, fmt.Errorf("plugin %s: %s printed more than %d bytes", r.plugin.Name(), step, r.opts.MaxOutputBytes)
	case ctx.Err() != nil:
		failure = fmt.Sprintf("did not finish within %s", r.opts.Timeout)
	case err != nil:
		failure = fmt.Sprintf("failed (%v)", err)
	default:
		return stdout.buf.Bytes(), nil
	}
	if tail := stderrTail(stderr.buf.Bytes(), r.secrets(env)); tail != "" {
		failure += ": " + tail
	}
	return nil, fmt.Errorf("plugin %s: %s %s", r.plugin.Name(), step, failure)
}

// credentialName matches the names of variables that hold credentials.
var credentialName = regexp.MustCompile(`(?i)(TOKEN|PASSW|SECRET|KEY|CRED|AUTH|PRIVATE|CERT|SESSION|COOKIE|PAT$)`)

// secrets are the values of env that a command's stderr must not carry
// into errors: those of the variables the runner passes on from its own
// environment (a sidecar's settings, e.g. VAULT_TOKEN) and of any variable
// whose name looks like a credential's (ARGOCD_ENV_DB_PASSWORD). Values
// shorter than 4 bytes are left, as masking them would garble the message.
func (r *Runner) secrets(env []string) []string {
	passed := map[string]bool{}
	for _, name := range r.opts.PassEnv {
		passed[name] = true
	}
	var out []string
	for _, entry := range env {
		name, value, _ := strings.Cut(entry, "=")
		if len(value) >= 4 && (passed[name] || credentialName.MatchString(name)) {
			out = append(out, value)
		}
	}
	// Longest first, so that a value containing another is masked whole.
	sort.Slice(out, func(i, j int) bool { return len(out[i]) > len(out[j]) })
	return out
}

// stderrTail is what an error shows of a command's stderr: secrets masked,
// control characters (terminal escapes included) removed but for newlines
// and tabs, invalid UTF-8 replaced, surrounding space trimmed, and at most
// the last maxStderr bytes, after "..." when cut.
func stderrTail(stderr []byte, secrets []string) string {
	text := strings.ToValidUTF8(string(stderr), "\uFFFD")
	for _, secret := range secrets {
		text = strings.ReplaceAll(text, secret, "***")
	}
	text = strings.Map(func(r rune) rune {
		if r == '\n' || r == '\t' {
			return r
		}
		if unicode.IsControl(r) || r == '\u2028' || r == '\u2029' {
			return -1
		}
		return r
	}, text)
	text = strings.TrimSpace(text)
	if len(text) <= maxStderr {
		return text
	}
	cut := len(text) - maxStderr
	for cut < len(text) && !utf8.RuneStart(text[cut]) {
		cut++
	}
	return "..." + strings.TrimLeftFunc(text[cut:], unicode.IsSpace)
}

// limitedBuffer keeps at most max bytes: the first ones, calling
// onOverflow once when more come, or with keepTail the last ones. It has no
// ReadFrom, so that io.Copy goes through Write.
type limitedBuffer struct {
	buf        bytes.Buffer
	max        int64
	keepTail   bool
	overflowed bool
	onOverflow func()
}

func (b *limitedBuffer) Write(p []byte) (int, error) {
	if b.keepTail {
		b.buf.Write(p)
		if extra := int64(b.buf.Len()) - b.max; extra > 0 {
			b.buf.Next(int(extra))
		}
		return len(p), nil
	}
	if int64(b.buf.Len())+int64(len(p)) > b.max {
		if !b.overflowed {
			b.overflowed = true
			if b.onOverflow != nil {
				b.onOverflow()
			}
		}
		return 0, errors.New("output limit reached")
	}
	return b.buf.Write(p)
}

// maxTreeEntries bounds the files and directories of an uploaded tree.
const maxTreeEntries = 100_000

// unpack writes a tar stream into dir: regular files and directories only,
// none outside dir, at most max bytes and maxTreeEntries entries.
func unpack(body io.Reader, dir string, max int64, preserveMode bool) error {
	reader := tar.NewReader(body)
	var total int64
	for entries := 1; ; entries++ {
		header, err := reader.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		if entries > maxTreeEntries {
			return fmt.Errorf("the source tree has more than %d entries", maxTreeEntries)
		}
		name := filepath.Clean("/" + header.Name)
		if name == "/" {
			continue
		}
		target := filepath.Join(dir, name)
		switch header.Typeflag {
		case tar.TypeDir:
			if err := os.MkdirAll(target, 0o755); err != nil {
				return err
			}
		case tar.TypeReg:
			if total += header.Size; total > max {
				return fmt.Errorf("the source tree is larger than %d bytes", max)
			}
			mode := os.FileMode(0o644)
			if preserveMode {
				mode = os.FileMode(header.Mode).Perm() | 0o600
			}
			if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
				return err
			}
			file, err := os.OpenFile(target, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, mode)
			if err != nil {
				return err
			}
			_, copyErr := io.Copy(file, reader)
			if err := errors.Join(copyErr, file.Close()); err != nil {
				return err
			}
		default:
			return fmt.Errorf("%s: only files and directories are accepted", header.Name)
		}
	}
}
