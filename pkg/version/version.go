// Package version holds Capstan's own version, set when the binary is linked
// (`make image` passes -X capstan.dev/capstan/pkg/version.Version=...). The
// Kubernetes version the server reports at /version is the library's.
package version

// Version is the version of this build; "dev" when none was given.
var Version = "dev"
