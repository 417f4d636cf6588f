package e2e

import (
	"archive/tar"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
)

// imageLayout is where `make image` writes the OCI layout.
const imageLayout = "_output/image/oci"

// TestImageServesTheAPIFromItsRootFilesystem unpacks the layers of the image
// `make image` built and runs its entrypoint from that root filesystem
// (chroot, as the image's non-root user), then points the APIService at it
// until it is Available and serves Applications; the plane's own
// capstan-apiserver takes the APIService back at the end.
func TestImageServesTheAPIFromItsRootFilesystem(t *testing.T) {
	requireCapstanAPIServer(t)
	if os.Geteuid() != 0 {
		t.Skip("running the image's root filesystem needs chroot, so root (CI runs as root)")
	}
	img := readImage(t, filepath.Join(cluster.rootDir, imageLayout))
	config, err := img.ConfigFile()
	if err != nil {
		t.Fatalf("image config: %v", err)
	}
	root := unpackImage(t, img)
	uid, gid := imageUser(t, config.Config.User)
	if uid == 0 {
		t.Errorf("the image runs as root (user %q)", config.Config.User)
	}

	t.Run("the binary reports the version of the image's label", func(t *testing.T) {
		out, err := chrootCommand(root, uid, gid, config.Config, "--version").CombinedOutput()
		if err != nil {
			t.Fatalf("%s --version: %v\n%s", config.Config.Entrypoint[0], err, out)
		}
		want := config.Config.Labels["org.opencontainers.image.version"]
		if want == "" || strings.TrimSpace(string(out)) != "capstan-apiserver "+want {
			t.Errorf("--version printed %q, the label says %q", out, want)
		}
	})

	t.Run("the API served from the image becomes Available through the aggregator", func(t *testing.T) {
		port := startImageAPIServer(t, root, uid, gid, config.Config)
		original := kubectl(t, "get", "apiservice", "v1alpha1.capstan.dev", "-o", "jsonpath={.spec.service.port}")
		pointAPIService(t, port)
		t.Cleanup(func() { pointAPIService(t, original) })
		ns := createNamespace(t)
		kubectlWithInput(t, guestbookApplication(ns, "https://git.example.invalid/repo.git", "guestbook"), "apply", "-f", "-")
		if out := kubectl(t, "get", "applications", "-n", ns, "-o", "name"); strings.TrimSpace(out) != "application.capstan.dev/guestbook" {
			t.Errorf("applications served from the image: %q", out)
		}
	})
}

// readImage reads the one image of an OCI layout.
func readImage(t *testing.T, dir string) v1.Image {
	t.Helper()
	index, err := layout.ImageIndexFromPath(dir)
	if err != nil {
		if os.Getenv("CAPSTAN_E2E") == "1" {
			t.Fatalf("read the image (`make image` writes it): %v", err)
		}
		t.Skipf("no image in %s: run `make image`", dir)
	}
	manifest, err := index.IndexManifest()
	if err != nil || len(manifest.Manifests) != 1 {
		t.Fatalf("the layout %s holds %d images (%v), want one", dir, len(manifest.Manifests), err)
	}
	img, err := index.Image(manifest.Manifests[0].Digest)
	if err != nil {
		t.Fatalf("image %s: %v", manifest.Manifests[0].Digest, err)
	}
	return img
}

// unpackImage extracts the image's flattened layers into a new directory,
// with the owners and modes the layers record, and returns it.
func unpackImage(t *testing.T, img v1.Image) string {
	t.Helper()
	root := t.TempDir()
	if err := os.Chmod(root, 0o755); err != nil {
		t.Fatal(err)
	}
	flattened := mutate.Extract(img)
	defer flattened.Close()
	reader := tar.NewReader(flattened)
	for {
		header, err := reader.Next()
		if errors.Is(err, io.EOF) {
			return root
		}
		if err != nil {
			t.Fatalf("read the image's layers: %v", err)
		}
		if err := extractEntry(root, header, reader); err != nil {
			t.Fatalf("extract %s: %v", header.Name, err)
		}
	}
}

func extractEntry(root string, header *tar.Header, content io.Reader) error {
	target := filepath.Join(root, filepath.Clean("/"+header.Name))
	mode := os.FileMode(header.Mode & 0o777)
	switch header.Typeflag {
	case tar.TypeDir:
		if err := os.MkdirAll(target, 0o755); err != nil {
			return err
		}
	case tar.TypeReg:
		if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
			return err
		}
		file, err := os.OpenFile(target, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, mode)
		if err != nil {
			return err
		}
		if _, err := io.Copy(file, content); err != nil {
			file.Close()
			return err
		}
		if err := file.Close(); err != nil {
			return err
		}
	default:
		return fmt.Errorf("unexpected entry type %c", header.Typeflag)
	}
	if err := os.Lchown(target, header.Uid, header.Gid); err != nil {
		return err
	}
	// Chmod after chown: chown clears the sticky and set-id bits.
	if header.Mode&0o1000 != 0 {
		mode |= os.ModeSticky
	}
	return os.Chmod(target, mode)
}

