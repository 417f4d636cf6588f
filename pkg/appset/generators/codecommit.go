package generators

import (
	"context"
	"errors"
	"fmt"
	"net"
	"path"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/arn"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/codecommit"
	codecommittypes "github.com/aws/aws-sdk-go-v2/service/codecommit/types"
	"github.com/aws/aws-sdk-go-v2/service/resourcegroupstaggingapi"
	taggingtypes "github.com/aws/aws-sdk-go-v2/service/resourcegroupstaggingapi/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
	"capstan.dev/capstan/pkg/apis/capstan/validation"
)

// The keys of a credentialsSecretName Secret, named as in AWS's shared
// credentials file.
const (
	awsAccessKeyIDKey     = "aws_access_key_id"
	awsSecretAccessKeyKey = "aws_secret_access_key"
	awsSessionTokenKey    = "aws_session_token"
)

// codeCommitRepositoryType is the resource type of CodeCommit repositories
// in the Resource Groups Tagging API.
const codeCommitRepositoryType = "codecommit:repository"

var applicationSetsResource = schema.GroupVersionResource{Group: "capstan.dev", Version: "v1alpha1", Resource: "applicationsets"}

// awsRequestTimeout bounds one request to AWS, as the other providers' are.
const awsRequestTimeout = 30 * time.Second

// awsBase is the server's AWS configuration (AWS_REGION, AWS_ENDPOINT_URL*,
// its profile and its own credentials chain), loaded once.
type awsBase struct {
	once   sync.Once
	config aws.Config
	err    error
}

func (g *Generators) awsConfig(ctx context.Context) (aws.Config, error) {
	g.aws.once.Do(func() {
		// The SDK's own client, which honours AWS_CA_BUNDLE.
		client := awshttp.NewBuildableClient().WithTimeout(awsRequestTimeout)
		g.aws.config, g.aws.err = config.LoadDefaultConfig(context.WithoutCancel(ctx), config.WithHTTPClient(client))
	})
	if g.aws.err != nil {
		return aws.Config{}, fmt.Errorf("awsCodeCommit: the server's AWS configuration does not load: %w", g.aws.err)
	}
	return g.aws.config.Copy(), nil
}

// codeCommitSCM scans the CodeCommit repositories of an AWS account, as Argo
// CD does, with the credentials of credentialsSecretName or, for
// ApplicationSets of the control namespaces only, the server's own identity;
// either may assume role first.
func (r *run) codeCommitSCM(ctx context.Context, c *v1alpha1.SCMProviderGeneratorAWSCodeCommit) (scmService, error) {
	const field = "awsCodeCommit"
	if c.Region != "" && !validation.IsAWSRegion(c.Region) {
		return nil, fmt.Errorf("%s.region: %q is not an AWS region name", field, c.Region)
	}
	if c.Role != "" {
		if parsed, err := arn.Parse(c.Role); err != nil || parsed.Service != "iam" {
			return nil, fmt.Errorf("%s.role: %q is not the ARN of an IAM role", field, c.Role)
		}
	}
	cfg, err := r.generators.awsConfig(ctx)
	if err != nil {
		return nil, err
	}
	if c.Region != "" {
		cfg.Region = c.Region
	}
	if cfg.Region == "" {
		return nil, fmt.Errorf("%s.region: not set, and the server has no AWS region (AWS_REGION)", field)
	}
	if c.CredentialsSecretName != "" {
		provider, err := r.awsSecretCredentials(ctx, c.CredentialsSecretName, field+".credentialsSecretName")
		if err != nil {
			return nil, err
		}
		cfg.Credentials = provider
	} else if err := r.mayUseServerAWSIdentity(ctx, field); err != nil {
		return nil, err
	} else if cfg.Credentials != nil {
		cfg.Credentials = namedCredentials{cfg.Credentials, "the server's AWS identity"}
	}
	if c.Role != "" {
		assume := stscreds.NewAssumeRoleProvider(sts.NewFromConfig(cfg), c.Role,
			func(options *stscreds.AssumeRoleOptions) { options.RoleSessionName = "capstan-applicationset" })
		cfg.Credentials = aws.NewCredentialsCache(namedCredentials{assume, "assume role " + c.Role})
	}
	return &codeCommitSCM{
		codeCommit:  codecommit.NewFromConfig(cfg),
		tagging:     resourcegroupstaggingapi.NewFromConfig(cfg),
		tagFilters:  codeCommitTagFilters(c.TagFilters),
		allBranches: c.AllBranches,
	}, nil
}

