package server

import (
	"fmt"

	"github.com/spf13/pflag"
	"k8s.io/client-go/rest"
)

// ClientRateOptions set the client-side rate limit of the controllers'
// clients: to the Kubernetes API server they deploy to, and to this server's
// own API through the loopback client. Without them client-go's default of
// 5 requests per second (burst 10) throttles every comparison and sync.
type ClientRateOptions struct {
	// QPS is the sustained number of requests per second; negative disables the limit.
	QPS float32
	// Burst is the number of requests allowed at once above QPS.
	Burst int
}

// NewClientRateOptions returns no client-side limit: the API servers'
// Priority and Fairness protects them, and a limit here only slows syncs
// (at Argo CD's 50 requests per second a 100-app cold sync took three
// times as long in make bench).
func NewClientRateOptions() *ClientRateOptions {
	return &ClientRateOptions{QPS: -1, Burst: 100}
}

// AddFlags registers the rate limit flags.
func (o *ClientRateOptions) AddFlags(fs *pflag.FlagSet) {
	fs.Float32Var(&o.QPS, "kube-api-qps", o.QPS,
		"Requests per second the controllers may send to the Kubernetes API server and to this server's own API. Negative: no limit.")
	fs.IntVar(&o.Burst, "kube-api-burst", o.Burst,
		"Requests the controllers may send at once above --kube-api-qps.")
}

// Validate checks the rate limit options.
func (o *ClientRateOptions) Validate() []error {
	if o.QPS > 0 && o.Burst < 1 {
		return []error{fmt.Errorf("--kube-api-burst: must be at least 1 when --kube-api-qps is positive, not %d", o.Burst)}
	}
	return nil
}

// apply returns a copy of config with the rate limit set; nil stays nil.
func (o *ClientRateOptions) apply(config *rest.Config) *rest.Config {
	if config == nil {
		return nil
	}
	config = rest.CopyConfig(config)
	config.QPS, config.Burst = o.QPS, o.Burst
	return config
}
