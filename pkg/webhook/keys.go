package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"strings"
)

// SecretName is the Secret, in the repository namespace, that holds the
// webhook keys under Argo CD's names.
const SecretName = "argocd-secret"

// The keys of SecretName, as Argo CD names them.
const (
	keyGitHub             = "webhook.github.secret"
	keyGitLab             = "webhook.gitlab.secret"
	keyBitbucketUUID      = "webhook.bitbucket.uuid"
	keyBitbucketServer    = "webhook.bitbucketserver.secret"
	keyGogs               = "webhook.gogs.secret"
	keyAzureDevOpsUser    = "webhook.azuredevops.username"
	keyAzureDevOpsPasswd  = "webhook.azuredevops.password"
	signaturePrefixSHA256 = "sha256="
)

// Keys are the webhook keys of SecretName's data. A provider whose key is
// empty is not configured.
type Keys map[string][]byte

// KeySource returns the current keys; it is called for every request, so
// that a changed Secret applies at once.
type KeySource func() (Keys, error)

// configured reports whether any of the named keys is set.
func (k Keys) configured(names ...string) bool {
	for _, name := range names {
		if len(k[name]) > 0 {
			return true
		}
	}
	return false
}

// validHMAC reports whether signature, the lower-case hex of the
// HMAC-SHA256 of body under key, is right, in constant time.
func validHMAC(key, body []byte, signature string) bool {
	got, err := hex.DecodeString(strings.TrimSpace(signature))
	if err != nil {
		return false
	}
	mac := hmac.New(sha256.New, key)
	mac.Write(body)
	return hmac.Equal(got, mac.Sum(nil))
}

// equalSecret compares a presented secret with the configured one in
// constant time.
func equalSecret(presented string, configured []byte) bool {
	return subtle.ConstantTimeCompare([]byte(presented), configured) == 1
}
