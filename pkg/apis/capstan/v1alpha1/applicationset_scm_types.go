package v1alpha1

// SecretRef points at one key of a Secret in the ApplicationSet's namespace.
type SecretRef struct {
	// SecretName is the name of the Secret.
	SecretName string `json:"secretName"`
	// Key is the key within the Secret.
	Key string `json:"key"`
}

// ConfigMapKeyRef points at one key of a ConfigMap in the ApplicationSet's namespace.
type ConfigMapKeyRef struct {
	// ConfigMapName is the name of the ConfigMap.
	ConfigMapName string `json:"configMapName"`
	// Key is the key within the ConfigMap.
	Key string `json:"key"`
}

// SCMProviderGenerator yields one parameter set per repository (or per branch)
// found in an organization of an SCM service. Exactly one provider is set.
type SCMProviderGenerator struct {
	// Github scans a GitHub organization.
	// +optional
	Github *SCMProviderGeneratorGithub `json:"github,omitempty"`
	// Gitlab scans a GitLab group.
	// +optional
	Gitlab *SCMProviderGeneratorGitlab `json:"gitlab,omitempty"`
	// Bitbucket scans a Bitbucket Cloud workspace.
	// +optional
	Bitbucket *SCMProviderGeneratorBitbucket `json:"bitbucket,omitempty"`
	// BitbucketServer scans a Bitbucket Server project.
	// +optional
	BitbucketServer *SCMProviderGeneratorBitbucketServer `json:"bitbucketServer,omitempty"`
	// Gitea scans a Gitea organization or user.
	// +optional
	Gitea *SCMProviderGeneratorGitea `json:"gitea,omitempty"`
	// AzureDevOps scans an Azure DevOps team project.
	// +optional
	AzureDevOps *SCMProviderGeneratorAzureDevOps `json:"azureDevOps,omitempty"`
	// Filters keep a repository when any filter matches; the checks within one filter are ANDed.
	// +optional
	// +listType=atomic
	Filters []SCMProviderGeneratorFilter `json:"filters,omitempty"`
	// CloneProtocol is the protocol of the url parameter (ssh when the provider allows it, or https).
	// +optional
	CloneProtocol string `json:"cloneProtocol,omitempty"`
	// RequeueAfterSeconds is how often the provider is scanned again (default 1800).
	// +optional
	RequeueAfterSeconds *int64 `json:"requeueAfterSeconds,omitempty"`
	// Template overrides fields of the ApplicationSet template for this generator.
	// +optional
	Template ApplicationSetTemplate `json:"template,omitempty"`
	// Values are added to every parameter set as values.<key>.
	// +optional
	Values map[string]string `json:"values,omitempty"`
	// AWSCodeCommit scans the CodeCommit repositories of an AWS account.
	// +optional
	AWSCodeCommit *SCMProviderGeneratorAWSCodeCommit `json:"awsCodeCommit,omitempty"`
}

// SCMProviderGeneratorGitea configures the Gitea provider.
type SCMProviderGeneratorGitea struct {
	// Owner is the organization or user to scan.
	Owner string `json:"owner"`
	// API is the Gitea base URL, for example https://gitea.example.com/.
	API string `json:"api"`
	// TokenRef holds the access token.
	// +optional
	TokenRef *SecretRef `json:"tokenRef,omitempty"`
	// AllBranches yields every branch instead of only the default one.
	// +optional
	AllBranches bool `json:"allBranches,omitempty"`
	// Insecure skips TLS certificate verification.
	// +optional
	Insecure bool `json:"insecure,omitempty"`
	// ExcludeArchivedRepos skips archived repositories.
	// +optional
	ExcludeArchivedRepos bool `json:"excludeArchivedRepos,omitempty"`
}

// SCMProviderGeneratorGithub configures the GitHub provider.
type SCMProviderGeneratorGithub struct {
	// Organization is the GitHub organization to scan.
	Organization string `json:"organization"`
	// API is the GitHub API URL; empty means https://api.github.com/.
	// +optional
	API string `json:"api,omitempty"`
	// TokenRef holds the access token.
	// +optional
	TokenRef *SecretRef `json:"tokenRef,omitempty"`
	// AppSecretName names a GitHub App repository-credentials Secret to authenticate with.
	// +optional
	AppSecretName string `json:"appSecretName,omitempty"`
	// AllBranches yields every branch instead of only the default one.
	// +optional
	AllBranches bool `json:"allBranches,omitempty"`
	// ExcludeArchivedRepos skips archived repositories.
	// +optional
	ExcludeArchivedRepos bool `json:"excludeArchivedRepos,omitempty"`
}

