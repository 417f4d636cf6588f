package main

import (
	"archive/tar"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/v1/mutate"
)

// staticBinary builds a tiny static program, standing in for capstan-apiserver.
func staticBinary(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "main.go"), []byte("package main\n\nfunc main() { println(\"ok\") }\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module example.invalid/static\n\ngo 1.26\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	binary := filepath.Join(dir, "static")
	cmd := exec.Command("go", "build", "-o", binary, ".")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH=amd64")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build a static binary: %v\n%s", err, out)
	}
	return binary
}

func TestBuild(t *testing.T) {
	certificates := filepath.Join(t.TempDir(), "ca.crt")
	if err := os.WriteFile(certificates, []byte("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	o := options{binary: staticBinary(t), caCertificates: certificates, version: "v1.2.3", revision: "abc"}
	created := time.Unix(1700000000, 0).UTC()
	img, err := build(o, created)
	if err != nil {
		t.Fatalf("build: %v", err)
	}

	t.Run("the image runs as the non-root user with the version in its labels", func(t *testing.T) {
		config, err := img.ConfigFile()
		if err != nil {
			t.Fatal(err)
		}
		if config.Config.User != "65532:65532" {
			t.Errorf("user %q, want 65532:65532", config.Config.User)
		}
		if got := config.Config.Labels["org.opencontainers.image.version"]; got != "v1.2.3" {
			t.Errorf("version label %q", got)
		}
		if got := config.Config.Entrypoint; len(got) != 1 || got[0] != binaryPath {
			t.Errorf("entrypoint %v", got)
		}
		if !config.Created.Time.Equal(created) {
			t.Errorf("created %s, want %s", config.Created.Time, created)
		}
	})

	t.Run("the root filesystem holds the binary, the users, the CA certificates and writable directories", func(t *testing.T) {
		files := map[string]*tar.Header{}
		reader := tar.NewReader(mutate.Extract(img))
		for {
			header, err := reader.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			files[strings.TrimSuffix(header.Name, "/")] = header
		}
		for name, want := range map[string]struct {
			mode int64
			uid  int
		}{
			strings.TrimPrefix(binaryPath, "/"):         {0o755, 0},
			strings.TrimPrefix(caCertificatesPath, "/"): {0o644, 0},
			"etc/passwd":                      {0o644, 0},
			strings.TrimPrefix(dataDir, "/"):  {0o700, nonRootUID},
			strings.TrimPrefix(cacheDir, "/"): {0o700, nonRootUID},
			"tmp":                             {0o1777, 0},
		} {
			header, ok := files[name]
			if !ok {
				t.Errorf("%s is missing", name)
				continue
			}
			if header.Mode != want.mode || header.Uid != want.uid {
				t.Errorf("%s: mode %o uid %d, want %o uid %d", name, header.Mode, header.Uid, want.mode, want.uid)
			}
			if !header.ModTime.Equal(created) {
				t.Errorf("%s: modification time %s, want %s", name, header.ModTime, created)
			}
		}
	})

	t.Run("the same inputs give the same digest", func(t *testing.T) {
		again, err := build(o, created)
		if err != nil {
			t.Fatal(err)
		}
		first, _ := img.Digest()
		second, _ := again.Digest()
		if first != second {
			t.Errorf("digests differ: %s, %s", first, second)
		}
	})
}

func TestBuildRefuses(t *testing.T) {
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	interp, err := elfInterpreter(self)
	if err != nil {
		t.Fatal(err)
	}
	certificates := filepath.Join(t.TempDir(), "ca.crt")
	if err := os.WriteFile(certificates, []byte("-----BEGIN CERTIFICATE-----\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	noCertificates := filepath.Join(t.TempDir(), "empty.crt")
	if err := os.WriteFile(noCertificates, []byte("# no certificates here\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name    string
		o       options
		message string
	}{
		{"a missing CA bundle, naming the flag", options{binary: self, caCertificates: "/nonexistent/ca.crt"}, "--ca-certificates"},
		{"a bundle without certificates", options{binary: self, caCertificates: noCertificates}, "holds no PEM certificate"},
		{"a file that is no ELF binary", options{binary: "main.go", caCertificates: certificates}, "not an ELF binary"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := build(tc.o, time.Unix(0, 0))
			if err == nil || !strings.Contains(err.Error(), tc.message) {
				t.Errorf("build: %v, want an error naming %q", err, tc.message)
			}
		})
	}
	if interp != "" {
		t.Run("a dynamically linked binary", func(t *testing.T) {
			_, err := build(options{binary: self, caCertificates: certificates}, time.Unix(0, 0))
			if err == nil || !strings.Contains(err.Error(), "CGO_ENABLED=0") {
				t.Errorf("build: %v, want a refusal naming CGO_ENABLED=0", err)
			}
		})
	}
}
