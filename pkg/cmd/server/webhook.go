package server

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/spf13/pflag"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	kubeinformers "k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/cache"
	"k8s.io/klog/v2"

	clientset "capstan.dev/capstan/pkg/generated/clientset/versioned"
	"capstan.dev/capstan/pkg/webhook"
)

// WebhookOptions configure the Git webhook receiver, served on a listener
// of its own so that Git hosts never reach the API.
type WebhookOptions struct {
	// BindAddress and Port are where it listens; port 0 turns it off.
	BindAddress net.IP
	Port        int
	// CertFile and KeyFile serve it over TLS; both empty serves plain HTTP.
	CertFile, KeyFile string
	// AllowUnsigned accepts requests of providers without a configured key.
	AllowUnsigned bool
	// MaxPayloadBytes bounds a request body.
	MaxPayloadBytes int64
	// RatePerSecond and RateBurst limit the requests of each source address.
	RatePerSecond float64
	RateBurst     int
}

// NewWebhookOptions returns the defaults: off.
func NewWebhookOptions() *WebhookOptions {
	return &WebhookOptions{
		BindAddress:     net.IPv4zero,
		MaxPayloadBytes: webhook.DefaultMaxPayloadBytes,
		RatePerSecond:   webhook.DefaultRatePerSecond,
		RateBurst:       webhook.DefaultRateBurst,
	}
}

// AddFlags registers the webhook flags.
func (o *WebhookOptions) AddFlags(fs *pflag.FlagSet) {
	fs.IPVar(&o.BindAddress, "webhook-bind-address", o.BindAddress,
		"Address the Git webhook receiver listens on (with --webhook-port).")
	fs.IntVar(&o.Port, "webhook-port", o.Port,
		"Port of the Git webhook receiver, which answers POST "+webhook.Path+" from GitHub, GitLab, Bitbucket, Bitbucket Server, "+
			"Gogs, Gitea and Azure DevOps with keys from Secret "+webhook.SecretName+" in --repository-namespace. 0 turns it off.")
	fs.StringVar(&o.CertFile, "webhook-tls-cert-file", o.CertFile,
		"Serve the webhook receiver over TLS with this certificate (PEM, with --webhook-tls-private-key-file); read at start-up.")
	fs.StringVar(&o.KeyFile, "webhook-tls-private-key-file", o.KeyFile,
		"Private key of --webhook-tls-cert-file.")
	fs.BoolVar(&o.AllowUnsigned, "webhook-allow-unsigned", o.AllowUnsigned,
		"Accept webhooks of providers that have no key in "+webhook.SecretName+", unverified (they can only cause refreshes). "+
			"Off, they are refused with 401. A provider with a key is always verified.")
	fs.Int64Var(&o.MaxPayloadBytes, "webhook-max-payload-bytes", o.MaxPayloadBytes,
		"Largest webhook body accepted; larger ones get 413.")
	fs.Float64Var(&o.RatePerSecond, "webhook-rate-limit", o.RatePerSecond,
		"Webhook requests per second accepted from one source address (a token bucket of --webhook-rate-burst); more get 429.")
	fs.IntVar(&o.RateBurst, "webhook-rate-burst", o.RateBurst,
		"Webhook requests one source address may send at once.")
}

// Enabled reports whether the receiver is to run.
func (o *WebhookOptions) Enabled() bool { return o.Port != 0 }

// Validate checks the webhook options; standalone servers have no cluster
// to read keys from nor controllers to refresh.
func (o *WebhookOptions) Validate(standalone bool) []error {
	var errs []error
	if o.Port < 0 || o.Port > 65535 {
		errs = append(errs, fmt.Errorf("--webhook-port: %d is not a port (0 turns the receiver off)", o.Port))
	}
	if (o.CertFile == "") != (o.KeyFile == "") {
		errs = append(errs, fmt.Errorf("--webhook-tls-cert-file and --webhook-tls-private-key-file: give both or neither"))
	}
	if o.MaxPayloadBytes <= 0 {
		errs = append(errs, fmt.Errorf("--webhook-max-payload-bytes: must be positive"))
	}
	if o.RatePerSecond <= 0 || o.RateBurst < 1 {
		errs = append(errs, fmt.Errorf("--webhook-rate-limit and --webhook-rate-burst: must be positive"))
	}
	if standalone && o.Enabled() {
		errs = append(errs, fmt.Errorf("--webhook-port: the webhook receiver needs a Kubernetes API server (not --standalone)"))
	}
	return errs
}

