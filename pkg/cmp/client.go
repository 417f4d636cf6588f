package cmp

import (
	"archive/tar"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"strings"
)

// Client talks to one plugin runner over its Unix socket.
type Client struct {
	socket string
	http   *http.Client
	// maxResponse bounds what a runner may answer.
	maxResponse int64
}

// NewClient returns a client of the runner at socket; responses above
// maxResponse bytes are refused.
func NewClient(socket string, maxResponse int64) *Client {
	transport := &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		var dialer net.Dialer
		return dialer.DialContext(ctx, "unix", socket)
	}}
	return &Client{socket: socket, http: &http.Client{Transport: transport}, maxResponse: maxResponse}
}

// Info asks the runner which plugin it serves.
func (c *Client) Info(ctx context.Context) (*PluginInfo, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://plugin/v1/plugin", nil)
	if err != nil {
		return nil, err
	}
	body, err := c.do(req)
	if err != nil {
		return nil, err
	}
	info := &PluginInfo{}
	if err := json.Unmarshal(body, info); err != nil {
		return nil, fmt.Errorf("plugin runner at %s: %w", c.socket, err)
	}
	return info, nil
}

// Generate uploads tree and returns what the plugin's generate printed.
func (c *Client) Generate(ctx context.Context, tree fs.FS, render RenderRequest) ([]byte, error) {
	return c.post(ctx, "/v1/generate", tree, render)
}

// Parameters returns the plugin's parameter announcements for the source:
// the static ones, and those its parameters.dynamic command prints, run by
// the runner on the uploaded tree.
func (c *Client) Parameters(ctx context.Context, tree fs.FS, render RenderRequest) ([]ParameterAnnouncement, error) {
	body, err := c.post(ctx, "/v1/parameters", tree, render)
	if err != nil {
		return nil, err
	}
	var out []ParameterAnnouncement
	if err := json.Unmarshal(body, &out); err != nil {
		return nil, fmt.Errorf("plugin runner at %s: %w", c.socket, err)
	}
	return out, nil
}

// Match asks the runner whether its discovery command matches the source.
func (c *Client) Match(ctx context.Context, tree fs.FS, render RenderRequest) (bool, error) {
	body, err := c.post(ctx, "/v1/match", tree, render)
	if err != nil {
		return false, err
	}
	var answer struct{ Match bool }
	if err := json.Unmarshal(body, &answer); err != nil {
		return false, err
	}
	return answer.Match, nil
}

func (c *Client) post(ctx context.Context, path string, tree fs.FS, render RenderRequest) ([]byte, error) {
	header, err := json.Marshal(render)
	if err != nil {
		return nil, err
	}
	reader, writer := io.Pipe()
	go func() { writer.CloseWithError(pack(tree, writer)) }()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, "http://plugin"+path, reader)
	if err != nil {
		return nil, err
	}
	req.Header.Set(renderHeader, string(header))
	req.Header.Set("Content-Type", "application/x-tar")
	return c.do(req)
}

// do sends req and returns the body of a 200 answer; any other answer is an
// error with the runner's own (bounded) message.
func (c *Client) do(req *http.Request) ([]byte, error) {
	resp, err := c.http.Do(req)
	if err != nil {
		if ctxErr := req.Context().Err(); ctxErr != nil {
			return nil, ctxErr
		}
		return nil, fmt.Errorf("reach the plugin runner at %s: %w", c.socket, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, c.maxResponse+1))
	if err != nil {
		return nil, fmt.Errorf("read the plugin runner's answer: %w", err)
	}
	if int64(len(body)) > c.maxResponse {
		return nil, fmt.Errorf("the plugin's output is larger than %d bytes", c.maxResponse)
	}
	if resp.StatusCode != http.StatusOK {
		message := strings.TrimSpace(strings.ToValidUTF8(string(body), "\uFFFD"))
		if len(message) > 2048 {
			message = strings.ToValidUTF8(message[:2048], "")
		}
		return nil, errors.New(message)
	}
	return body, nil
}

// pack writes tree as a tar stream: directories and regular files with
// their modes.
func pack(tree fs.FS, out io.Writer) error {
	writer := tar.NewWriter(out)
	err := fs.WalkDir(tree, ".", func(name string, entry fs.DirEntry, err error) error {
		if err != nil || name == "." {
			return err
		}
		info, err := entry.Info()
		if err != nil {
			return err
		}
		switch {
		case entry.IsDir():
			return writer.WriteHeader(&tar.Header{Name: name + "/", Typeflag: tar.TypeDir, Mode: 0o755})
		case info.Mode().IsRegular():
			if err := writer.WriteHeader(&tar.Header{Name: name, Typeflag: tar.TypeReg, Mode: int64(info.Mode().Perm()), Size: info.Size()}); err != nil {
				return err
			}
			file, err := tree.Open(name)
			if err != nil {
				return err
			}
			defer file.Close()
			_, err = io.Copy(writer, file)
			return err
		}
		return nil // symlinks and others stay behind, as the renderers refuse them
	})
	if err != nil {
		return err
	}
	return writer.Close()
}
