package cluster

import (
	"context"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/fake"
	corev1listers "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/rest"

	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
)

const (
	testNamespace = "argocd"
	// testCredential is put in Secrets whose errors must not repeat it.
	testCredential = "s3cr3t-value"
)

func clusterSecret(name, resourceVersion string, data map[string]string) *corev1.Secret {
	secret := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{
			Name:            name,
			Namespace:       testNamespace,
			ResourceVersion: resourceVersion,
			Labels:          map[string]string{secretTypeLabel: secretTypeCluster},
		},
		Data: map[string][]byte{},
	}
	for key, value := range data {
		secret.Data[key] = []byte(value)
	}
	return secret
}

func b64(value string) string { return base64.StdEncoding.EncodeToString([]byte(value)) }

func TestFromSecret(t *testing.T) {
	tests := []struct {
		name    string
		data    map[string]string
		check   func(t *testing.T, cluster *SecretCluster)
		wantErr []string
		wantIs  error
	}{
		{
			name: "a bearer token becomes the client's token",
			data: map[string]string{"name": "prod", "server": "https://prod.example.com:6443/",
				"config": `{"bearerToken":"` + testCredential + `"}`},
			check: func(t *testing.T, cluster *SecretCluster) {
				if cluster.Name != "prod" || cluster.Server != "https://prod.example.com:6443" {
					t.Errorf("name, server = %q, %q", cluster.Name, cluster.Server)
				}
				if cluster.Config.Host != "https://prod.example.com:6443" || cluster.Config.BearerToken != testCredential {
					t.Errorf("host, token = %q, %q", cluster.Config.Host, cluster.Config.BearerToken)
				}
			},
		},
		{
			name: "basic auth sets username and password",
			data: map[string]string{"name": "dev", "server": "https://dev.example.com",
				"config": `{"username":"admin","password":"` + testCredential + `"}`},
			check: func(t *testing.T, cluster *SecretCluster) {
				if cluster.Config.Username != "admin" || cluster.Config.Password != testCredential {
					t.Errorf("username, password = %q, %q", cluster.Config.Username, cluster.Config.Password)
				}
			},
		},
		{
			name: "TLS data are decoded from base64",
			data: map[string]string{"name": "tls", "server": "https://tls.example.com",
				"config": `{"tlsClientConfig":{"caData":"` + b64("CA") + `","certData":"` + b64("CERT") +
					`","keyData":"` + b64("KEY") + `","serverName":"api.internal"},"proxyUrl":"http://proxy:3128","disableCompression":true}`},
			check: func(t *testing.T, cluster *SecretCluster) {
				tls := cluster.Config.TLSClientConfig
				if string(tls.CAData) != "CA" || string(tls.CertData) != "CERT" || string(tls.KeyData) != "KEY" {
					t.Errorf("TLS data = %q, %q, %q", tls.CAData, tls.CertData, tls.KeyData)
				}
				if tls.ServerName != "api.internal" || tls.Insecure {
					t.Errorf("serverName, insecure = %q, %v", tls.ServerName, tls.Insecure)
				}
				if cluster.Config.Proxy == nil || !cluster.Config.DisableCompression {
					t.Errorf("proxy set = %v, disableCompression = %v", cluster.Config.Proxy != nil, cluster.Config.DisableCompression)
				}
			},
		},
		{
			name: "insecure skips verification and drops the CA client-go would refuse with it",
			data: map[string]string{"name": "lab", "server": "https://lab.example.com",
				"config": `{"tlsClientConfig":{"insecure":true,"caData":"` + b64("CA") + `"}}`},
			check: func(t *testing.T, cluster *SecretCluster) {
				if !cluster.Config.Insecure || cluster.Config.CAData != nil {
					t.Errorf("insecure, CA = %v, %q", cluster.Config.Insecure, cluster.Config.CAData)
				}
			},
		},
		{
			name: "namespaces and clusterResources are read",
			data: map[string]string{"name": "team", "server": "https://team.example.com", "config": `{}`,
				"namespaces": "team-a, team-b,,", "clusterResources": "true", "project": "team"},
			check: func(t *testing.T, cluster *SecretCluster) {
				if strings.Join(cluster.Namespaces, "|") != "team-a|team-b" || !cluster.ClusterResources || cluster.Project != "team" {
					t.Errorf("namespaces, clusterResources, project = %q, %v, %q", cluster.Namespaces, cluster.ClusterResources, cluster.Project)
				}
			},
		},
		{
			name: "a config that is not JSON names the Secret without quoting it",
			data: map[string]string{"name": "bad", "server": "https://bad.example.com",
				"config": `{"bearerToken":` + testCredential + `}`},
			wantErr: []string{"argocd/secret", "config is not valid JSON"},
		},
		{
			name: "a field of the wrong type names the Secret and the field",
			data: map[string]string{"name": "bad", "server": "https://bad.example.com",
				"config": `{"tlsClientConfig":{"insecure":"` + testCredential + `"}}`},
			wantErr: []string{"argocd/secret", "config.tlsClientConfig.insecure"},
		},
		{
			name: "TLS data that are not base64 name the field",
			data: map[string]string{"name": "bad", "server": "https://bad.example.com",
				"config": `{"tlsClientConfig":{"keyData":"` + testCredential + `!"}}`},
			wantErr: []string{"argocd/secret", "config.tlsClientConfig.keyData"},
		},
		{
			name: "an exec provider is refused",
			data: map[string]string{"name": "eks", "server": "https://eks.example.com",
				"config": `{"execProviderConfig":{"command":"argocd-k8s-auth","args":["` + testCredential + `"]}}`},
			wantErr: []string{"argocd/secret", "config.execProviderConfig", "not supported"},
			wantIs:  ErrUnsupportedProvider,
		},
		{
			name: "an AWS IAM provider is refused",
			data: map[string]string{"name": "eks", "server": "https://eks.example.com",
				"config": `{"awsAuthConfig":{"clusterName":"prod"}}`},
			wantErr: []string{"config.awsAuthConfig", "not supported"},
			wantIs:  ErrUnsupportedProvider,
		},
		{
			name:    "a proxy URL that does not parse is not quoted",
			data:    map[string]string{"name": "p", "server": "https://p.example.com", "config": `{"proxyUrl":"http://user:` + testCredential + `@%zz"}`},
			wantErr: []string{"config.proxyUrl"},
		},
		{
			name:    "a Secret without server is refused",
			data:    map[string]string{"name": "nowhere", "config": `{}`},
			wantErr: []string{"argocd/secret", "has no server"},
		},
		{
			name:    "a Secret without name is refused",
			data:    map[string]string{"server": "https://anonymous.example.com", "config": `{}`},
			wantErr: []string{"argocd/secret", "has no name"},
		},
		{
			name:    "clusterResources must be a boolean",
			data:    map[string]string{"name": "x", "server": "https://x.example.com", "clusterResources": "maybe"},
			wantErr: []string{"argocd/secret", "clusterResources"},
		},
	}
	for _, test := range tests {
		t.Run(test.name, func(t *testing.T) {
			cluster, err := FromSecret(clusterSecret("secret", "1", test.data))
			if len(test.wantErr) == 0 {
				if err != nil {
					t.Fatalf("FromSecret: %v", err)
				}
				test.check(t, cluster)
				return
			}
			if err == nil {
				t.Fatalf("FromSecret succeeded, want an error containing %q", test.wantErr)
			}
			for _, want := range test.wantErr {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not contain %q", err, want)
				}
			}
			if strings.Contains(err.Error(), testCredential) {
				t.Errorf("error %q repeats a credential", err)
			}
			if test.wantIs != nil && !errors.Is(err, test.wantIs) {
				t.Errorf("error %q is not %v", err, test.wantIs)
			}
		})
	}
}

