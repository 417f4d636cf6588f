package e2e

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
	"go.etcd.io/etcd/api/v3/mvccpb"
	clientv3 "go.etcd.io/etcd/client/v3"
	"google.golang.org/protobuf/proto"
)

// snapshotApplications takes a snapshot of capstan-apiserver's embedded etcd
// through its loopback client port, as the README's `etcdctl snapshot save`
// backup does, checks the checksum etcd appends to it, and returns the names
// of the Applications of namespace that the snapshot holds.
func snapshotApplications(t *testing.T, namespace string) []string {
	t.Helper()
	client, err := clientv3.New(clientv3.Config{
		Endpoints:   []string{"http://127.0.0.1:" + planeEnv(t, "PORT_APISERVER_ETCD")},
		DialTimeout: 10 * time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	snapshot, err := client.SnapshotWithVersion(ctx)
	if err != nil {
		t.Fatalf("snapshot of the embedded etcd: %v", err)
	}
	data, err := io.ReadAll(snapshot.Snapshot)
	snapshot.Snapshot.Close()
	if err != nil {
		t.Fatalf("read the snapshot: %v", err)
	}
	// etcd appends the SHA-256 of the database (etcdutl checks it on restore).
	if len(data)%512 != sha256.Size {
		t.Fatalf("the snapshot (%d bytes) has no checksum", len(data))
	}
	db, sum := data[:len(data)-sha256.Size], data[len(data)-sha256.Size:]
	if got := sha256.Sum256(db); !bytes.Equal(got[:], sum) {
		t.Fatalf("the snapshot's checksum does not match its content")
	}
	path := filepath.Join(t.TempDir(), "capstan.db")
	if err := os.WriteFile(path, db, 0o600); err != nil {
		t.Fatal(err)
	}
	bolted, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true, Timeout: 10 * time.Second})
	if err != nil {
		t.Fatalf("open the snapshot's database: %v", err)
	}
	defer bolted.Close()

	// The key bucket holds every revision of every key, keyed by revision
	// (a trailing 't' marks a deletion); the last revision of a key wins.
	type latest struct {
		revision int64
		deleted  bool
	}
	keys := map[string]latest{}
	err = bolted.View(func(tx *bolt.Tx) error {
		bucket := tx.Bucket([]byte("key"))
		if bucket == nil {
			t.Fatalf("the snapshot has no key bucket")
		}
		return bucket.ForEach(func(k, v []byte) error {
			var kv mvccpb.KeyValue
			if err := proto.Unmarshal(v, &kv); err != nil {
				return err
			}
			revision := int64(binary.BigEndian.Uint64(k[:8]))
			if previous, ok := keys[string(kv.Key)]; !ok || revision >= previous.revision {
				keys[string(kv.Key)] = latest{revision: revision, deleted: len(k) > 17 && k[17] == 't'}
			}
			return nil
		})
	})
	if err != nil {
		t.Fatalf("read the snapshot's keys: %v", err)
	}
	var names []string
	for key, state := range keys {
		if _, name, ok := strings.Cut(key, "/applications/"+namespace+"/"); ok && !state.deleted {
			names = append(names, name)
		}
	}
	return names
}
