package servingca

import (
	"bytes"
	"context"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes/fake"
	clienttesting "k8s.io/client-go/testing"
)

const (
	testNamespace  = "capstan-system"
	testSecretName = "capstan-apiserver-serving-ca"
)

// writes are the create, update and patch requests a fake client received.
func writes(client *fake.Clientset) []clienttesting.Action {
	var found []clienttesting.Action
	for _, action := range client.Actions() {
		switch action.GetVerb() {
		case "create", "update", "patch":
			found = append(found, action)
		}
	}
	return found
}

// storedSecret returns the Secret the fake client holds.
func storedSecret(t *testing.T, client *fake.Clientset) *corev1.Secret {
	t.Helper()
	secret, err := client.CoreV1().Secrets(testNamespace).Get(context.Background(), testSecretName, metav1.GetOptions{})
	if err != nil {
		t.Fatalf("get the Secret: %v", err)
	}
	return secret
}

func TestLoadOrCreateAuthority(t *testing.T) {
	ctx := context.Background()

	t.Run("a first start creates the Secret with the authority", func(t *testing.T) {
		client := fake.NewClientset()
		authority, created, err := LoadOrCreateAuthority(ctx, client.CoreV1(), testNamespace, testSecretName)
		if err != nil || !created {
			t.Fatalf("load or create = created %v, %v; want created", created, err)
		}
		secret := storedSecret(t, client)
		if secret.Type != SecretType {
			t.Errorf("Secret type %q, want %q", secret.Type, SecretType)
		}
		if !bytes.Equal(secret.Data[CertificateKey], authority.CertificatePEM) {
			t.Errorf("the Secret's %s is not the authority's certificate", CertificateKey)
		}
		if _, err := ParseAuthority(secret.Data[CertificateKey], secret.Data[PrivateKeyKey], authority.Certificate.NotBefore); err != nil {
			t.Errorf("the stored authority does not read back: %v", err)
		}
	})

	t.Run("a second start reuses the stored authority and writes nothing", func(t *testing.T) {
		client := fake.NewClientset()
		first, _, err := LoadOrCreateAuthority(ctx, client.CoreV1(), testNamespace, testSecretName)
		if err != nil {
			t.Fatalf("first start: %v", err)
		}
		client.ClearActions()
		second, created, err := LoadOrCreateAuthority(ctx, client.CoreV1(), testNamespace, testSecretName)
		if err != nil || created {
			t.Fatalf("second start = created %v, %v; want the stored authority", created, err)
		}
		if !second.Certificate.Equal(first.Certificate) {
			t.Errorf("the second start has another authority")
		}
		if w := writes(client); len(w) != 0 {
			t.Errorf("the second start wrote: %v", w)
		}
	})

	t.Run("a malformed Secret is an error naming it and is left as it is", func(t *testing.T) {
		malformed := &corev1.Secret{
			ObjectMeta: metav1.ObjectMeta{Name: testSecretName, Namespace: testNamespace},
			Data:       map[string][]byte{CertificateKey: []byte("garbage"), PrivateKeyKey: []byte("more garbage")},
		}
		client := fake.NewClientset(malformed)
		_, _, err := LoadOrCreateAuthority(ctx, client.CoreV1(), testNamespace, testSecretName)
		if err == nil {
			t.Fatalf("a malformed Secret was accepted")
		}
		for _, want := range []string{testNamespace + "/" + testSecretName, CertificateKey, "delete it"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("error %q does not name %q", err, want)
			}
		}
		if strings.Contains(err.Error(), "garbage") {
			t.Errorf("error %q repeats the Secret's content", err)
		}
		if w := writes(client); len(w) != 0 {
			t.Errorf("the malformed Secret was written to: %v", w)
		}
		if got := storedSecret(t, client); string(got.Data[CertificateKey]) != "garbage" {
			t.Errorf("the malformed Secret changed")
		}
	})

	t.Run("when another replica creates the Secret first, its authority is used", func(t *testing.T) {
		client := fake.NewClientset()
		winner := newTestAuthority(t)
		client.PrependReactor("create", "secrets", func(action clienttesting.Action) (bool, runtime.Object, error) {
			// The other replica's create lands between this one's read and create.
			if err := client.Tracker().Add(winner.secret(testNamespace, testSecretName)); err != nil {
				t.Fatalf("add the other replica's Secret: %v", err)
			}
			return true, nil, apierrors.NewAlreadyExists(corev1.Resource("secrets"), testSecretName)
		})
		authority, created, err := LoadOrCreateAuthority(ctx, client.CoreV1(), testNamespace, testSecretName)
		if err != nil || created {
			t.Fatalf("load or create = created %v, %v; want the other replica's authority", created, err)
		}
		if !authority.Certificate.Equal(winner.Certificate) {
			t.Errorf("the authority is not the one the other replica stored")
		}
	})

	t.Run("a read that fails otherwise than not found creates nothing", func(t *testing.T) {
		client := fake.NewClientset()
		client.PrependReactor("get", "secrets", func(clienttesting.Action) (bool, runtime.Object, error) {
			return true, nil, apierrors.NewForbidden(corev1.Resource("secrets"), testSecretName, nil)
		})
		_, _, err := LoadOrCreateAuthority(ctx, client.CoreV1(), testNamespace, testSecretName)
		if !apierrors.IsForbidden(err) || !strings.Contains(err.Error(), testNamespace+"/"+testSecretName) {
			t.Errorf("want a forbidden error naming the Secret, got %v", err)
		}
		if w := writes(client); len(w) != 0 {
			t.Errorf("wrote after a failed read: %v", w)
		}
	})
}