// newSecretLister serves the Secrets through an informer over a fake
// clientset, as the server's informer serves them.
func newSecretLister(t *testing.T, secrets ...*corev1.Secret) (kubernetes.Interface, corev1listers.SecretNamespaceLister) {
	t.Helper()
	client := fake.NewClientset()
	for _, secret := range secrets {
		if _, err := client.CoreV1().Secrets(testNamespace).Create(t.Context(), secret, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	factory := informers.NewSharedInformerFactoryWithOptions(client, 0, informers.WithNamespace(testNamespace))
	lister := factory.Core().V1().Secrets().Lister().Secrets(testNamespace)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(func() {
		cancel()
		factory.Shutdown()
	})
	factory.Start(ctx.Done())
	for informer, synced := range factory.WaitForCacheSync(ctx.Done()) {
		if !synced {
			t.Fatalf("informer %v did not sync", informer)
		}
	}
	return client, lister
}

func newTestClusters(t *testing.T, lister corev1listers.SecretNamespaceLister) *Clusters {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	// Building a cluster does not contact it, so no server needs to listen.
	clusters, err := NewClusters(ctx, &rest.Config{Host: "https://127.0.0.1:1"}, lister)
	if err != nil {
		t.Fatalf("NewClusters: %v", err)
	}
	return clusters
}

func TestClustersResolveDestinations(t *testing.T) {
	_, lister := newSecretLister(t,
		clusterSecret("prod", "1", map[string]string{"name": "prod", "server": "https://prod.example.com/",
			"config": `{"bearerToken":"token"}`, "namespaces": "shop"}),
		clusterSecret("renamed-in-cluster", "1", map[string]string{"name": "local", "server": InClusterServer}),
		clusterSecret("broken", "1", map[string]string{"name": "broken", "server": "https://broken.example.com",
			"config": `{"execProviderConfig":{"command":"x"}}`}),
		clusterSecret("twin-a", "1", map[string]string{"name": "twin", "server": "https://a.example.com"}),
		clusterSecret("twin-b", "1", map[string]string{"name": "twin", "server": "https://b.example.com"}),
		&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "repo", Namespace: testNamespace,
			Labels: map[string]string{secretTypeLabel: "repository"}},
			Data: map[string][]byte{"name": []byte("repo"), "server": []byte("https://repo.example.com")}},
	)
	clusters := newTestClusters(t, lister)
	tests := []struct {
		name        string
		destination v1alpha1.ApplicationDestination
		wantServer  string
		wantName    string
		wantErr     []string
		wantUnknown bool
	}{
		{name: "the in-cluster server resolves as before",
			destination: v1alpha1.ApplicationDestination{Server: InClusterServer}, wantServer: InClusterServer, wantName: InClusterName},
		{name: "the in-cluster name resolves as before",
			destination: v1alpha1.ApplicationDestination{Name: InClusterName}, wantServer: InClusterServer, wantName: InClusterName},
		{name: "a Secret's server resolves to its cluster",
			destination: v1alpha1.ApplicationDestination{Server: "https://prod.example.com"}, wantServer: "https://prod.example.com", wantName: "prod"},
		{name: "a server with a trailing slash resolves too",
			destination: v1alpha1.ApplicationDestination{Server: "https://prod.example.com/"}, wantServer: "https://prod.example.com", wantName: "prod"},
		{name: "a Secret's name resolves to its cluster",
			destination: v1alpha1.ApplicationDestination{Name: "prod"}, wantServer: "https://prod.example.com", wantName: "prod"},
		{name: "a Secret naming the in-cluster server gives it another name",
			destination: v1alpha1.ApplicationDestination{Name: "local"}, wantServer: InClusterServer, wantName: InClusterName},
		{name: "an unknown server is an unknown destination naming the server",
			destination: v1alpha1.ApplicationDestination{Server: "https://nowhere.example.com"},
			wantErr:     []string{`server "https://nowhere.example.com"`}, wantUnknown: true},
		{name: "an unknown name is an unknown destination naming it",
			destination: v1alpha1.ApplicationDestination{Name: "nowhere"}, wantErr: []string{`name "nowhere"`}, wantUnknown: true},
		{name: "a Secret of another type is not a cluster",
			destination: v1alpha1.ApplicationDestination{Name: "repo"}, wantErr: []string{`name "repo"`}, wantUnknown: true},
		{name: "an empty destination is an unknown destination",
			destination: v1alpha1.ApplicationDestination{}, wantErr: []string{"neither server nor name"}, wantUnknown: true},
		{name: "a Secret with an exec provider fails with its reason",
			destination: v1alpha1.ApplicationDestination{Name: "broken"}, wantErr: []string{"argocd/broken", "not supported"}},
		{name: "a name two Secrets share is ambiguous",
			destination: v1alpha1.ApplicationDestination{Name: "twin"}, wantErr: []string{"argocd/twin-a, argocd/twin-b"}},
	}
	for _, test := range tests {
		t.Run(test.name, func(t *testing.T) {
			cluster, err := clusters.For(test.destination)
			if len(test.wantErr) > 0 {
				if err == nil {
					t.Fatalf("For(%+v) = %s, want an error", test.destination, cluster.Server)
				}
				for _, want := range test.wantErr {
					if !strings.Contains(err.Error(), want) {
						t.Errorf("error %q does not contain %q", err, want)
					}
				}
				if got := errors.Is(err, ErrUnknownDestination); got != test.wantUnknown {
					t.Errorf("errors.Is(%q, ErrUnknownDestination) = %v, want %v", err, got, test.wantUnknown)
				}
				return
			}
			if err != nil {
				t.Fatalf("For(%+v): %v", test.destination, err)
			}
			if cluster.Server != test.wantServer || cluster.Name != test.wantName {
				t.Errorf("For(%+v) = %s (%s), want %s (%s)", test.destination, cluster.Server, cluster.Name, test.wantServer, test.wantName)
			}
		})
	}

	byServer, err := clusters.For(v1alpha1.ApplicationDestination{Server: "https://prod.example.com"})
	if err != nil {
		t.Fatal(err)
	}
	byName, err := clusters.For(v1alpha1.ApplicationDestination{Name: "prod"})
	if err != nil {
		t.Fatal(err)
	}
	if byServer != byName {
		t.Error("the cluster of a Secret was built twice for the same resourceVersion")
	}
	if strings.Join(byServer.Namespaces, ",") != "shop" {
		t.Errorf("namespaces = %q, want shop", byServer.Namespaces)
	}
	if all := clusters.All(); len(all) != 2 || all[0].Server != InClusterServer || all[1] != byServer {
		t.Errorf("All() has %d clusters, want in-cluster then prod", len(all))
	}
}

