package e2e

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
	certutil "k8s.io/client-go/util/cert"

	"capstan.dev/capstan/pkg/servingca"
)

// The scratch APIService of TestServingCA; Capstan's own v1alpha1.capstan.dev is never touched.
const (
	servingCATestGroup      = "servingca-test.capstan.dev"
	servingCATestAPIService = "v1alpha1." + servingCATestGroup
	servingCATestService    = "servingca-test"
	servingCATestSecret     = "serving-ca"
)

func TestServingCA(t *testing.T) {
	ctx := context.Background()
	ns := createNamespace(t)
	config, err := clientcmd.BuildConfigFromFlags("", cluster.kubeconfig)
	if err != nil {
		t.Fatalf("admin kubeconfig: %v", err)
	}
	kube := kubernetes.NewForConfigOrDie(config)
	apiServices := dynamic.NewForConfigOrDie(config).Resource(servingca.APIServices)

	// The port the APIService names is taken now; it is served only once the
	// certificate exists and the Service is created, at the last step.
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	t.Cleanup(func() { listener.Close() })
	port := listener.Addr().(*net.TCPAddr).Port
	createScratchAPIService(t, ns, port)

	setup := servingca.Config{
		SecretNamespace: ns, SecretName: servingCATestSecret,
		APIService: servingCATestAPIService,
		DNSNames:   []string{servingCATestService + "." + ns + ".svc"},
	}
	servingCert, err := servingca.Setup(ctx, kube.CoreV1(), dynamic.NewForConfigOrDie(config), setup)
	if err != nil {
		t.Fatalf("first start: %v", err)
	}

	secret, err := kube.CoreV1().Secrets(ns).Get(ctx, servingCATestSecret, metav1.GetOptions{})
	if err != nil {
		t.Fatalf("the first start created no Secret: %v", err)
	}
	caPEM := secret.Data[servingca.CertificateKey]
	apiService, err := apiServices.Get(ctx, servingCATestAPIService, metav1.GetOptions{})
	if err != nil {
		t.Fatalf("get APIService: %v", err)
	}

	t.Run("the first start publishes the Secret's CA as the caBundle and verifies", func(t *testing.T) {
		caBundle, insecure := apiServiceTrust(t, apiService)
		if !bytes.Equal(caBundle, caPEM) {
			t.Errorf("the caBundle is not the Secret's %s", servingca.CertificateKey)
		}
		if insecure {
			t.Errorf("insecureSkipTLSVerify is still true")
		}
	})
	t.Run("the serving certificate verifies against the Secret's CA for the Service's name", func(t *testing.T) {
		verifyServedCert(t, servingCert, caPEM, setup.DNSNames[0])
	})

	t.Run("a second start keeps the CA and writes nothing", func(t *testing.T) {
		again, err := servingca.Setup(ctx, kube.CoreV1(), dynamic.NewForConfigOrDie(config), setup)
		if err != nil {
			t.Fatalf("second start: %v", err)
		}
		secretAfter, err := kube.CoreV1().Secrets(ns).Get(ctx, servingCATestSecret, metav1.GetOptions{})
		if err != nil {
			t.Fatalf("get Secret: %v", err)
		}
		apiServiceAfter, err := apiServices.Get(ctx, servingCATestAPIService, metav1.GetOptions{})
		if err != nil {
			t.Fatalf("get APIService: %v", err)
		}
		if got, want := secretAfter.ResourceVersion, secret.ResourceVersion; got != want {
			t.Errorf("the Secret was written: resourceVersion %s, was %s", got, want)
		}
		if got, want := apiServiceAfter.GetResourceVersion(), apiService.GetResourceVersion(); got != want {
			t.Errorf("the APIService was written: resourceVersion %s, was %s", got, want)
		}
		verifyServedCert(t, again, caPEM, setup.DNSNames[0])
	})

	t.Run("capstan-apiserver started with --serving-ca-secret serves a certificate of the stored CA and writes nothing", func(t *testing.T) {
		requireCapstanAPIServer(t)
		address := startServingCAAPIServer(t, ns, setup.DNSNames[0])
		roots, err := certutil.NewPoolFromBytes(caPEM)
		if err != nil {
			t.Fatalf("the Secret's CA: %v", err)
		}
		eventually(t, time.Minute, "capstan-apiserver to serve on "+address+" with a certificate of the stored CA", func() (bool, error) {
			conn, err := tls.Dial("tcp", address, &tls.Config{RootCAs: roots, ServerName: setup.DNSNames[0]})
			if err != nil {
				return false, err
			}
			conn.Close()
			return true, nil
		})
		secretAfter, err := kube.CoreV1().Secrets(ns).Get(ctx, servingCATestSecret, metav1.GetOptions{})
		if err != nil {
			t.Fatalf("get Secret: %v", err)
		}
		apiServiceAfter, err := apiServices.Get(ctx, servingCATestAPIService, metav1.GetOptions{})
		if err != nil {
			t.Fatalf("get APIService: %v", err)
		}
		if secretAfter.ResourceVersion != secret.ResourceVersion || apiServiceAfter.GetResourceVersion() != apiService.GetResourceVersion() {
			t.Errorf("capstan-apiserver wrote the Secret or the APIService although both were current")
		}
	})

	t.Run("kube-apiserver's aggregator trusts the served certificate", func(t *testing.T) {
		serveDiscovery(t, listener, servingCert)
		kubectlWithInput(t, fmt.Sprintf(`apiVersion: v1
kind: Service
metadata:
  name: %s
  namespace: %s
spec:
  type: ExternalName
  externalName: localhost
  ports:
  - name: https
    port: %d
`, servingCATestService, ns, port), "apply", "-f", "-")
		eventually(t, time.Minute, "APIService "+servingCATestAPIService+" to be Available", func() (bool, error) {
			out, err := tryKubectl("get", "apiservice", servingCATestAPIService,
				"-o", `jsonpath={.status.conditions[?(@.type=="Available")].status} {.status.conditions[?(@.type=="Available")].message}`)
			return err == nil && len(out) >= 4 && out[:4] == "True", fmt.Errorf("available: %q, %v", out, err)
		})
	})
}

