package cmp

import (
	"archive/tar"
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// tarOf builds a tar stream of the headers, each regular file with body.
func tarOf(t testing.TB, headers ...*tar.Header) []byte {
	t.Helper()
	var buf bytes.Buffer
	writer := tar.NewWriter(&buf)
	for _, header := range headers {
		body := []byte("x")
		if header.Typeflag == tar.TypeReg {
			header.Size = int64(len(body))
		}
		if err := writer.WriteHeader(header); err != nil {
			t.Fatal(err)
		}
		if header.Typeflag == tar.TypeReg {
			if _, err := writer.Write(body); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := writer.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func file(name string) *tar.Header {
	return &tar.Header{Name: name, Typeflag: tar.TypeReg, Mode: 0o755}
}

func TestUnpackKeepsHostileTreesInsideTheirDirectory(t *testing.T) {
	tests := []struct {
		name    string
		headers []*tar.Header
		max     int64
		want    string // error; empty when the tree is accepted
		inside  []string
	}{
		{name: "a relative climb out of the directory lands inside it", headers: []*tar.Header{file("../../escaped.txt")}, inside: []string{"escaped.txt"}},
		{name: "an absolute path lands inside the directory", headers: []*tar.Header{file("/etc/escaped.txt")}, inside: []string{"etc/escaped.txt"}},
		{name: "a climb in the middle of a path is cleaned", headers: []*tar.Header{file("a/../../../b/escaped.txt")}, inside: []string{"b/escaped.txt"}},
		{name: "a symbolic link is refused", headers: []*tar.Header{{Name: "link", Typeflag: tar.TypeSymlink, Linkname: "/etc"}}, want: "link: only files and directories"},
		{name: "a hard link is refused", headers: []*tar.Header{{Name: "link", Typeflag: tar.TypeLink, Linkname: "/etc/passwd"}}, want: "link: only files and directories"},
		{name: "a device is refused", headers: []*tar.Header{{Name: "dev", Typeflag: tar.TypeChar}}, want: "dev: only files and directories"},
		{name: "a tree above the size limit is refused", headers: []*tar.Header{file("a"), file("b"), file("c")}, max: 2, want: "larger than 2 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			parent := t.TempDir()
			dir := filepath.Join(parent, "tree")
			if err := os.Mkdir(dir, 0o700); err != nil {
				t.Fatal(err)
			}
			max := tt.max
			if max == 0 {
				max = 1 << 20
			}
			err := unpack(bytes.NewReader(tarOf(t, tt.headers...)), dir, max, false)
			if tt.want != "" {
				if err == nil || !strings.Contains(err.Error(), tt.want) {
					t.Errorf("error %v, want %q", err, tt.want)
				}
			} else if err != nil {
				t.Fatal(err)
			}
			for _, name := range tt.inside {
				info, err := os.Stat(filepath.Join(dir, name))
				if err != nil {
					t.Errorf("%s is not inside the directory: %v", name, err)
				} else if info.Mode().Perm() != 0o644 {
					t.Errorf("%s has mode %v without preserveFileMode", name, info.Mode().Perm())
				}
			}
			entries, err := os.ReadDir(parent)
			if err != nil {
				t.Fatal(err)
			}
			if len(entries) != 1 {
				t.Errorf("files were written next to the directory: %v", entries)
			}
		})
	}
}

func TestUnpackRefusesTreesWithTooManyEntries(t *testing.T) {
	headers := make([]*tar.Header, maxTreeEntries+1)
	for i := range headers {
		headers[i] = &tar.Header{Name: "d", Typeflag: tar.TypeDir, Mode: 0o755}
	}
	err := unpack(bytes.NewReader(tarOf(t, headers...)), t.TempDir(), 1<<20, false)
	if err == nil || !strings.Contains(err.Error(), "more than 100000 entries") {
		t.Errorf("error %v", err)
	}
}

func FuzzUnpack(f *testing.F) {
	f.Add(tarOf(f, file("../../x"), &tar.Header{Name: "d/", Typeflag: tar.TypeDir}, file("d/y")))
	f.Add(tarOf(f, &tar.Header{Name: "l", Typeflag: tar.TypeSymlink, Linkname: "../.."}))
	f.Add([]byte("not a tar stream"))
	f.Fuzz(func(t *testing.T, data []byte) {
		parent, err := os.MkdirTemp("", "unpack")
		if err != nil {
			t.Fatal(err)
		}
		defer os.RemoveAll(parent)
		dir := filepath.Join(parent, "tree")
		if err := os.Mkdir(dir, 0o700); err != nil {
			t.Fatal(err)
		}
		_ = unpack(bytes.NewReader(data), dir, 1<<16, true)
		err = filepath.Walk(parent, func(path string, info os.FileInfo, err error) error {
			if err != nil {
				return err
			}
			if path != parent && path != dir && !strings.HasPrefix(path, dir+string(filepath.Separator)) {
				t.Errorf("%s was written outside the directory", path)
			}
			if info.Mode()&os.ModeSymlink != 0 {
				t.Errorf("%s is a symbolic link", path)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	})
}

func FuzzParsePlugin(f *testing.F) {
	f.Add([]byte("apiVersion: argoproj.io/v1alpha1\nkind: ConfigManagementPlugin\nmetadata: {name: x}\nspec: {generate: {command: [a]}, discover: {fileName: '*.yaml'}}\n"))
	f.Add([]byte("kind: ConfigManagementPlugin\nspec: {discover: {find: {glob: '['}}}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		plugin, err := ParsePlugin(data)
		if err == nil && (len(plugin.Spec.Generate.Command) == 0 || plugin.Kind != "ConfigManagementPlugin") {
			t.Errorf("an invalid plugin was accepted: %+v", plugin)
		}
	})
}
