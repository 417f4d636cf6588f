package v1alpha1

// PullRequestGenerator yields one parameter set per open pull request of a
// repository. Exactly one provider is set.
type PullRequestGenerator struct {
	// Github reads pull requests of a GitHub repository.
	// +optional
	Github *PullRequestGeneratorGithub `json:"github,omitempty"`
	// Gitlab reads merge requests of a GitLab project.
	// +optional
	Gitlab *PullRequestGeneratorGitLab `json:"gitlab,omitempty"`
	// Gitea reads pull requests of a Gitea repository.
	// +optional
	Gitea *PullRequestGeneratorGitea `json:"gitea,omitempty"`
	// BitbucketServer reads pull requests of a Bitbucket Server repository.
	// +optional
	BitbucketServer *PullRequestGeneratorBitbucketServer `json:"bitbucketServer,omitempty"`
	// Filters keep a pull request when any filter matches; the checks within one filter are ANDed.
	// +optional
	// +listType=atomic
	Filters []PullRequestGeneratorFilter `json:"filters,omitempty"`
	// RequeueAfterSeconds is how often pull requests are listed again (default 1800).
	// +optional
	RequeueAfterSeconds *int64 `json:"requeueAfterSeconds,omitempty"`
	// Template overrides fields of the ApplicationSet template for this generator.
	// +optional
	Template ApplicationSetTemplate `json:"template,omitempty"`
	// Bitbucket reads pull requests of a Bitbucket Cloud repository.
	// +optional
	Bitbucket *PullRequestGeneratorBitbucket `json:"bitbucket,omitempty"`
	// AzureDevOps reads pull requests of an Azure DevOps repository.
	// +optional
	AzureDevOps *PullRequestGeneratorAzureDevOps `json:"azuredevops,omitempty"`
	// Values are added to every parameter set as values.<key>.
	// +optional
	Values map[string]string `json:"values,omitempty"`
	// ContinueOnRepoNotFoundError yields no parameter sets, instead of failing,
	// when the repository does not exist.
	// +optional
	ContinueOnRepoNotFoundError bool `json:"continueOnRepoNotFoundError,omitempty"`
}

// PullRequestGeneratorGitea configures pull requests from Gitea.
type PullRequestGeneratorGitea struct {
	// Owner is the organization or user owning the repository.
	Owner string `json:"owner"`
	// Repo is the repository name.
	Repo string `json:"repo"`
	// API is the Gitea base URL.
	API string `json:"api"`
	// TokenRef holds the access token.
	// +optional
	TokenRef *SecretRef `json:"tokenRef,omitempty"`
	// Insecure skips TLS certificate verification.
	// +optional
	Insecure bool `json:"insecure,omitempty"`
	// Labels keep only pull requests carrying all these labels.
	// +optional
	// +listType=atomic
	Labels []string `json:"labels,omitempty"`
}

// PullRequestGeneratorAzureDevOps configures pull requests from Azure DevOps.
type PullRequestGeneratorAzureDevOps struct {
	// Organization is the Azure DevOps organization.
	Organization string `json:"organization"`
	// Project is the team project.
	Project string `json:"project"`
	// Repo is the repository name.
	Repo string `json:"repo"`
	// API is the Azure DevOps URL; empty means https://dev.azure.com/.
	// +optional
	API string `json:"api,omitempty"`
	// TokenRef holds the access token.
	// +optional
	TokenRef *SecretRef `json:"tokenRef,omitempty"`
	// Labels keep only pull requests carrying all these labels.
	// +optional
	// +listType=atomic
	Labels []string `json:"labels,omitempty"`
}

// PullRequestGeneratorGithub configures pull requests from GitHub.
type PullRequestGeneratorGithub struct {
	// Owner is the organization or user owning the repository.
	Owner string `json:"owner"`
	// Repo is the repository name.
	Repo string `json:"repo"`
	// API is the GitHub API URL; empty means https://api.github.com/.
	// +optional
	API string `json:"api,omitempty"`
	// TokenRef holds the access token.
	// +optional
	TokenRef *SecretRef `json:"tokenRef,omitempty"`
	// AppSecretName names a GitHub App repository-credentials Secret to authenticate with.
	// +optional
	AppSecretName string `json:"appSecretName,omitempty"`
	// Labels keep only pull requests carrying all these labels.
	// +optional
	// +listType=atomic
	Labels []string `json:"labels,omitempty"`
}