// createScratchAPIService registers servingCATestAPIService as the install
// did before the serving CA: skipping verification, for a Service in ns that
// does not exist yet. It waits until the aggregator has recorded that, so
// that status writes do not count as writes of the start-up, and deletes the
// APIService when the test ends.
func createScratchAPIService(t *testing.T, ns string, port int) {
	t.Helper()
	kubectlWithInput(t, fmt.Sprintf(`apiVersion: apiregistration.k8s.io/v1
kind: APIService
metadata:
  name: %s
spec:
  group: %s
  version: v1alpha1
  groupPriorityMinimum: 10
  versionPriority: 10
  insecureSkipTLSVerify: true
  service:
    name: %s
    namespace: %s
    port: %d
`, servingCATestAPIService, servingCATestGroup, servingCATestService, ns, port), "apply", "-f", "-")
	t.Cleanup(func() {
		// An APIService without a server behind it blocks namespace deletion.
		if _, err := tryKubectl("delete", "apiservice", servingCATestAPIService, "--ignore-not-found"); err != nil {
			t.Logf("cleanup: %v", err)
		}
	})
	eventually(t, time.Minute, "the aggregator to find no Service for "+servingCATestAPIService, func() (bool, error) {
		out, err := tryKubectl("get", "apiservice", servingCATestAPIService,
			"-o", `jsonpath={.status.conditions[?(@.type=="Available")].reason}`)
		return err == nil && out == "ServiceNotFound", fmt.Errorf("reason %q, %v", out, err)
	})
}

// apiServiceTrust reads an APIService's caBundle and insecureSkipTLSVerify.
func apiServiceTrust(t *testing.T, apiService *unstructured.Unstructured) ([]byte, bool) {
	t.Helper()
	encoded, _, err := unstructured.NestedString(apiService.Object, "spec", "caBundle")
	if err != nil {
		t.Fatalf("spec.caBundle: %v", err)
	}
	caBundle, err := base64.StdEncoding.DecodeString(encoded)
	if err != nil {
		t.Fatalf("spec.caBundle: %v", err)
	}
	insecure, _, err := unstructured.NestedBool(apiService.Object, "spec", "insecureSkipTLSVerify")
	if err != nil {
		t.Fatalf("spec.insecureSkipTLSVerify: %v", err)
	}
	return caBundle, insecure
}

