package server

import (
	"k8s.io/client-go/rest"

	"capstan.dev/capstan/pkg/inprocess"
)

// inProcess is config, capstan-apiserver's loopback client configuration,
// carried by transport: the same requests, credentials and handler chain,
// served in the process without a TLS connection.
func inProcess(config *rest.Config, transport *inprocess.Transport) *rest.Config {
	config = rest.CopyConfig(config)
	config.TLSClientConfig = rest.TLSClientConfig{}
	config.Transport = transport
	return config
}
