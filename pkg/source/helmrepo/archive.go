package helmrepo

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"strings"
	"testing/fstest"

	"capstan.dev/capstan/pkg/source"
)

// maxArchiveNesting bounds how deep subchart archives (charts/*.tgz) inside
// a chart archive are opened to count what they unpack to.
const maxArchiveNesting = 4

// archiveLimits bound what unpacking one chart archive may produce, its
// subchart archives included: a few KiB of gzip can expand to gigabytes.
type archiveLimits struct {
	maxBytes int64
	maxFiles int
}

// unpacker counts what an archive and its subchart archives unpack to.
type unpacker struct {
	limits archiveLimits
	what   string
	bytes  int64
	files  int
}

// unpackArchive reads a chart archive (.tgz with one top-level directory)
// into an in-memory filesystem rooted at the chart directory, within limits.
// Entries outside the directory and other than regular files are skipped.
func unpackArchive(archive []byte, limits archiveLimits, what string) (fstest.MapFS, error) {
	files := fstest.MapFS{}
	u := &unpacker{limits: limits, what: what}
	err := u.walk(archive, 0, func(name string, data []byte) {
		_, rest, ok := strings.Cut(path.Clean(name), "/")
		if ok && rest != "" && fs.ValidPath(rest) {
			files[rest] = &fstest.MapFile{Data: data, Mode: 0o644}
		}
	})
	if err != nil {
		return nil, err
	}
	return files, nil
}

// walk reads every entry of a gzipped tar archive, giving regular files to
// keep (when not nil) and opening subchart archives to count their content.
func (u *unpacker) walk(archive []byte, depth int, keep func(name string, data []byte)) error {
	gz, err := gzip.NewReader(bytes.NewReader(archive))
	if err != nil {
		return fmt.Errorf("%s is not a gzip archive: %w", u.what, err)
	}
	defer func() { _ = gz.Close() }()
	reader := tar.NewReader(gz)
	for {
		header, err := reader.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("read %s: %w", u.what, err)
		}
		if u.files++; u.files > u.limits.maxFiles {
			return fmt.Errorf("%w: %s has more than %d files", source.ErrTooLarge, u.what, u.limits.maxFiles)
		}
		if header.Typeflag != tar.TypeReg {
			continue
		}
		// The header's size is the archive author's claim: read, and count.
		remaining := u.limits.maxBytes - u.bytes
		data, err := io.ReadAll(io.LimitReader(reader, remaining+1))
		if err != nil {
			return fmt.Errorf("read %s: %w", u.what, err)
		}
		if u.bytes += int64(len(data)); u.bytes > u.limits.maxBytes {
			return &source.TooLargeError{What: u.what + " unpacked", Limit: u.limits.maxBytes}
		}
		if depth < maxArchiveNesting && isSubchartArchive(header.Name) {
			// A subchart that is no archive is Helm's to report; one that
			// unpacks to too much is refused here.
			if err := u.walk(data, depth+1, nil); errors.Is(err, source.ErrTooLarge) {
				return err
			}
		}
		if keep != nil {
			keep(header.Name, data)
		}
	}
}

// isSubchartArchive reports whether an archive entry is a packaged
// dependency, which Helm unpacks when it loads the chart.
func isSubchartArchive(name string) bool {
	return strings.HasSuffix(name, ".tgz") && strings.Contains(path.Clean(name), "/charts/")
}
