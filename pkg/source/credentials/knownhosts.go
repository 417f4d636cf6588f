package credentials

import (
	"fmt"
	"os"
	"path/filepath"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

// KnownHostsKey is the key of argocd-ssh-known-hosts-cm that holds the
// known_hosts text.
const KnownHostsKey = "ssh_known_hosts"

// KnownHosts verifies SSH server host keys against a known_hosts text.
type KnownHosts struct {
	callback ssh.HostKeyCallback
}

// HostKeyCallback returns the verification function for golang.org/x/crypto/ssh.
func (k *KnownHosts) HostKeyCallback() ssh.HostKeyCallback { return k.callback }

// KnownHostsFromConfigMap parses the data of an argocd-ssh-known-hosts-cm
// style ConfigMap (key ssh_known_hosts, OpenSSH known_hosts format, hashed
// host names and markers included).
func KnownHostsFromConfigMap(data map[string]string) (*KnownHosts, error) {
	return ParseKnownHosts(data[KnownHostsKey])
}

// ParseKnownHosts parses OpenSSH known_hosts text.
func ParseKnownHosts(text string) (*KnownHosts, error) {
	// knownhosts reads files only; the temporary file lives for the parse.
	dir, err := os.MkdirTemp("", "capstan-known-hosts-")
	if err != nil {
		return nil, fmt.Errorf("parse SSH known hosts: %w", err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "known_hosts")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		return nil, fmt.Errorf("parse SSH known hosts: %w", err)
	}
	callback, err := knownhosts.New(path)
	if err != nil {
		return nil, fmt.Errorf("parse SSH known hosts: %w", err)
	}
	return &KnownHosts{callback: callback}, nil
}