// SCMProviderGeneratorGitlab configures the GitLab provider.
type SCMProviderGeneratorGitlab struct {
	// Group is the group to scan, by numeric ID or full path.
	Group string `json:"group"`
	// IncludeSubgroups also scans subgroups.
	// +optional
	IncludeSubgroups bool `json:"includeSubgroups,omitempty"`
	// API is the GitLab URL; empty means https://gitlab.com/.
	// +optional
	API string `json:"api,omitempty"`
	// TokenRef holds the access token.
	// +optional
	TokenRef *SecretRef `json:"tokenRef,omitempty"`
	// AllBranches yields every branch instead of only the default one.
	// +optional
	AllBranches bool `json:"allBranches,omitempty"`
	// Insecure skips TLS certificate verification.
	// +optional
	Insecure bool `json:"insecure,omitempty"`
	// IncludeSharedProjects also yields projects shared into the group; unset means true.
	// +optional
	IncludeSharedProjects *bool `json:"includeSharedProjects,omitempty"`
	// Topic keeps only projects with this topic.
	// +optional
	Topic string `json:"topic,omitempty"`
	// CARef holds extra trusted CA certificates.
	// +optional
	CARef *ConfigMapKeyRef `json:"caRef,omitempty"`
	// IncludeArchivedRepos also yields archived projects.
	// +optional
	IncludeArchivedRepos bool `json:"includeArchivedRepos,omitempty"`
}

// SCMProviderGeneratorBitbucket configures the Bitbucket Cloud provider.
type SCMProviderGeneratorBitbucket struct {
	// Owner is the workspace to scan.
	Owner string `json:"owner"`
	// User authenticates the requests; it needs read access to the repositories.
	User string `json:"user"`
	// AppPasswordRef holds the app password of user.
	AppPasswordRef *SecretRef `json:"appPasswordRef"`
	// AllBranches yields every branch instead of only the main one.
	// +optional
	AllBranches bool `json:"allBranches,omitempty"`
}

// SCMProviderGeneratorBitbucketServer configures the Bitbucket Server provider.
type SCMProviderGeneratorBitbucketServer struct {
	// Project is the project key to scan.
	Project string `json:"project"`
	// API is the REST API URL of the server.
	API string `json:"api"`
	// BasicAuth authenticates with a user name and password.
	// +optional
	BasicAuth *BasicAuthBitbucketServer `json:"basicAuth,omitempty"`
	// AllBranches yields every branch instead of only the default one.
	// +optional
	AllBranches bool `json:"allBranches,omitempty"`
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

// SCMProviderGeneratorAzureDevOps configures the Azure DevOps provider.
type SCMProviderGeneratorAzureDevOps struct {
	// Organization is the Azure DevOps organization.
	Organization string `json:"organization"`
	// API is the Azure DevOps URL; empty means https://dev.azure.com.
	// +optional
	API string `json:"api,omitempty"`
	// TeamProject is the team project to scan.
	TeamProject string `json:"teamProject"`
	// AccessTokenRef holds the personal access token.
	AccessTokenRef *SecretRef `json:"accessTokenRef"`
	// AllBranches yields every branch instead of only the default one.
	// +optional
	AllBranches bool `json:"allBranches,omitempty"`
}

// TagFilter matches AWS resource tags by key and, optionally, value.
type TagFilter struct {
	// Key of the tag.
	Key string `json:"key"`
	// Value of the tag; empty matches any value.
	// +optional
	Value string `json:"value,omitempty"`
}

// SCMProviderGeneratorAWSCodeCommit configures the AWS CodeCommit provider.
type SCMProviderGeneratorAWSCodeCommit struct {
	// TagFilters keep only repositories carrying all these tags.
	// +optional
	// +listType=atomic
	TagFilters []TagFilter `json:"tagFilters,omitempty"`
	// Role is the ARN of an IAM role to assume, for repositories of another
	// account; empty means the identity of the credentials themselves.
	// +optional
	Role string `json:"role,omitempty"`
	// Region to scan; empty means the server's region (AWS_REGION).
	// +optional
	Region string `json:"region,omitempty"`
	// CredentialsSecretName names a Secret of the ApplicationSet's namespace
	// holding an AWS access key: aws_access_key_id, aws_secret_access_key and,
	// for temporary credentials, aws_session_token. Empty means the server's
	// own AWS identity (its environment, web identity or instance role),
	// which only ApplicationSets in the control namespaces may use. A
	// Capstan extension: Argo CD knows only its own identity.
	// +optional
	CredentialsSecretName string `json:"credentialsSecretName,omitempty"`
	// AllBranches yields every branch instead of only the default one.
	// +optional
	AllBranches bool `json:"allBranches,omitempty"`
}

// SCMProviderGeneratorFilter keeps repositories that pass all of its checks.
type SCMProviderGeneratorFilter struct {
	// RepositoryMatch is a regular expression the repository name must match.
	// +optional
	RepositoryMatch *string `json:"repositoryMatch,omitempty"`
	// PathsExist are paths that must all exist in the repository.
	// +optional
	// +listType=atomic
	PathsExist []string `json:"pathsExist,omitempty"`
	// PathsDoNotExist are paths that must all be absent from the repository.
	// +optional
	// +listType=atomic
	PathsDoNotExist []string `json:"pathsDoNotExist,omitempty"`
	// LabelMatch is a regular expression at least one repository label must match.
	// +optional
	LabelMatch *string `json:"labelMatch,omitempty"`
	// BranchMatch is a regular expression the branch name must match.
	// +optional
	BranchMatch *string `json:"branchMatch,omitempty"`
}