// awsSecretCredentials reads an access key from a Secret of the
// ApplicationSet's namespace.
func (r *run) awsSecretCredentials(ctx context.Context, name, field string) (aws.CredentialsProvider, error) {
	data, err := r.secretData(ctx, name, field)
	if err != nil {
		return nil, err
	}
	var missing []string
	for _, key := range []string{awsAccessKeyIDKey, awsSecretAccessKeyKey} {
		if len(data[key]) == 0 {
			missing = append(missing, key)
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("%s: Secret %s/%s has no %s", field, r.appSet.Namespace, name, strings.Join(missing, " and no "))
	}
	return credentials.NewStaticCredentialsProvider(string(data[awsAccessKeyIDKey]), string(data[awsSecretAccessKeyKey]), string(data[awsSessionTokenKey])), nil
}

// mayUseServerAWSIdentity lets only ApplicationSets of the control
// namespaces, trusted like Argo CD's own namespace, act as the server's AWS
// identity; a preview's caller must also be allowed to create
// ApplicationSets there.
func (r *run) mayUseServerAWSIdentity(ctx context.Context, field string) error {
	namespace := r.appSet.Namespace
	control := r.generators.sources.ControlNamespaces
	if !slices.Contains(control, namespace) {
		return fmt.Errorf("%s: the server's own AWS identity serves only ApplicationSets of the control namespaces (%s); set credentialsSecretName to a Secret of namespace %s holding %s and %s",
			field, strings.Join(control, ", "), namespace, awsAccessKeyIDKey, awsSecretAccessKeyKey)
	}
	return r.mayRead(ctx, "create", applicationSetsResource, namespace, "")
}

// codeCommitTagFilters groups tag filters by key: a repository must carry
// every key, with one of the values given for it (any value when none is).
func codeCommitTagFilters(filters []v1alpha1.TagFilter) []taggingtypes.TagFilter {
	var out []taggingtypes.TagFilter
	index := map[string]int{}
	for _, filter := range filters {
		i, seen := index[filter.Key]
		if !seen {
			i = len(out)
			index[filter.Key] = i
			out = append(out, taggingtypes.TagFilter{Key: aws.String(filter.Key)})
		}
		if filter.Value != "" {
			out[i].Values = append(out[i].Values, filter.Value)
		}
	}
	return out
}

type codeCommitSCM struct {
	codeCommit  *codecommit.Client
	tagging     *resourcegroupstaggingapi.Client
	tagFilters  []taggingtypes.TagFilter
	allBranches bool
}

// repos lists the repositories (through the tagging API when tags filter
// them) with their metadata. The organization is the AWS account, there
// are no labels, and repositories without a default branch (never pushed
// to) are left out, as in Argo CD.
func (s *codeCommitSCM) repos(ctx context.Context, cloneProtocol string) ([]scmRepo, error) {
	names, err := s.repositoryNames(ctx)
	if err != nil {
		return nil, err
	}
	repos := make([]scmRepo, 0, len(names))
	for _, name := range names {
		output, err := s.codeCommit.GetRepository(ctx, &codecommit.GetRepositoryInput{RepositoryName: aws.String(name)})
		if err != nil {
			return nil, awsError("GetRepository", err)
		}
		meta := output.RepositoryMetadata
		if meta == nil || aws.ToString(meta.DefaultBranch) == "" {
			continue
		}
		cloneURL, err := codeCommitCloneURL(cloneProtocol, aws.ToString(meta.CloneUrlSsh), aws.ToString(meta.CloneUrlHttp))
		if err != nil {
			return nil, err
		}
		repos = append(repos, scmRepo{
			Organization: aws.ToString(meta.AccountId), Repository: aws.ToString(meta.RepositoryName),
			RepositoryID: aws.ToString(meta.RepositoryId), URL: cloneURL, Branch: aws.ToString(meta.DefaultBranch),
			Labels: []string{}, handle: aws.ToString(meta.RepositoryName),
		})
	}
	return repos, nil
}

// repositoryNames pages through ListRepositories, or through the tagging
// API's GetResources when tags filter the repositories.
func (s *codeCommitSCM) repositoryNames(ctx context.Context) ([]string, error) {
	var names []string
	if len(s.tagFilters) == 0 {
		err := awsPaged("ListRepositories", func(token *string) (*string, error) {
			output, err := s.codeCommit.ListRepositories(ctx, &codecommit.ListRepositoriesInput{NextToken: token})
			if err != nil {
				return nil, awsError("ListRepositories", err)
			}
			for _, repo := range output.Repositories {
				names = append(names, aws.ToString(repo.RepositoryName))
			}
			return output.NextToken, nil
		})
		return names, err
	}
	err := awsPaged("GetResources", func(token *string) (*string, error) {
		output, err := s.tagging.GetResources(ctx, &resourcegroupstaggingapi.GetResourcesInput{
			ResourceTypeFilters: []string{codeCommitRepositoryType}, TagFilters: s.tagFilters, PaginationToken: token,
		})
		if err != nil {
			return nil, awsError("GetResources", err)
		}
		for _, resource := range output.ResourceTagMappingList {
			parsed, err := arn.Parse(aws.ToString(resource.ResourceARN))
			if err != nil || parsed.Service != "codecommit" || parsed.Resource == "" {
				return nil, fmt.Errorf("awsCodeCommit: GetResources: %q is not the ARN of a CodeCommit repository", aws.ToString(resource.ResourceARN))
			}
			names = append(names, parsed.Resource)
		}
		return output.PaginationToken, nil
	})
	return names, err
}

// awsPaged calls page with each page's token (nil for the first) until it
// returns no next token, for at most maxPages pages.
func awsPaged(operation string, page func(token *string) (next *string, err error)) error {
	var token *string
	for range maxPages {
		next, err := page(token)
		if err != nil {
			return err
		}
		if aws.ToString(next) == "" {
			return nil
		}
		token = next
	}
	return fmt.Errorf("awsCodeCommit: %s: more than %d pages", operation, maxPages)
}

// codeCommitCloneURL picks the clone URL: ssh by default, https, or
// https-fips (the https URL on CodeCommit's FIPS host).
func codeCommitCloneURL(cloneProtocol, sshURL, httpsURL string) (string, error) {
	const (
		httpsPrefix = "https://git-codecommit."
		fipsPrefix  = "https://git-codecommit-fips."
	)
	switch cloneProtocol {
	case "", "ssh":
		return sshURL, nil
	case "https":
		return httpsURL, nil
	case "https-fips":
		if strings.HasPrefix(httpsURL, fipsPrefix) {
			return httpsURL, nil
		}
		if !strings.HasPrefix(httpsURL, httpsPrefix) {
			return "", fmt.Errorf("awsCodeCommit: cloneProtocol https-fips: the clone URL %s is not on a CodeCommit host", httpsURL)
		}
		return fipsPrefix + strings.TrimPrefix(httpsURL, httpsPrefix), nil
	}
	return "", fmt.Errorf("awsCodeCommit: unknown cloneProtocol %q (ssh, https or https-fips)", cloneProtocol)
}

// branches yields the default branch, or every branch, each with its
// commit (Argo CD leaves sha empty; one GetBranch per branch fills it).
func (s *codeCommitSCM) branches(ctx context.Context, repo scmRepo) ([]scmRepo, error) {
	names := []string{repo.Branch}
	if s.allBranches {
		names = nil
		err := awsPaged("ListBranches", func(token *string) (*string, error) {
			output, err := s.codeCommit.ListBranches(ctx, &codecommit.ListBranchesInput{RepositoryName: aws.String(repo.handle), NextToken: token})
			if err != nil {
				return nil, awsError("ListBranches", err)
			}
			names = append(names, output.Branches...)
			return output.NextToken, nil
		})
		if err != nil {
			return nil, err
		}
	}
	out := make([]scmRepo, 0, len(names))
	for _, name := range names {
		output, err := s.codeCommit.GetBranch(ctx, &codecommit.GetBranchInput{RepositoryName: aws.String(repo.handle), BranchName: aws.String(name)})
		if err != nil {
			return nil, awsError("GetBranch", err)
		}
		copied := repo
		copied.Branch = name
		if output.Branch != nil {
			copied.SHA = aws.ToString(output.Branch.CommitId)
		}
		out = append(out, copied)
	}
	return out, nil
}

// hasPath lists the parent folder of file at the branch and looks for its
// last element among the files, folders, symbolic links and submodules (a
// GetFile would download the whole blob).
func (s *codeCommitSCM) hasPath(ctx context.Context, repo scmRepo, file string) (bool, error) {
	file = strings.Trim(path.Clean("/"+file), "/")
	if file == "" {
		return true, nil
	}
	output, err := s.codeCommit.GetFolder(ctx, &codecommit.GetFolderInput{
		RepositoryName: aws.String(repo.handle), CommitSpecifier: aws.String(repo.Branch), FolderPath: aws.String("/" + path.Dir(file)),
	})
	var (
		noFolder *codecommittypes.FolderDoesNotExistException
		noCommit *codecommittypes.CommitDoesNotExistException
		noRepo   *codecommittypes.RepositoryDoesNotExistException
	)
	if errors.As(err, &noFolder) || errors.As(err, &noCommit) || errors.As(err, &noRepo) {
		return false, nil
	}
	if err != nil {
		return false, awsError("GetFolder", err)
	}
	base := path.Base(file)
	for _, entry := range output.Files {
		if aws.ToString(entry.RelativePath) == base {
			return true, nil
		}
	}
	for _, entry := range output.SubFolders {
		if aws.ToString(entry.RelativePath) == base {
			return true, nil
		}
	}
	for _, entry := range output.SymbolicLinks {
		if aws.ToString(entry.RelativePath) == base {
			return true, nil
		}
	}
	for _, entry := range output.SubModules {
		if aws.ToString(entry.RelativePath) == base {
			return true, nil
		}
	}
	return false, nil
}

// awsError names the operation and AWS's error code and HTTP status, never
// AWS's message (which quotes identities and resource names) or a body; a
// failure to get credentials says whose.
func awsError(operation string, err error) error {
	var credentialsErr *awsCredentialsError
	if errors.As(err, &credentialsErr) {
		description, known := describeAWSError(credentialsErr.err)
		if !known {
			description = "no credentials could be retrieved"
		}
		return fmt.Errorf("awsCodeCommit: %s: %s: %s", operation, credentialsErr.whose, description)
	}
	description, _ := describeAWSError(err)
	return fmt.Errorf("awsCodeCommit: %s: %s", operation, description)
}

// describeAWSError is an error's AWS code and HTTP status, or what a
// transport error says; known is false when neither tells anything.
func describeAWSError(err error) (description string, known bool) {
	var (
		apiErr      smithy.APIError
		responseErr *smithyhttp.ResponseError
		opErr       *net.OpError
		dnsErr      *net.DNSError
	)
	status := ""
	if errors.As(err, &responseErr) {
		status = fmt.Sprintf(" (HTTP %d)", responseErr.HTTPStatusCode())
	}
	switch {
	case errors.As(err, &apiErr):
		return apiErr.ErrorCode() + status, true
	case status != "":
		return "the answer is not valid" + status, true
	case errors.As(err, &opErr), errors.As(err, &dnsErr), errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		return transportError(err).Error(), true
	}
	return transportError(err).Error(), false
}

// awsCredentialsError marks a failure to retrieve the credentials of whose.
type awsCredentialsError struct {
	whose string
	err   error
}

func (e *awsCredentialsError) Error() string { return e.whose + ": " + e.err.Error() }
func (e *awsCredentialsError) Unwrap() error { return e.err }

// namedCredentials says whose credentials failed to be retrieved.
type namedCredentials struct {
	provider aws.CredentialsProvider
	whose    string
}

func (n namedCredentials) Retrieve(ctx context.Context) (aws.Credentials, error) {
	credentials, err := n.provider.Retrieve(ctx)
	if err != nil {
		return credentials, &awsCredentialsError{whose: n.whose, err: err}
	}
	return credentials, nil
}
