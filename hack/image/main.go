// Command image assembles the OCI image of capstan-apiserver without a
// container runtime and without pulling a base image (`make image`): an
// empty base, one layer with the users, the CA certificates and the writable
// directories, one layer with the static binary; the non-root user, the
// entrypoint and the version in the labels. It writes an OCI image layout and
// a tarball that `crane push`, `skopeo copy docker-archive:` and `docker load`
// read.
package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// options are the command's flags.
type options struct {
	binary         string
	caCertificates string
	outDir         string
	repository     string
	version        string
	revision       string
	created        int64
}

func main() {
	var o options
	flag.StringVar(&o.binary, "binary", "", "static capstan-apiserver binary to put in the image (required)")
	flag.StringVar(&o.caCertificates, "ca-certificates", "/etc/ssl/certs/ca-certificates.crt",
		"PEM bundle of CA certificates to put in the image (Debian: apt-get install ca-certificates)")
	flag.StringVar(&o.outDir, "out", "_output/image", "directory for the OCI layout (oci/) and the tarball (capstan-apiserver.tar)")
	flag.StringVar(&o.repository, "repository", "capstan-apiserver", "image name recorded in the layout and the tarball")
	flag.StringVar(&o.version, "version", "dev", "version: the image's tag and its org.opencontainers.image.version label")
	flag.StringVar(&o.revision, "revision", "", "source revision (Git commit) for the org.opencontainers.image.revision label")
	flag.Int64Var(&o.created, "created", 0, "creation time in Unix seconds (the commit's time keeps builds reproducible)")
	flag.Parse()
	if err := run(o); err != nil {
		fmt.Fprintf(os.Stderr, "image: %v\n", err)
		os.Exit(1)
	}
}

func run(o options) error {
	if o.binary == "" {
		return errors.New("--binary: required")
	}
	tag, err := name.NewTag(o.repository + ":" + o.version)
	if err != nil {
		return fmt.Errorf("--repository %q with --version %q is no image reference: %w", o.repository, o.version, err)
	}
	created := time.Unix(o.created, 0).UTC()
	img, err := build(o, created)
	if err != nil {
		return err
	}
	if err := os.RemoveAll(filepath.Join(o.outDir, "oci")); err != nil {
		return err
	}
	path, err := layout.Write(filepath.Join(o.outDir, "oci"), empty.Index)
	if err != nil {
		return fmt.Errorf("write the OCI layout: %w", err)
	}
	if err := path.AppendImage(img, layout.WithAnnotations(map[string]string{
		"org.opencontainers.image.ref.name": o.version,
		"io.containerd.image.name":          tag.Name(),
	})); err != nil {
		return fmt.Errorf("write the OCI layout: %w", err)
	}
	archive := filepath.Join(o.outDir, "capstan-apiserver.tar")
	if err := tarball.WriteToFile(archive, tag, img); err != nil {
		return fmt.Errorf("write %s: %w", archive, err)
	}
	digest, err := img.Digest()
	if err != nil {
		return err
	}
	fmt.Printf("image %s %s\n  OCI layout: %s\n  tarball:    %s\n", tag.Name(), digest, path, archive)
	return nil
}

// build assembles the image.
func build(o options, created time.Time) (v1.Image, error) {
	caCertificates, err := os.ReadFile(o.caCertificates)
	if err != nil {
		return nil, fmt.Errorf("--ca-certificates: %w (Debian: apt-get install ca-certificates)", err)
	}
	if !bytes.Contains(caCertificates, []byte("-----BEGIN CERTIFICATE-----")) {
		return nil, fmt.Errorf("--ca-certificates: %s holds no PEM certificate", o.caCertificates)
	}
	if err := requireStatic(o.binary); err != nil {
		return nil, err
	}
	base, err := layer(baseEntries(caCertificates), created)
	if err != nil {
		return nil, fmt.Errorf("base layer: %w", err)
	}
	binary, err := layer(binaryEntries(o.binary), created)
	if err != nil {
		return nil, fmt.Errorf("binary layer: %w", err)
	}
	img := mutate.MediaType(empty.Image, types.OCIManifestSchema1)
	img = mutate.ConfigMediaType(img, types.OCIConfigJSON)
	img, err = mutate.AppendLayers(img, base, binary)
	if err != nil {
		return nil, err
	}
	configFile, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	configFile = configFile.DeepCopy()
	configFile.Architecture, configFile.OS = "amd64", "linux"
	configFile.Created = v1.Time{Time: created}
	configFile.Config = imageConfig(o, created)
	return mutate.ConfigFile(img, configFile)
}

// imageConfig is how the image runs: as the non-root user, in its home, with
// the version in the labels.
func imageConfig(o options, created time.Time) v1.Config {
	labels := map[string]string{
		"org.opencontainers.image.title":       "capstan-apiserver",
		"org.opencontainers.image.description": "Argo CD's GitOps model served as a Kubernetes aggregated API (capstan.dev/v1alpha1)",
		"org.opencontainers.image.version":     o.version,
		"org.opencontainers.image.created":     created.Format(time.RFC3339),
	}
	if o.revision != "" {
		labels["org.opencontainers.image.revision"] = o.revision
	}
	return v1.Config{
		Entrypoint: []string{binaryPath},
		Cmd:        []string{"--data-dir=" + dataDir, "--cache-dir=" + cacheDir},
		User:       strconv.Itoa(nonRootUID) + ":" + strconv.Itoa(nonRootUID),
		WorkingDir: "/home/" + nonRootName,
		Env: []string{
			"PATH=/usr/local/bin:/usr/bin:/bin",
			"SSL_CERT_FILE=" + caCertificatesPath,
			"HOME=/home/" + nonRootName,
		},
		Labels: labels,
	}
}

// layer builds a gzip-compressed OCI layer of entries.
func layer(entries []tarEntry, modTime time.Time) (v1.Layer, error) {
	var buf bytes.Buffer
	if err := writeTar(&buf, entries, modTime); err != nil {
		return nil, err
	}
	data := buf.Bytes()
	return tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(data)), nil
	}, tarball.WithMediaType(types.OCILayer), tarball.WithCompressedCaching)
}

// requireStatic refuses a dynamically linked binary: the image has no C
// library for it to load.
func requireStatic(binary string) error {
	interp, err := elfInterpreter(binary)
	if err != nil {
		return fmt.Errorf("--binary %s: %w", binary, err)
	}
	if interp != "" {
		return fmt.Errorf("--binary %s is dynamically linked (interpreter %s): build it with CGO_ENABLED=0", binary, interp)
	}
	return nil
}