// StoredObjects lists what the webhook receiver matches events against.
type StoredObjects struct {
	Applications    webhook.ApplicationLister
	ApplicationSets webhook.ApplicationSetLister
}

// listen opens the receiver's listener, nil when it is off, so that a port
// in use stops the server at start.
func (o *WebhookOptions) listen() (net.Listener, error) {
	if !o.Enabled() {
		return nil, nil
	}
	address := net.JoinHostPort(o.BindAddress.String(), strconv.Itoa(o.Port))
	listener, err := net.Listen("tcp", address)
	if err != nil {
		return nil, fmt.Errorf("--webhook-port: listen on %s: %w", address, err)
	}
	if o.CertFile == "" {
		return listener, nil
	}
	cert, err := tls.LoadX509KeyPair(o.CertFile, o.KeyFile)
	if err != nil {
		_ = listener.Close()
		return nil, fmt.Errorf("--webhook-tls-cert-file: %w", err)
	}
	return tls.NewListener(listener, &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}), nil
}

// serveWebhooks serves the receiver on listener until ctx ends, once the
// keys are in their informer's cache. Applications and ApplicationSets are
// listed from the server's storage when an event arrives (stored): an
// informer of them would decode every write, and their writes are many
// (an ApplicationSet's status lists every Application it generated).
// loopback reaches this server's API, destination the cluster with
// argocd-secret.
func (o *Options) serveWebhooks(ctx context.Context, listener net.Listener, loopback, destination *rest.Config, stored StoredObjects) error {
	if listener == nil {
		return nil
	}
	client, err := clientset.NewForConfig(loopback)
	if err != nil {
		return err
	}
	kube, err := kubernetes.NewForConfig(destination)
	if err != nil {
		return err
	}
	namespace := o.Controllers.RepoNamespace
	secrets := kubeinformers.NewSharedInformerFactoryWithOptions(kube, 0, kubeinformers.WithNamespace(namespace),
		kubeinformers.WithTweakListOptions(func(options *metav1.ListOptions) {
			options.FieldSelector = fields.OneTermEqualSelector("metadata.name", webhook.SecretName).String()
		}))
	secretLister := secrets.Core().V1().Secrets().Lister().Secrets(namespace)
	handler := webhook.NewHandler(webhook.Options{
		Keys: func() (webhook.Keys, error) {
			secret, err := secretLister.Get(webhook.SecretName)
			if apierrors.IsNotFound(err) {
				return webhook.Keys{}, nil
			}
			if err != nil {
				return nil, err
			}
			return secret.Data, nil
		},
		Refresher: webhook.Refreshers{
			&webhook.Applications{Lister: stored.Applications, Client: client},
			&webhook.ApplicationSets{Lister: stored.ApplicationSets, Client: client},
		},
		AllowUnsigned:   o.Webhook.AllowUnsigned,
		MaxPayloadBytes: o.Webhook.MaxPayloadBytes,
		RatePerSecond:   o.Webhook.RatePerSecond,
		RateBurst:       o.Webhook.RateBurst,
	})
	go func() {
		logger := klog.FromContext(ctx)
		secrets.Start(ctx.Done())
		synced := []cache.InformerSynced{secrets.Core().V1().Secrets().Informer().HasSynced}
		if !cache.WaitForNamedCacheSyncWithContext(ctx, synced...) {
			_ = listener.Close()
			return
		}
		go handler.Run(ctx)
		mux := http.NewServeMux()
		mux.Handle(webhook.Path, handler)
		server := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: time.Minute,
			WriteTimeout: time.Minute, MaxHeaderBytes: 64 << 10, BaseContext: func(net.Listener) context.Context { return ctx }}
		go func() {
			<-ctx.Done()
			shutdown, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			defer cancel()
			_ = server.Shutdown(shutdown)
		}()
		logger.Info("Serving Git webhooks", "address", listener.Addr().String(), "path", webhook.Path, "allowUnsigned", o.Webhook.AllowUnsigned)
		if err := server.Serve(listener); err != nil && !errors.Is(err, http.ErrServerClosed) {
			logger.Error(err, "Git webhook receiver stopped")
		}
	}()
	return nil
}
