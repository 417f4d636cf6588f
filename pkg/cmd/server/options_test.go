package server

import (
	"context"
	"io"
	"net"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/spf13/pflag"
	cliflag "k8s.io/component-base/cli/flag"
)

// parseOptions returns the options that the command line args gives, completed.
func parseOptions(t *testing.T, args ...string) *Options {
	t.Helper()
	o := NewOptions(io.Discard, io.Discard)
	var fss cliflag.NamedFlagSets
	o.AddFlags(&fss)
	fs := pflag.NewFlagSet("capstan-apiserver", pflag.ContinueOnError)
	for _, set := range fss.FlagSets {
		fs.AddFlagSet(set)
	}
	if err := fs.Parse(args); err != nil {
		t.Fatalf("parse %v: %v", args, err)
	}
	if err := o.Complete(); err != nil {
		t.Fatalf("complete %v: %v", args, err)
	}
	return o
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name string
		args []string
		// wantErr are substrings of the error; none means the options are valid.
		wantErr []string
	}{
		{name: "standalone on a loopback address is valid",
			args: []string{"--standalone", "--bind-address=127.0.0.1"}},
		{name: "standalone on the IPv6 loopback address is valid",
			args: []string{"--standalone", "--bind-address=::1"}},
		{name: "standalone on every address is refused naming the flags",
			args:    []string{"--standalone", "--bind-address=0.0.0.0"},
			wantErr: []string{"--standalone", "--bind-address", "0.0.0.0"}},
		{name: "standalone on a public address is refused naming the flags",
			args:    []string{"--standalone", "--bind-address=192.0.2.10"},
			wantErr: []string{"--standalone", "--bind-address", "192.0.2.10"}},
		{name: "a public address without standalone is valid",
			args: []string{"--bind-address=0.0.0.0"}},
		{name: "embedded etcd on a given port is valid",
			args: []string{"--standalone", "--bind-address=127.0.0.1", "--embedded-etcd-port=2379"}},
		{name: "a negative embedded etcd port is refused naming the flag",
			args:    []string{"--standalone", "--bind-address=127.0.0.1", "--embedded-etcd-port=-1"},
			wantErr: []string{"--embedded-etcd-port", "-1"}},
		{name: "an embedded etcd port without room for the peer port is refused naming the flag",
			args:    []string{"--standalone", "--bind-address=127.0.0.1", "--embedded-etcd-port=65535"},
			wantErr: []string{"--embedded-etcd-port", "65535"}},
		{name: "an empty data directory for the embedded etcd is refused naming the flag",
			args:    []string{"--standalone", "--bind-address=127.0.0.1", "--data-dir="},
			wantErr: []string{"--data-dir"}},
		{name: "a render concurrency of zero is refused naming the flag",
			args:    []string{"--max-concurrent-renders=0"},
			wantErr: []string{"--max-concurrent-renders", "at least 1"}},
		{name: "a render concurrency of one is valid",
			args: []string{"--max-concurrent-renders=1"}},
		{name: "the embedded etcd flags are not checked when --etcd-servers is given",
			args: []string{"--standalone", "--bind-address=127.0.0.1", "--etcd-servers=http://127.0.0.1:2379", "--embedded-etcd-port=-1"}},
		{name: "a serving CA Secret is valid",
			args: []string{"--serving-ca-secret=capstan-system/capstan-apiserver-serving-ca"}},
		{name: "a serving CA that writes no APIService is valid",
			args: []string{"--serving-ca-secret=capstan-system/capstan-apiserver-serving-ca", "--apiservice="}},
		{name: "a serving certificate given without the serving CA is valid",
			args: []string{"--tls-cert-file=/pki/serving.crt", "--tls-private-key-file=/pki/serving.key"}},
		{name: "a serving CA Secret without a namespace is refused naming the flag",
			args:    []string{"--serving-ca-secret=capstan-apiserver-serving-ca"},
			wantErr: []string{"--serving-ca-secret", "NAMESPACE/NAME"}},
		{name: "a serving CA Secret with an invalid name is refused naming the flag and the name",
			args:    []string{"--serving-ca-secret=capstan-system/Serving_CA"},
			wantErr: []string{"--serving-ca-secret", "Serving_CA"}},
		{name: "an invalid APIService name is refused naming the flag",
			args:    []string{"--serving-ca-secret=capstan-system/serving-ca", "--apiservice=v1alpha1/capstan.dev"},
			wantErr: []string{"--apiservice", "v1alpha1/capstan.dev"}},
		{name: "a serving CA with a given serving certificate is refused naming both flags",
			args: []string{"--serving-ca-secret=capstan-system/serving-ca",
				"--tls-cert-file=/pki/serving.crt", "--tls-private-key-file=/pki/serving.key"},
			wantErr: []string{"--serving-ca-secret", "--tls-cert-file"}},
		{name: "a serving CA without a Kubernetes API server is refused naming both flags",
			args:    []string{"--standalone", "--bind-address=127.0.0.1", "--serving-ca-secret=capstan-system/serving-ca"},
			wantErr: []string{"--serving-ca-secret", "--standalone"}},
		{name: "a webhook receiver on a port is valid",
			args: []string{"--webhook-port=8081", "--webhook-bind-address=127.0.0.1"}},
		{name: "a webhook receiver over TLS with certificate and key is valid",
			args: []string{"--webhook-port=8081", "--webhook-tls-cert-file=/pki/hook.crt", "--webhook-tls-private-key-file=/pki/hook.key"}},
		{name: "a webhook certificate without its key is refused naming both flags",
			args:    []string{"--webhook-port=8081", "--webhook-tls-cert-file=/pki/hook.crt"},
			wantErr: []string{"--webhook-tls-cert-file", "--webhook-tls-private-key-file"}},
		{name: "a webhook port that is no port is refused naming the flag",
			args:    []string{"--webhook-port=70000"},
			wantErr: []string{"--webhook-port", "70000"}},
		{name: "a webhook body limit of zero is refused naming the flag",
			args:    []string{"--webhook-port=8081", "--webhook-max-payload-bytes=0"},
			wantErr: []string{"--webhook-max-payload-bytes"}},
		{name: "a webhook receiver without a Kubernetes API server is refused naming both flags",
			args:    []string{"--standalone", "--bind-address=127.0.0.1", "--webhook-port=8081"},
			wantErr: []string{"--webhook-port", "--standalone"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := parseOptions(t, tt.args...).Validate()
			if len(tt.wantErr) == 0 {
				if err != nil {
					t.Fatalf("validate %v: %v", tt.args, err)
				}
				return
			}
			if err == nil {
				t.Fatalf("validate %v succeeded, want an error naming %v", tt.args, tt.wantErr)
			}
			for _, want := range tt.wantErr {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not name %q", err, want)
				}
			}
		})
	}
}

