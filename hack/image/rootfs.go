package main

import (
	"archive/tar"
	"bytes"
	"fmt"
	"io"
	"os"
	"path"
	"time"
)

// The image's non-root user, as distroless names it: the StatefulSets of
// artifacts/deploy run the container as this uid and gid.
const (
	nonRootUID  = 65532
	nonRootName = "nonroot"
)

// Paths inside the image.
const (
	binaryPath         = "/usr/local/bin/capstan-apiserver"
	caCertificatesPath = "/etc/ssl/certs/ca-certificates.crt"
	// dataDir and cacheDir are the defaults the install mounts volumes on;
	// they exist in the image, owned by the non-root user, so that the
	// binary also runs without volumes (a read-write root filesystem).
	dataDir  = "/var/lib/capstan"
	cacheDir = "/var/cache/capstan"
)

// tarEntry is one file or directory of a layer.
type tarEntry struct {
	name     string
	mode     int64
	uid, gid int
	dir      bool
	content  []byte
	// source is read for the content when content is nil and the entry is a file.
	source string
}

// baseEntries are the files of the base layer: the users, the CA
// certificates (read from caCertificates on the build machine: no base image
// is pulled), and the directories the server writes to.
func baseEntries(caCertificates []byte) []tarEntry {
	passwd := fmt.Sprintf("root:x:0:0:root:/root:/sbin/nologin\n%s:x:%d:%d:%s:/home/%s:/sbin/nologin\n",
		nonRootName, nonRootUID, nonRootUID, nonRootName, nonRootName)
	group := fmt.Sprintf("root:x:0:\n%s:x:%d:\n", nonRootName, nonRootUID)
	return []tarEntry{
		{name: "etc/", mode: 0o755, dir: true},
		{name: "etc/passwd", mode: 0o644, content: []byte(passwd)},
		{name: "etc/group", mode: 0o644, content: []byte(group)},
		{name: "etc/nsswitch.conf", mode: 0o644, content: []byte("hosts: files dns\n")},
		{name: "etc/ssl/", mode: 0o755, dir: true},
		{name: "etc/ssl/certs/", mode: 0o755, dir: true},
		{name: caCertificatesPath[1:], mode: 0o644, content: caCertificates},
		{name: "home/", mode: 0o755, dir: true},
		{name: "home/" + nonRootName + "/", mode: 0o700, dir: true, uid: nonRootUID, gid: nonRootUID},
		{name: "root/", mode: 0o700, dir: true},
		{name: "tmp/", mode: 0o1777, dir: true},
		{name: "var/", mode: 0o755, dir: true},
		{name: "var/lib/", mode: 0o755, dir: true},
		{name: dataDir[1:] + "/", mode: 0o700, dir: true, uid: nonRootUID, gid: nonRootUID},
		{name: "var/cache/", mode: 0o755, dir: true},
		{name: cacheDir[1:] + "/", mode: 0o700, dir: true, uid: nonRootUID, gid: nonRootUID},
	}
}

// binaryEntries are the files of the binary's layer.
func binaryEntries(binary string) []tarEntry {
	return []tarEntry{
		{name: "usr/", mode: 0o755, dir: true},
		{name: "usr/local/", mode: 0o755, dir: true},
		{name: "usr/local/bin/", mode: 0o755, dir: true},
		{name: binaryPath[1:], mode: 0o755, source: binary},
	}
}

// writeTar writes entries as a tar stream with every time set to modTime, so
// that the same inputs give the same layer digest.
func writeTar(w io.Writer, entries []tarEntry, modTime time.Time) error {
	tw := tar.NewWriter(w)
	for _, entry := range entries {
		header := &tar.Header{
			Name: path.Clean(entry.name), Mode: entry.mode, Uid: entry.uid, Gid: entry.gid,
			ModTime: modTime, Format: tar.FormatPAX,
		}
		if entry.dir {
			header.Typeflag = tar.TypeDir
			header.Name += "/"
			if err := tw.WriteHeader(header); err != nil {
				return err
			}
			continue
		}
		header.Typeflag = tar.TypeReg
		if err := writeFile(tw, header, entry); err != nil {
			return err
		}
	}
	return tw.Close()
}

func writeFile(tw *tar.Writer, header *tar.Header, entry tarEntry) error {
	var content io.Reader = bytes.NewReader(entry.content)
	header.Size = int64(len(entry.content))
	if entry.content == nil && entry.source != "" {
		file, err := os.Open(entry.source)
		if err != nil {
			return err
		}
		defer file.Close()
		info, err := file.Stat()
		if err != nil {
			return err
		}
		if !info.Mode().IsRegular() {
			return fmt.Errorf("%s is not a regular file", entry.source)
		}
		header.Size = info.Size()
		content = file
	}
	if err := tw.WriteHeader(header); err != nil {
		return fmt.Errorf("%s: %w", header.Name, err)
	}
	if _, err := io.Copy(tw, content); err != nil {
		return fmt.Errorf("%s: %w", header.Name, err)
	}
	return nil
}
