package main

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// capstanUser is the identity capstan-apiserver uses towards kube-apiserver
// in the local plane (hack/lib/certs.sh).
const capstanUser = "capstan-apiserver"

// auditLogPath is where hack/bench.sh makes kube-apiserver write the audit
// events of capstanUser (and of nobody else).
func auditLogPath(localDir string) string {
	return filepath.Join(localDir, "logs", "kube-apiserver-audit.log")
}

// auditEvent is the part of an audit.k8s.io/v1 Event the bench reads.
type auditEvent struct {
	AuditID                  string    `json:"auditID"`
	Verb                     string    `json:"verb"`
	RequestURI               string    `json:"requestURI"`
	RequestReceivedTimestamp time.Time `json:"requestReceivedTimestamp"`
	User                     struct {
		Username string `json:"username"`
	} `json:"user"`
	ObjectRef *struct {
		Resource    string `json:"resource"`
		Namespace   string `json:"namespace"`
		Name        string `json:"name"`
		Subresource string `json:"subresource"`
	} `json:"objectRef"`
}

// countAPIRequests counts the requests capstan-apiserver sent to
// kube-apiserver that were received in [from, to), by "verb resource".
// Each request is counted once, whatever stages were logged for it.
func countAPIRequests(path string, from, to time.Time) (int, map[string]int, error) {
	file, err := os.Open(path)
	if err != nil {
		return 0, nil, err
	}
	defer file.Close()
	seen := map[string]bool{}
	byKind := map[string]int{}
	scanner := bufio.NewScanner(file)
	scanner.Buffer(make([]byte, 1<<20), 16<<20)
	for scanner.Scan() {
		var event auditEvent
		if json.Unmarshal(scanner.Bytes(), &event) != nil || event.User.Username != capstanUser {
			continue
		}
		if event.RequestReceivedTimestamp.Before(from) || !event.RequestReceivedTimestamp.Before(to) || seen[event.AuditID] {
			continue
		}
		seen[event.AuditID] = true
		resource, _, _ := strings.Cut(event.RequestURI, "?") // a non-resource path
		if event.ObjectRef != nil {
			resource = event.ObjectRef.Resource
		}
		kind := event.Verb + " " + resource
		if strings.Contains(event.RequestURI, "dryRun=") {
			kind += " (dry run)"
		}
		byKind[kind]++
	}
	return len(seen), byKind, scanner.Err()
}
