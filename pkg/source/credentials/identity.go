package credentials

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
)

// Identity names the credential material these credentials present to a
// server: the hex SHA-256 of the username, password, bearer token, SSH
// private key, TLS client certificate and key and GitHub App (ID,
// installation, key, API), or "" for anonymous
// access. Caches of repository content (Git object stores and ref listings,
// Helm indexes, tag lists and chart archives) are keyed by (normalized URL,
// Identity), so that what one set of credentials fetched is never served to
// a caller presenting other credentials, or none. Transport options
// (insecure, depth, CA bundle) are not credentials and do not change it.
// Call it on the credentials actually used, after WithURLUserinfo.
func (c Credentials) Identity() string {
	if !c.HasCredentials() {
		return ""
	}
	sum := sha256.New()
	for _, value := range []string{c.Username, c.Password, c.BearerToken, c.SSHPrivateKey, c.TLSClientCertData, c.TLSClientCertKey,
		c.GitHubAppPrivateKey, fmt.Sprint(c.GitHubAppID), fmt.Sprint(c.GitHubAppInstallationID), c.GitHubAppEnterpriseBaseURL} {
		// Length-prefixed, so that no two field lists hash alike.
		fmt.Fprintf(sum, "%d:%s;", len(value), value)
	}
	return hex.EncodeToString(sum.Sum(nil))
}