// verifyServedCert checks that the serving certificate is issued by caPEM for name.
func verifyServedCert(t *testing.T, servingCert *servingca.ServingCert, caPEM []byte, name string) {
	t.Helper()
	certPEM, _ := servingCert.CurrentCertKeyContent()
	certs, err := certutil.ParseCertsPEM(certPEM)
	if err != nil || len(certs) != 1 {
		t.Fatalf("the serving certificate is not one PEM certificate (%d): %v", len(certs), err)
	}
	roots, err := certutil.NewPoolFromBytes(caPEM)
	if err != nil {
		t.Fatalf("the Secret's CA: %v", err)
	}
	if _, err := certs[0].Verify(x509.VerifyOptions{DNSName: name, Roots: roots,
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}); err != nil {
		t.Errorf("the serving certificate does not verify for %s against the Secret's CA: %v", name, err)
	}
}

// serveDiscovery serves, on listener, the discovery document of the scratch
// group with the serving certificate: what the aggregator asks for to decide
// that the APIService is available.
func serveDiscovery(t *testing.T, listener net.Listener, servingCert *servingca.ServingCert) {
	t.Helper()
	discovery := `{"kind":"APIResourceList","apiVersion":"v1","groupVersion":"` + servingCATestGroup + `/v1alpha1","resources":[]}`
	mux := http.NewServeMux()
	mux.HandleFunc("/apis/"+servingCATestGroup+"/v1alpha1", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Length", strconv.Itoa(len(discovery)))
		_, _ = w.Write([]byte(discovery))
	})
	server := &http.Server{
		Handler: mux,
		TLSConfig: &tls.Config{GetCertificate: func(*tls.ClientHelloInfo) (*tls.Certificate, error) {
			certPEM, keyPEM := servingCert.CurrentCertKeyContent()
			pair, err := tls.X509KeyPair(certPEM, keyPEM)
			return &pair, err
		}},
		ReadHeaderTimeout: 10 * time.Second,
	}
	go func() { _ = server.ServeTLS(listener, "", "") }()
	t.Cleanup(func() { server.Close() })
}

// startServingCAAPIServer starts capstan-apiserver, without controllers, on a
// free loopback port with its serving CA in ns/servingCATestSecret, publishing
// it in the scratch APIService, and returns the address it serves on. The
// process is stopped when the test ends; its log is shown if the test fails.
func startServingCAAPIServer(t *testing.T, ns, dnsName string) string {
	t.Helper()
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("find a free port: %v", err)
	}
	address := listener.Addr().String()
	port := strconv.Itoa(listener.Addr().(*net.TCPAddr).Port)
	listener.Close()

	logPath := filepath.Join(t.TempDir(), "capstan-apiserver.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		t.Fatalf("create the log: %v", err)
	}
	defer logFile.Close()
	cmd := exec.Command(filepath.Join(cluster.binDir, "capstan-apiserver"),
		"--bind-address=127.0.0.1", "--secure-port="+port,
		"--kubeconfig="+cluster.kubeconfig,
		"--authentication-kubeconfig="+cluster.kubeconfig,
		"--authorization-kubeconfig="+cluster.kubeconfig,
		"--data-dir="+t.TempDir(), "--embedded-etcd-port=0", "--cache-dir="+t.TempDir(),
		"--controllers=false",
		"--serving-ca-secret="+ns+"/"+servingCATestSecret,
		"--apiservice="+servingCATestAPIService,
		"--alternate-dns="+dnsName,
	)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		t.Fatalf("start capstan-apiserver: %v", err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		if t.Failed() {
			if data, err := os.ReadFile(logPath); err == nil {
				t.Logf("capstan-apiserver's log:\n%s", data)
			}
		}
	})
	return address
}