func TestClustersRebuildWhenTheSecretChanges(t *testing.T) {
	ctx := t.Context()
	client, lister := newSecretLister(t, clusterSecret("staging", "1",
		map[string]string{"name": "staging", "server": "https://staging.example.com", "config": `{"bearerToken":"old"}`}))
	clusters := newTestClusters(t, lister)
	first, err := clusters.For(v1alpha1.ApplicationDestination{Server: "https://staging.example.com"})
	if err != nil {
		t.Fatal(err)
	}

	updated := clusterSecret("staging", "2",
		map[string]string{"name": "staging-eu", "server": "https://staging.example.com", "config": `{"bearerToken":"new"}`})
	if _, err := client.CoreV1().Secrets(testNamespace).Update(ctx, updated, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	waitForSecret(t, lister, "staging", func(secret *corev1.Secret) bool { return secret != nil && secret.ResourceVersion == "2" })

	second, err := clusters.For(v1alpha1.ApplicationDestination{Name: "staging-eu"})
	if err != nil {
		t.Fatal(err)
	}
	if second == first || second.Name != "staging-eu" {
		t.Errorf("after the Secret changed, For returned the old cluster (name %q)", second.Name)
	}
	if _, err := clusters.For(v1alpha1.ApplicationDestination{Name: "staging"}); !errors.Is(err, ErrUnknownDestination) {
		t.Errorf("the old name still resolves: %v", err)
	}

	if err := client.CoreV1().Secrets(testNamespace).Delete(ctx, "staging", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	waitForSecret(t, lister, "staging", func(secret *corev1.Secret) bool { return secret == nil })
	if _, err := clusters.For(v1alpha1.ApplicationDestination{Server: "https://staging.example.com"}); !errors.Is(err, ErrUnknownDestination) {
		t.Errorf("the deleted Secret's server still resolves: %v", err)
	}
	if all := clusters.All(); len(all) != 1 {
		t.Errorf("All() has %d clusters after the Secret was deleted, want only in-cluster", len(all))
	}
}

// waitForSecret waits until the lister's view of a Secret (nil when absent) satisfies done.
func waitForSecret(t *testing.T, lister corev1listers.SecretNamespaceLister, name string, done func(*corev1.Secret) bool) {
	t.Helper()
	err := wait.PollUntilContextTimeout(t.Context(), 10*time.Millisecond, 10*time.Second, true, func(context.Context) (bool, error) {
		secret, err := lister.Get(name)
		if err != nil {
			secret = nil
		}
		return done(secret), nil
	})
	if err != nil {
		t.Fatalf("Secret %s did not reach the expected state: %v", name, err)
	}
}

func TestATokenSecretReadsBackAsItsCluster(t *testing.T) {
	secret, err := NewTokenSecret("capstan-system", "cluster-prod", "prod", "https://prod.example.com:6443", "t0ken", []byte("CA PEM"), false, "team-a")
	if err != nil {
		t.Fatal(err)
	}
	// FromSecret reads stored Secrets: stringData as the API server stores it.
	secret.Data = map[string][]byte{}
	for key, value := range secret.StringData {
		secret.Data[key] = []byte(value)
	}
	secret.StringData = nil
	got, err := FromSecret(secret)
	if err != nil {
		t.Fatal(err)
	}
	if got.Name != "prod" || got.Server != "https://prod.example.com:6443" || got.Project != "team-a" ||
		got.Config.BearerToken != "t0ken" || string(got.Config.CAData) != "CA PEM" || got.Config.Insecure {
		t.Errorf("read back %+v with config %+v", got, got.Config)
	}
	if secret.Labels["argocd.argoproj.io/secret-type"] != "cluster" {
		t.Errorf("labels %v", secret.Labels)
	}
}
