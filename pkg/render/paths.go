package render

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strings"
)

// cleanSourcePath validates spec.source.path and returns it as an io/fs path
// ("." for the repository root). Absolute paths and paths with a ".." segment
// are refused outright, even when they would stay inside the repository.
func cleanSourcePath(p string) (string, error) {
	if p == "" || p == "." || p == "./" {
		return ".", nil
	}
	if strings.HasPrefix(p, "/") || strings.HasPrefix(p, `\`) {
		return "", fmt.Errorf("%w: source path %q is absolute", ErrInvalidPath, p)
	}
	for _, segment := range strings.FieldsFunc(p, func(r rune) bool { return r == '/' || r == '\\' }) {
		if segment == ".." {
			return "", fmt.Errorf("%w: source path %q contains \"..\"", ErrInvalidPath, p)
		}
	}
	cleaned := path.Clean(p)
	if !fs.ValidPath(cleaned) {
		return "", fmt.Errorf("%w: source path %q", ErrInvalidPath, p)
	}
	return cleaned, nil
}

// resolveInRepo resolves name against dir (both io/fs paths of one
// repository) the way Argo CD resolves value files: a relative name is relative
// to dir, an absolute one to the repository root, ".." is allowed while the
// result stays inside the repository. Leaving it is ErrOutsideRepository.
func resolveInRepo(dir, name string) (string, error) {
	var joined string
	if strings.HasPrefix(name, "/") {
		joined = path.Clean(name)
		joined = strings.TrimPrefix(joined, "/")
		if joined == "" {
			joined = "."
		}
	} else {
		joined = path.Join(dir, name)
	}
	if joined == ".." || strings.HasPrefix(joined, "../") {
		return "", fmt.Errorf("%w: %q resolves outside the repository", ErrOutsideRepository, name)
	}
	if !fs.ValidPath(joined) {
		return "", fmt.Errorf("%w: %q is not a valid path", ErrInvalidPath, name)
	}
	return joined, nil
}

// displayPath is how an io/fs path appears in messages: "." reads better as
// the repository root.
func displayPath(p string) string {
	if p == "." || p == "" {
		return "<repository root>"
	}
	return p
}

// statDir reports whether p exists in fsys and is a directory; a missing path
// is ErrNotFound.
func statDir(fsys fs.FS, p string) error {
	info, err := fs.Stat(fsys, p)
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%w: path %s does not exist", ErrNotFound, displayPath(p))
	}
	if err != nil {
		return fmt.Errorf("stat %s: %w", displayPath(p), err)
	}
	if !info.IsDir() {
		return fmt.Errorf("%w: path %s is not a directory", ErrInvalidPath, displayPath(p))
	}
	return nil
}

// fileExists reports whether p names a regular file in fsys.
func fileExists(fsys fs.FS, p string) bool {
	info, err := fs.Stat(fsys, p)
	return err == nil && info.Mode().IsRegular()
}
