package helmrepo_test

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/repo"

	"capstan.dev/capstan/pkg/source"
	"capstan.dev/capstan/pkg/source/credentials"
	"capstan.dev/capstan/pkg/source/helmrepo"
)

// archive builds a chart archive with the given extra files.
func archive(t testing.TB, name, version string, files map[string][]byte) []byte {
	t.Helper()
	var buffer bytes.Buffer
	gz := gzip.NewWriter(&buffer)
	tw := tar.NewWriter(gz)
	write := func(path string, data []byte) {
		if err := tw.WriteHeader(&tar.Header{Name: name + "/" + path, Mode: 0o644, Size: int64(len(data)), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write(data); err != nil {
			t.Fatal(err)
		}
	}
	write("Chart.yaml", []byte(fmt.Sprintf("apiVersion: v2\nname: %s\nversion: %s\n", name, version)))
	for path, data := range files {
		write(path, data)
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := gz.Close(); err != nil {
		t.Fatal(err)
	}
	return buffer.Bytes()
}

// publishArchives writes archives and an index listing them.
func (r *chartRepo) publishArchives(t testing.TB, archives map[string][]byte) {
	t.Helper()
	index := repo.NewIndexFile()
	for version, data := range archives {
		file := "web-" + version + ".tgz"
		if err := os.WriteFile(filepath.Join(r.dir, file), data, 0o644); err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(data)
		index.MustAdd(&chart.Metadata{APIVersion: chart.APIVersionV2, Name: "web", Version: version}, file, "", hex.EncodeToString(sum[:]))
	}
	if err := index.WriteFile(filepath.Join(r.dir, "index.yaml"), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestDownloadsAndArchivesLargerThanTheLimitsFail(t *testing.T) {
	charts := newChartRepo(t, "", "")
	manyFiles := map[string][]byte{}
	for i := range 60 {
		manyFiles[fmt.Sprintf("templates/cm-%d.yaml", i)] = nil
	}
	// 4 MiB of zeros compress to a few KiB: a decompression bomb in small.
	zeros := map[string][]byte{"files/zeros": make([]byte, 4<<20)}
	charts.publishArchives(t, map[string][]byte{
		"1.0.0": archive(t, "web", "1.0.0", map[string][]byte{"templates/cm.yaml": []byte("kind: ConfigMap\n")}),
		"2.0.0": archive(t, "web", "2.0.0", zeros),
		"3.0.0": archive(t, "web", "3.0.0", manyFiles),
		// A subchart archive inside the chart counts against the same budget.
		"5.0.0": archive(t, "web", "5.0.0", map[string][]byte{"charts/inner-0.1.0.tgz": archive(t, "inner", "0.1.0", zeros)}),
	})
	ctx := context.Background()
	limits := helmrepo.Options{MaxChartUnpackedBytes: 1 << 20, MaxChartFiles: 50}
	fetch := func(opts helmrepo.Options, version string) (*helmrepo.Chart, error) {
		return newClient(t, opts).Fetch(ctx, charts.URL, "web", version, credentials.Credentials{}, helmrepo.FetchOptions{})
	}
	t.Run("a chart within the limits is fetched and unpacked", func(t *testing.T) {
		fetched, err := fetch(limits, "1.0.0")
		if err != nil {
			t.Fatal(err)
		}
		files, err := fetched.Files()
		if err != nil {
			t.Fatal(err)
		}
		if data, err := files.(interface{ ReadFile(string) ([]byte, error) }).ReadFile("Chart.yaml"); err != nil || !strings.Contains(string(data), "name: web") {
			t.Errorf("Chart.yaml = %q, %v", data, err)
		}
	})
	for _, tc := range []struct {
		name, version string
		opts          helmrepo.Options
		want          string
	}{
		{"an index larger than its limit", "1.0.0", helmrepo.Options{MaxIndexBytes: 100}, "larger than the limit of 100 bytes"},
		{"an archive larger than its limit", "1.0.0", helmrepo.Options{MaxChartBytes: 100}, "larger than the limit of 100 bytes"},
		{"an archive that unpacks to more than its limit", "2.0.0", limits, "larger than the limit of 1048576 bytes"},
		{"an archive with too many files", "3.0.0", limits, "more than 50 files"},
		{"a subchart archive that unpacks to more than the chart's limit", "5.0.0", limits, "larger than the limit of 1048576 bytes"},
	} {
		t.Run(tc.name+" is refused", func(t *testing.T) {
			_, err := fetch(tc.opts, tc.version)
			t.Logf("error: %v", err)
			if !errors.Is(err, source.ErrTooLarge) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error = %v, want ErrTooLarge saying %q", err, tc.want)
			}
		})
	}
}