func TestCompleteChoosesTheEtcd(t *testing.T) {
	tests := []struct {
		name         string
		args         []string
		wantEmbedded bool
		wantServers  []string
	}{
		{name: "without --etcd-servers the embedded etcd is used",
			wantEmbedded: true, wantServers: []string{"http://127.0.0.1:0"}},
		{name: "with --etcd-servers those servers are used",
			args:        []string{"--etcd-servers=https://etcd-0:2379,https://etcd-1:2379"},
			wantServers: []string{"https://etcd-0:2379", "https://etcd-1:2379"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := parseOptions(t, tt.args...)
			if o.embedded != tt.wantEmbedded {
				t.Errorf("embedded = %v, want %v", o.embedded, tt.wantEmbedded)
			}
			if got := o.RecommendedOptions.Etcd.StorageConfig.Transport.ServerList; !slices.Equal(got, tt.wantServers) {
				t.Errorf("etcd servers = %v, want %v", got, tt.wantServers)
			}
		})
	}
}

func TestCompleteStandaloneDropsTheDelegation(t *testing.T) {
	o := parseOptions(t, "--standalone", "--bind-address=127.0.0.1")
	if o.RecommendedOptions.Authentication != nil || o.RecommendedOptions.Authorization != nil ||
		o.RecommendedOptions.CoreAPI != nil || o.RecommendedOptions.Admission != nil {
		t.Errorf("standalone kept delegated authentication, authorization, the core API or admission")
	}
	if o.RecommendedOptions.Features.EnablePriorityAndFairness {
		t.Errorf("standalone kept priority and fairness, which needs the core API")
	}
}

func TestEtcdPorts(t *testing.T) {
	t.Run("a given port is the client port and the next one the peer port", func(t *testing.T) {
		client, peer, err := etcdPorts(2379)
		if err != nil || client != 2379 || peer != 2380 {
			t.Errorf("etcdPorts(2379) = %d, %d, %v; want 2379, 2380", client, peer, err)
		}
	})
	t.Run("port 0 picks two distinct free ports", func(t *testing.T) {
		client, peer, err := etcdPorts(0)
		if err != nil {
			t.Fatalf("etcdPorts(0): %v", err)
		}
		if client == 0 || peer == 0 || client == peer {
			t.Fatalf("etcdPorts(0) = %d, %d; want two distinct ports", client, peer)
		}
		for _, port := range []int{client, peer} {
			l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
			if err != nil {
				t.Errorf("port %d is not free: %v", port, err)
				continue
			}
			l.Close()
		}
	})
}

func TestServingDNSNames(t *testing.T) {
	tests := []struct {
		name         string
		alternateDNS []string
		want         []string
	}{
		{name: "the Service's name comes first, then localhost",
			alternateDNS: []string{"capstan-apiserver.capstan-system.svc"},
			want:         []string{"capstan-apiserver.capstan-system.svc", "localhost"}},
		{name: "localhost given already is not repeated",
			alternateDNS: []string{"localhost", "capstan-apiserver.capstan-system.svc"},
			want:         []string{"localhost", "capstan-apiserver.capstan-system.svc"}},
		{name: "without alternate names the certificate is for localhost",
			want: []string{"localhost"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := servingDNSNames(tt.alternateDNS); !slices.Equal(got, tt.want) {
				t.Errorf("servingDNSNames(%v) = %v, want %v", tt.alternateDNS, got, tt.want)
			}
		})
	}
}

func TestHelpGroupsTheServingCAFlags(t *testing.T) {
	var out strings.Builder
	cmd := NewCommand(context.Background(), NewOptions(io.Discard, io.Discard))
	cmd.SetOut(&out)
	cmd.SetArgs([]string{"--help"})
	if err := cmd.Execute(); err != nil {
		t.Fatalf("--help: %v", err)
	}
	_, section, found := strings.Cut(out.String(), "Serving CA flags:")
	if !found {
		t.Fatalf("--help has no serving CA section:\n%s", out.String())
	}
	section, _, _ = strings.Cut(section, " flags:\n")
	for _, flag := range []string{"--serving-ca-secret", "--apiservice string", "v1alpha1.capstan.dev"} {
		if !strings.Contains(section, flag) {
			t.Errorf("the serving CA section does not mention %s:\n%s", flag, section)
		}
	}
}