// imageUser parses the image's "uid:gid" user.
func imageUser(t *testing.T, user string) (uint32, uint32) {
	t.Helper()
	uidText, gidText, _ := strings.Cut(user, ":")
	uid, errUID := strconv.ParseUint(uidText, 10, 32)
	gid, errGID := strconv.ParseUint(gidText, 10, 32)
	if errUID != nil || errGID != nil {
		t.Fatalf("the image's user %q is not numeric uid:gid", user)
	}
	return uint32(uid), uint32(gid)
}

// chrootCommand runs the image's entrypoint with args inside root as the
// image's user, with the image's environment and working directory. The
// image's default arguments (Cmd) come first, so args win.
func chrootCommand(root string, uid, gid uint32, config v1.Config, args ...string) *exec.Cmd {
	argv := append(append(append([]string{}, config.Entrypoint...), config.Cmd...), args...)
	cmd := exec.Command(argv[0], argv[1:]...)
	// exec.Cmd resolves Path on the host; inside the chroot it is the image's.
	cmd.Path = argv[0]
	cmd.Dir = config.WorkingDir
	cmd.Env = config.Env
	cmd.SysProcAttr = &syscall.SysProcAttr{
		Chroot:     root,
		Credential: &syscall.Credential{Uid: uid, Gid: gid},
		Setsid:     true,
	}
	return cmd
}

// startImageAPIServer copies the plane's kubeconfig and serving certificate
// of capstan-apiserver into the image's root filesystem (read-only for the
// image's user) and starts the image's server on a free loopback port, with
// its embedded etcd and no controllers. It returns the port.
func startImageAPIServer(t *testing.T, root string, uid, gid uint32, config v1.Config) string {
	t.Helper()
	configDir := filepath.Join(root, "etc", "capstan")
	if err := os.MkdirAll(configDir, 0o755); err != nil {
		t.Fatal(err)
	}
	for source, name := range map[string]string{
		filepath.Join(cluster.localDir, "kubeconfigs", "capstan-apiserver.kubeconfig"): "kubeconfig",
		filepath.Join(cluster.localDir, "pki", "capstan-apiserver-serving.crt"):        "tls.crt",
		filepath.Join(cluster.localDir, "pki", "capstan-apiserver-serving.key"):        "tls.key",
	} {
		data, err := os.ReadFile(source)
		if err != nil {
			t.Fatalf("read %s: %v", source, err)
		}
		target := filepath.Join(configDir, name)
		if err := os.WriteFile(target, data, 0o400); err != nil {
			t.Fatal(err)
		}
		if err := os.Chown(target, int(uid), int(gid)); err != nil {
			t.Fatal(err)
		}
	}
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("find a free port: %v", err)
	}
	port := strconv.Itoa(listener.Addr().(*net.TCPAddr).Port)
	listener.Close()

	logPath := filepath.Join(cluster.localDir, "logs", "capstan-apiserver-image.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		t.Fatalf("create the log: %v", err)
	}
	defer logFile.Close()
	cmd := chrootCommand(root, uid, gid, config,
		"--bind-address=127.0.0.1", "--secure-port="+port,
		"--tls-cert-file=/etc/capstan/tls.crt", "--tls-private-key-file=/etc/capstan/tls.key",
		"--kubeconfig=/etc/capstan/kubeconfig",
		"--authentication-kubeconfig=/etc/capstan/kubeconfig",
		"--authorization-kubeconfig=/etc/capstan/kubeconfig",
		"--embedded-etcd-port=0", "--embedded-etcd-unsafe-no-fsync",
		"--controllers=false",
	)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		t.Fatalf("start the image's capstan-apiserver: %v", err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		if t.Failed() {
			if data, err := os.ReadFile(logPath); err == nil {
				t.Logf("the image's capstan-apiserver log:\n%s", data)
			}
		}
	})
	return port
}

// pointAPIService points the APIService v1alpha1.capstan.dev (and its
// ExternalName Service) at a loopback port and waits until the aggregator
// finds it Available.
func pointAPIService(t *testing.T, port string) {
	t.Helper()
	kubectl(t, "patch", "service", "capstan-apiserver", "-n", "capstan-system", "--type=json",
		"-p", `[{"op":"replace","path":"/spec/ports/0/port","value":`+port+`}]`)
	kubectl(t, "patch", "apiservice", "v1alpha1.capstan.dev", "--type=merge",
		"-p", `{"spec":{"service":{"port":`+port+`}}}`)
	eventually(t, 2*time.Minute, "the APIService to be Available on port "+port, func() (bool, error) {
		out, err := tryKubectl("get", "apiservice", "v1alpha1.capstan.dev",
			"-o", `jsonpath={.spec.service.port} {.status.conditions[?(@.type=="Available")].status}`)
		return err == nil && out == port+" True", fmt.Errorf("port and Available: %q, %v", out, err)
	})
}
