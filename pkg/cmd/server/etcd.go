package server

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"os"
	"strconv"
	"time"

	"github.com/spf13/pflag"
	"go.etcd.io/etcd/server/v3/embed"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// EmbeddedEtcdOptions configure the etcd server that runs inside capstan-apiserver
// when no --etcd-servers are given.
type EmbeddedEtcdOptions struct {
	// DataDir holds etcd's data; it is created with mode 0700.
	DataDir string
	// Port is the loopback client port; the peer port is Port+1. Zero picks free ports.
	Port int
	// QuotaBackendBytes is etcd's backend size quota.
	QuotaBackendBytes int64
	// UnsafeNoFsync skips fsync: for tests and throw-away data only.
	UnsafeNoFsync bool
}

// NewEmbeddedEtcdOptions returns the defaults for a local run.
func NewEmbeddedEtcdOptions() *EmbeddedEtcdOptions {
	return &EmbeddedEtcdOptions{
		DataDir:           "_output/data",
		QuotaBackendBytes: 2 << 30,
	}
}

// AddFlags registers the embedded etcd flags.
func (o *EmbeddedEtcdOptions) AddFlags(fs *pflag.FlagSet) {
	fs.StringVar(&o.DataDir, "data-dir", o.DataDir,
		"Directory of the embedded etcd, used when --etcd-servers is not set.")
	fs.IntVar(&o.Port, "embedded-etcd-port", o.Port,
		"Loopback client port of the embedded etcd; the peer port is this plus one. 0 picks free ports.")
	fs.Int64Var(&o.QuotaBackendBytes, "embedded-etcd-quota-backend-bytes", o.QuotaBackendBytes,
		"Backend size quota of the embedded etcd.")
	fs.BoolVar(&o.UnsafeNoFsync, "embedded-etcd-unsafe-no-fsync", o.UnsafeNoFsync,
		"Do not fsync the embedded etcd's writes. Loses data on a crash; for tests only.")
}

// Validate checks the embedded etcd options.
func (o *EmbeddedEtcdOptions) Validate() []error {
	var errs []error
	if o.DataDir == "" {
		errs = append(errs, fmt.Errorf("--data-dir: must be set when --etcd-servers is not"))
	}
	if o.Port < 0 || o.Port > 65534 {
		errs = append(errs, fmt.Errorf("--embedded-etcd-port: %d is not a port between 0 and 65534", o.Port))
	}
	return errs
}

// embeddedEtcd is a running in-process etcd server.
type embeddedEtcd struct {
	etcd      *embed.Etcd
	clientURL string
}

// startEmbeddedEtcd starts etcd on loopback and waits until it serves.
func startEmbeddedEtcd(ctx context.Context, o *EmbeddedEtcdOptions) (*embeddedEtcd, error) {
	if err := os.MkdirAll(o.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("embedded etcd: create --data-dir %s: %w", o.DataDir, err)
	}
	if err := os.Chmod(o.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("embedded etcd: chmod --data-dir %s: %w", o.DataDir, err)
	}
	clientPort, peerPort, err := etcdPorts(o.Port)
	if err != nil {
		return nil, err
	}
	clientURL := url.URL{Scheme: "http", Host: net.JoinHostPort("127.0.0.1", strconv.Itoa(clientPort))}
	peerURL := url.URL{Scheme: "http", Host: net.JoinHostPort("127.0.0.1", strconv.Itoa(peerPort))}

	cfg := embed.NewConfig()
	cfg.Name = "capstan"
	cfg.Dir = o.DataDir
	cfg.ListenClientUrls = []url.URL{clientURL}
	cfg.AdvertiseClientUrls = []url.URL{clientURL}
	cfg.ListenPeerUrls = []url.URL{peerURL}
	cfg.AdvertisePeerUrls = []url.URL{peerURL}
	cfg.InitialCluster = cfg.InitialClusterFromName(cfg.Name)
	cfg.QuotaBackendBytes = o.QuotaBackendBytes
	// etcd keeps the raft log since its last snapshot in memory, and after a
	// snapshot the entries a slow follower may still need. Every status write
	// of an Application is an entry (a few KiB each), so its defaults of
	// 10,000 and 5,000 held some 40 MiB at 1,000 Applications; a single
	// member has no follower to catch up, and a snapshot of its tiny v2 store
	// costs next to nothing.
	cfg.SnapshotCount = embeddedEtcdSnapshotCount
	cfg.SnapshotCatchUpEntries = embeddedEtcdCatchUpEntries
	// A single member never waits for a peer: its heartbeats go nowhere and
	// its reads need no quorum round, but the raft ticker and the backend's
	// commit timer wake the process 10 times a second each even when nothing
	// happens. Fewer ticks (a single member still elects itself within a
	// second of starting: 1 to 5 ticks of 200 ms, against etcd's default
	// 1 to 10 of 100 ms) and a commit each second
	// (writes are durable in the WAL, fsynced before they are acknowledged;
	// the backend commit only bounds the WAL replayed after a crash) halve
	// the embedded etcd's idle wakeups.
	cfg.TickMs, cfg.ElectionMs = embeddedEtcdTickMs, 5*embeddedEtcdTickMs
	cfg.BackendBatchInterval = embeddedEtcdBackendCommit
	cfg.UnsafeNoFsync = o.UnsafeNoFsync
	// The API server compacts etcd itself; etcd's own metrics stay off our /metrics.
	cfg.Metrics = "basic"
	logger, err := zap.NewProductionConfig().Build(zap.IncreaseLevel(zapcore.WarnLevel),
		zap.WrapCore(func(core zapcore.Core) zapcore.Core { return benignEtcdCore{Core: core} }))
	if err != nil {
		return nil, err
	}
	cfg.ZapLoggerBuilder = embed.NewZapLoggerBuilder(logger.Named("etcd"))

	e, err := embed.StartEtcd(cfg)
	if err != nil {
		return nil, fmt.Errorf("embedded etcd: start in %s: %w", o.DataDir, err)
	}
	select {
	case <-e.Server.ReadyNotify():
	case err := <-e.Err():
		e.Close()
		return nil, fmt.Errorf("embedded etcd: %w", err)
	case <-time.After(60 * time.Second):
		e.Close()
		return nil, fmt.Errorf("embedded etcd: not ready after 60s (data dir %s)", o.DataDir)
	case <-ctx.Done():
		e.Close()
		return nil, ctx.Err()
	}
	return &embeddedEtcd{etcd: e, clientURL: clientURL.String()}, nil
}

// The embedded member's raft log bounds: see startEmbeddedEtcd.
const (
	embeddedEtcdSnapshotCount  = 1000
	embeddedEtcdCatchUpEntries = 100
	embeddedEtcdTickMs         = 200
	embeddedEtcdBackendCommit  = time.Second
)

// Close stops etcd and waits for it to release its data directory.
func (e *embeddedEtcd) Close() {
	e.etcd.Close()
}

// etcdPorts returns the client and peer ports: port and port+1, or two free ports.
func etcdPorts(port int) (int, int, error) {
	if port != 0 {
		return port, port + 1, nil
	}
	var ports [2]int
	for i := range ports {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return 0, 0, fmt.Errorf("embedded etcd: find a free port: %w", err)
		}
		defer l.Close()
		ports[i] = l.Addr().(*net.TCPAddr).Port
	}
	return ports[0], ports[1], nil
}
