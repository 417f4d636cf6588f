package server

import (
	"errors"
	"testing"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"
)

// The embedded etcd's start and stop chatter is dropped; everything else,
// including the same messages with another error, goes through.
func TestBenignEtcdMessagesAreDropped(t *testing.T) {
	observed, logs := observer.New(zapcore.WarnLevel)
	logger := zap.New(benignEtcdCore{Core: observed})
	closed := errors.New("accept tcp 127.0.0.1:2379: use of closed network connection")

	logger.Warn("Running http and grpc server on single port. This is not recommended for production.")
	logger.Warn("simple token is not cryptographically signed")
	logger.Warn("Failed to detect schema version", zap.Error(errors.New("missing term information")))
	logger.Error("failed to update storage version", zap.String("cluster-version", "3.7.0"), zap.Error(errors.New("cannot detect storage schema version: missing term information")))
	logger.Warn("stopping insecure grpc server due to error", zap.Error(closed))
	logger.Error("setting up serving from embedded etcd failed.", zap.Error(errors.New("http: Server closed")))
	logger.With(zap.String("member", "capstan")).Error("setting up serving from embedded etcd failed.", zap.Error(closed))
	logger.Info("below the level")
	if logs.Len() != 0 {
		t.Fatalf("benign messages logged: %v", logs.All())
	}

	logger.Error("setting up serving from embedded etcd failed.", zap.Error(errors.New("listen tcp 127.0.0.1:2379: bind: address already in use")))
	logger.Warn("failed to update storage version", zap.Error(errors.New("context deadline exceeded")))
	logger.Error("mvcc: database space exceeded")
	got := logs.All()
	if len(got) != 3 {
		t.Fatalf("logged %d of 3 messages that are not benign: %v", len(got), got)
	}
	if got[0].ContextMap()["error"] != "listen tcp 127.0.0.1:2379: bind: address already in use" {
		t.Errorf("the error went through as %v", got[0].ContextMap())
	}
}
