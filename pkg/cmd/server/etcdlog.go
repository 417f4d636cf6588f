package server

import (
	"strings"

	"go.uber.org/zap/zapcore"
)

// benignEtcdCore drops what the embedded etcd logs as a warning or an error
// on every start and every clean stop of a single member on loopback, which
// asks nothing of whoever reads the log:
//   - at start, that client and peer traffic share a port and that the
//     simple auth token is unsigned (the member serves 127.0.0.1 only, with
//     auth off), and the storage version monitor's first look before the
//     member has a raft term ("missing term information"; it looks again);
//   - at stop, each listener reporting that it was closed.
//
// Every other message goes through as etcd wrote it.
type benignEtcdCore struct {
	zapcore.Core
}

// benignEtcdMessages are dropped whatever their fields.
var benignEtcdMessages = map[string]bool{
	"Running http and grpc server on single port. This is not recommended for production.": true,
	"simple token is not cryptographically signed":                                         true,
}

// benignEtcdErrors are dropped when their error field says so.
var benignEtcdErrors = map[string][]string{
	"Failed to detect schema version":               {"missing term information"},
	"failed to update storage version":              {"missing term information"},
	"stopping insecure grpc server due to error":    {"use of closed network connection"},
	"stopped insecure grpc server due to error":     {"use of closed network connection"},
	"setting up serving from embedded etcd failed.": {"use of closed network connection", "http: Server closed", "mux: server closed"},
}

func (c benignEtcdCore) With(fields []zapcore.Field) zapcore.Core {
	return benignEtcdCore{Core: c.Core.With(fields)}
}

func (c benignEtcdCore) Check(entry zapcore.Entry, checked *zapcore.CheckedEntry) *zapcore.CheckedEntry {
	if benignEtcdMessages[entry.Message] || !c.Enabled(entry.Level) {
		return checked
	}
	if _, conditional := benignEtcdErrors[entry.Message]; conditional {
		// Decided in Write, which sees the fields.
		return checked.AddCore(entry, c)
	}
	return c.Core.Check(entry, checked)
}

func (c benignEtcdCore) Write(entry zapcore.Entry, fields []zapcore.Field) error {
	for _, field := range fields {
		if field.Key != "error" || field.Type != zapcore.ErrorType {
			continue
		}
		err, ok := field.Interface.(error)
		if !ok || err == nil {
			continue
		}
		for _, benign := range benignEtcdErrors[entry.Message] {
			if strings.Contains(err.Error(), benign) {
				return nil
			}
		}
	}
	return c.Core.Write(entry, fields)
}