// PullRequestGeneratorGitLab configures merge requests from GitLab.
type PullRequestGeneratorGitLab struct {
	// Project is the project, by numeric ID or full path.
	Project string `json:"project"`
	// API is the GitLab URL; empty means https://gitlab.com/.
	// +optional
	API string `json:"api,omitempty"`
	// TokenRef holds the access token.
	// +optional
	TokenRef *SecretRef `json:"tokenRef,omitempty"`
	// Labels keep only merge requests carrying all these labels.
	// +optional
	// +listType=atomic
	Labels []string `json:"labels,omitempty"`
	// PullRequestState keeps only merge requests in this state; empty means all states.
	// +optional
	PullRequestState string `json:"pullRequestState,omitempty"`
	// Insecure skips TLS certificate verification.
	// +optional
	Insecure bool `json:"insecure,omitempty"`
	// CARef holds extra trusted CA certificates.
	// +optional
	CARef *ConfigMapKeyRef `json:"caRef,omitempty"`
}

// PullRequestGeneratorBitbucketServer configures pull requests from Bitbucket Server.
type PullRequestGeneratorBitbucketServer struct {
	// Project is the project key.
	Project string `json:"project"`
	// Repo is the repository slug.
	Repo string `json:"repo"`
	// API is the REST API URL of the server.
	API string `json:"api"`
	// BasicAuth authenticates with a user name and password.
	// +optional
	BasicAuth *BasicAuthBitbucketServer `json:"basicAuth,omitempty"`
	// BearerToken authenticates with an access token.
	// +optional
	BearerToken *BearerTokenBitbucket `json:"bearerToken,omitempty"`
	// Insecure skips TLS certificate verification.
	// +optional
	Insecure bool `json:"insecure,omitempty"`
	// CARef holds extra trusted CA certificates.
	// +optional
	CARef *ConfigMapKeyRef `json:"caRef,omitempty"`
}

// PullRequestGeneratorBitbucket configures pull requests from Bitbucket Cloud.
type PullRequestGeneratorBitbucket struct {
	// Owner is the workspace.
	Owner string `json:"owner"`
	// Repo is the repository slug.
	Repo string `json:"repo"`
	// API is the REST API URL; empty means https://api.bitbucket.org/2.0.
	// +optional
	API string `json:"api,omitempty"`
	// BasicAuth authenticates with a user name and app password.
	// +optional
	BasicAuth *BasicAuthBitbucketServer `json:"basicAuth,omitempty"`
	// BearerToken authenticates with an app or workspace access token.
	// +optional
	BearerToken *BearerTokenBitbucketCloud `json:"bearerToken,omitempty"`
}

// BearerTokenBitbucket is access-token authentication for Bitbucket Server.
type BearerTokenBitbucket struct {
	// TokenRef holds the token.
	TokenRef *SecretRef `json:"tokenRef"`
}

// BearerTokenBitbucketCloud is access-token authentication for Bitbucket Cloud.
type BearerTokenBitbucketCloud struct {
	// TokenRef holds the token.
	TokenRef *SecretRef `json:"tokenRef"`
}

// BasicAuthBitbucketServer is user-name and password authentication for Bitbucket.
type BasicAuthBitbucketServer struct {
	// Username to authenticate as.
	Username string `json:"username"`
	// PasswordRef holds the password or personal access token.
	PasswordRef *SecretRef `json:"passwordRef"`
}

// PullRequestGeneratorFilter keeps pull requests that pass all of its checks.
type PullRequestGeneratorFilter struct {
	// BranchMatch is a regular expression the source branch must match.
	// +optional
	BranchMatch *string `json:"branchMatch,omitempty"`
	// TargetBranchMatch is a regular expression the target branch must match.
	// +optional
	TargetBranchMatch *string `json:"targetBranchMatch,omitempty"`
	// TitleMatch is a regular expression the title must match.
	// +optional
	TitleMatch *string `json:"titleMatch,omitempty"`
}
