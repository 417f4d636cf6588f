package generators

import (
	"context"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"strings"

	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
)

// Default API URLs of the hosted SCM services.
const (
	defaultGithubAPI         = "https://api.github.com"
	defaultGitlabAPI         = "https://gitlab.com"
	defaultBitbucketCloudAPI = "https://api.bitbucket.org/2.0"
	defaultAzureDevOpsAPI    = "https://dev.azure.com"
)

// orDefault is value, or fallback when value is empty.
func orDefault(value, fallback string) string {
	if value == "" {
		return fallback
	}
	return value
}

// bitbucketServerREST is the REST root of a Bitbucket Server URL: Argo CD
// accepts the server URL with or without its /rest suffix.
func bitbucketServerREST(api string) string {
	api = strings.TrimSuffix(api, "/")
	if strings.HasSuffix(api, "/rest") {
		return api
	}
	return api + "/rest"
}

// --- GitHub ---------------------------------------------------------------

type githubSCM struct {
	remote                       *remote
	organization                 string
	allBranches, excludeArchived bool
}

type githubRepository struct {
	ID            int64    `json:"id"`
	Name          string   `json:"name"`
	CloneURL      string   `json:"clone_url"`
	SSHURL        string   `json:"ssh_url"`
	DefaultBranch string   `json:"default_branch"`
	Topics        []string `json:"topics"`
	Archived      bool     `json:"archived"`
	Owner         struct {
		Login string `json:"login"`
	} `json:"owner"`
}

// githubBranch is a branch of GitHub and Gitea alike.
type githubBranch struct {
	Name   string `json:"name"`
	Commit struct {
		SHA string `json:"sha"`
		ID  string `json:"id"`
	} `json:"commit"`
}

func (b githubBranch) sha() string { return orDefault(b.Commit.SHA, b.Commit.ID) }

func (r *run) githubSCM(ctx context.Context, config *v1alpha1.SCMProviderGeneratorGithub) (scmService, error) {
	remote, err := r.connect(ctx, connection{name: "GitHub", field: "github", api: orDefault(config.API, defaultGithubAPI),
		tokenRef: config.TokenRef, tokenField: "github.tokenRef", appSecretName: config.AppSecretName, auth: bearerAuth("Bearer")})
	if err != nil {
		return nil, err
	}
	return &githubSCM{remote: remote, organization: config.Organization, allBranches: config.AllBranches, excludeArchived: config.ExcludeArchivedRepos}, nil
}

func (g *githubSCM) repos(ctx context.Context, cloneProtocol string) ([]scmRepo, error) {
	listed, err := linkPaged[githubRepository](ctx, g.remote, g.remote.url("/orgs/"+esc(g.organization)+"/repos", url.Values{"per_page": {"100"}}))
	if err != nil {
		return nil, err
	}
	repos := make([]scmRepo, 0, len(listed))
	for _, repo := range listed {
		if g.excludeArchived && repo.Archived {
			continue
		}
		cloneURL, err := cloneURL("GitHub", cloneProtocol, repo.SSHURL, repo.CloneURL)
		if err != nil {
			return nil, err
		}
		repos = append(repos, scmRepo{
			Organization: repo.Owner.Login, Repository: repo.Name, RepositoryID: strconv.FormatInt(repo.ID, 10),
			URL: cloneURL, Branch: repo.DefaultBranch, Labels: repo.Topics,
			handle: "/repos/" + esc(repo.Owner.Login) + "/" + esc(repo.Name),
		})
	}
	return repos, nil
}

func (g *githubSCM) branches(ctx context.Context, repo scmRepo) ([]scmRepo, error) {
	return githubStyleBranches(ctx, g.remote, repo, g.allBranches, url.Values{"per_page": {"100"}})
}

// githubStyleBranches lists the branches of GitHub and Gitea, which share
// their paths and shapes.
func githubStyleBranches(ctx context.Context, r *remote, repo scmRepo, all bool, query url.Values) ([]scmRepo, error) {
	var listed []githubBranch
	if all {
		var err error
		if listed, err = linkPaged[githubBranch](ctx, r, r.url(repo.handle+"/branches", query)); err != nil {
			return nil, err
		}
	} else {
		var branch githubBranch
		if _, err := r.get(ctx, r.url(repo.handle+"/branches/"+esc(repo.Branch), nil), &branch); err != nil {
			return nil, err
		}
		listed = []githubBranch{branch}
	}
	out := make([]scmRepo, 0, len(listed))
	for _, branch := range listed {
		copied := repo
		copied.Branch, copied.SHA = branch.Name, branch.sha()
		out = append(out, copied)
	}
	return out, nil
}

func (g *githubSCM) hasPath(ctx context.Context, repo scmRepo, file string) (bool, error) {
	return g.remote.exists(ctx, g.remote.url(repo.handle+"/contents/"+pathEscape(file), url.Values{"ref": {repo.Branch}}))
}

// --- Gitea ----------------------------------------------------------------

type giteaSCM struct {
	remote                       *remote
	owner                        string
	allBranches, excludeArchived bool
}

type giteaRepository struct {
	ID            int64  `json:"id"`
	Name          string `json:"name"`
	CloneURL      string `json:"clone_url"`
	SSHURL        string `json:"ssh_url"`
	DefaultBranch string `json:"default_branch"`
	Archived      bool   `json:"archived"`
	Empty         bool   `json:"empty"`
	Owner         struct {
		Login string `json:"login"`
	} `json:"owner"`
}

func (r *run) giteaSCM(ctx context.Context, config *v1alpha1.SCMProviderGeneratorGitea) (scmService, error) {
	remote, err := r.connect(ctx, connection{name: "Gitea", field: "gitea", api: config.API, path: "/api/v1",
		tokenRef: config.TokenRef, tokenField: "gitea.tokenRef", insecure: config.Insecure, auth: bearerAuth("token")})
	if err != nil {
		return nil, err
	}
	return &giteaSCM{remote: remote, owner: config.Owner, allBranches: config.AllBranches, excludeArchived: config.ExcludeArchivedRepos}, nil
}

func (g *giteaSCM) repos(ctx context.Context, cloneProtocol string) ([]scmRepo, error) {
	listed, err := linkPaged[giteaRepository](ctx, g.remote, g.remote.url("/orgs/"+esc(g.owner)+"/repos", url.Values{"limit": {"50"}}))
	if err != nil {
		return nil, err
	}
	repos := make([]scmRepo, 0, len(listed))
	for _, repo := range listed {
		if g.excludeArchived && repo.Archived || repo.Empty {
			continue
		}
		cloneURL, err := cloneURL("Gitea", cloneProtocol, repo.SSHURL, repo.CloneURL)
		if err != nil {
			return nil, err
		}
		handle := "/repos/" + esc(repo.Owner.Login) + "/" + esc(repo.Name)
		var topics struct {
			Topics []string `json:"topics"`
		}
		if _, err := g.remote.get(ctx, g.remote.url(handle+"/topics", nil), &topics); err != nil {
			return nil, err
		}
		repos = append(repos, scmRepo{
			Organization: repo.Owner.Login, Repository: repo.Name, RepositoryID: strconv.FormatInt(repo.ID, 10),
			URL: cloneURL, Branch: repo.DefaultBranch, Labels: topics.Topics, handle: handle,
		})
	}
	return repos, nil
}

func (g *giteaSCM) branches(ctx context.Context, repo scmRepo) ([]scmRepo, error) {
	return githubStyleBranches(ctx, g.remote, repo, g.allBranches, url.Values{"limit": {"50"}})
}

func (g *giteaSCM) hasPath(ctx context.Context, repo scmRepo, file string) (bool, error) {
	return g.remote.exists(ctx, g.remote.url(repo.handle+"/contents/"+pathEscape(file), url.Values{"ref": {repo.Branch}}))
}

// --- GitLab ---------------------------------------------------------------

type gitlabSCM struct {
	remote      *remote
	config      *v1alpha1.SCMProviderGeneratorGitlab
	allBranches bool
}

type gitlabProject struct {
	ID            int64    `json:"id"`
	Path          string   `json:"path"`
	SSHURL        string   `json:"ssh_url_to_repo"`
	HTTPURL       string   `json:"http_url_to_repo"`
	DefaultBranch string   `json:"default_branch"`
	Topics        []string `json:"topics"`
	TagList       []string `json:"tag_list"`
	Namespace     struct {
		FullPath string `json:"full_path"`
	} `json:"namespace"`
}

type gitlabBranch struct {
	Name   string `json:"name"`
	Commit struct {
		ID string `json:"id"`
	} `json:"commit"`
}

func (r *run) gitlabSCM(ctx context.Context, config *v1alpha1.SCMProviderGeneratorGitlab) (scmService, error) {
	remote, err := r.connect(ctx, connection{name: "GitLab", field: "gitlab", api: orDefault(config.API, defaultGitlabAPI), path: "/api/v4",
		tokenRef: config.TokenRef, tokenField: "gitlab.tokenRef", insecure: config.Insecure, caRef: config.CARef, auth: privateToken})
	if err != nil {
		return nil, err
	}
	return &gitlabSCM{remote: remote, config: config, allBranches: config.AllBranches}, nil
}

func (g *gitlabSCM) repos(ctx context.Context, cloneProtocol string) ([]scmRepo, error) {
	query := url.Values{
		"include_subgroups": {strconv.FormatBool(g.config.IncludeSubgroups)},
		"with_shared":       {strconv.FormatBool(g.config.IncludeSharedProjects == nil || *g.config.IncludeSharedProjects)},
	}
	if g.config.Topic != "" {
		query.Set("topic", g.config.Topic)
	}
	if !g.config.IncludeArchivedRepos {
		query.Set("archived", "false")
	}
	listed, err := gitlabPaged[gitlabProject](ctx, g.remote, "/groups/"+esc(g.config.Group)+"/projects", query)
	if err != nil {
		return nil, err
	}
	repos := make([]scmRepo, 0, len(listed))
	for _, project := range listed {
		if project.DefaultBranch == "" {
			continue // an empty project has no branch to deploy
		}
		cloneURL, err := cloneURL("GitLab", cloneProtocol, project.SSHURL, project.HTTPURL)
		if err != nil {
			return nil, err
		}
		labels := project.Topics
		if len(labels) == 0 {
			labels = project.TagList
		}
		repos = append(repos, scmRepo{
			Organization: project.Namespace.FullPath, Repository: project.Path, RepositoryID: strconv.FormatInt(project.ID, 10),
			URL: cloneURL, Branch: project.DefaultBranch, Labels: labels,
			handle: "/projects/" + strconv.FormatInt(project.ID, 10),
		})
	}
	return repos, nil
}

func (g *gitlabSCM) branches(ctx context.Context, repo scmRepo) ([]scmRepo, error) {
	var listed []gitlabBranch
	if g.allBranches {
		var err error
		if listed, err = gitlabPaged[gitlabBranch](ctx, g.remote, repo.handle+"/repository/branches", url.Values{}); err != nil {
			return nil, err
		}
	} else {
		var branch gitlabBranch
		if _, err := g.remote.get(ctx, g.remote.url(repo.handle+"/repository/branches/"+esc(repo.Branch), nil), &branch); err != nil {
			return nil, err
		}
		listed = []gitlabBranch{branch}
	}
	out := make([]scmRepo, 0, len(listed))
	for _, branch := range listed {
		copied := repo
		copied.Branch, copied.SHA = branch.Name, branch.Commit.ID
		out = append(out, copied)
	}
	return out, nil
}

// hasPath lists the parent directory, so that directories count too.
func (g *gitlabSCM) hasPath(ctx context.Context, repo scmRepo, file string) (bool, error) {
	query := url.Values{"ref": {repo.Branch}}
	if dir := path.Dir(file); dir != "." {
		query.Set("path", dir)
	}
	entries, err := gitlabPaged[struct {
		Path string `json:"path"`
	}](ctx, g.remote, repo.handle+"/repository/tree", query)
	if err != nil {
		return false, err
	}
	for _, entry := range entries {
		if entry.Path == file {
			return true, nil
		}
	}
	return false, nil
}

// --- Bitbucket Server -----------------------------------------------------

type bitbucketServerSCM struct {
	remote      *remote
	project     string
	allBranches bool
}

// bitbucketLinks are the clone links of Bitbucket Server and Cloud
// repositories.
type bitbucketLinks struct {
	Clone []struct {
		Href string `json:"href"`
		Name string `json:"name"`
	} `json:"clone"`
}

func (l bitbucketLinks) href(names ...string) string {
	for _, name := range names {
		for _, link := range l.Clone {
			if link.Name == name {
				return link.Href
			}
		}
	}
	return ""
}

type bitbucketServerBranch struct {
	DisplayID    string `json:"displayId"`
	LatestCommit string `json:"latestCommit"`
}

// bitbucketServerAuth reads the basic or bearer credentials of a Bitbucket
// Server generator.
func (r *run) bitbucketServerAuth(ctx context.Context, basicAuth *v1alpha1.BasicAuthBitbucketServer, bearerToken *v1alpha1.BearerTokenBitbucket, field string) (func(*http.Request), error) {
	switch {
	case bearerToken != nil:
		token, err := r.secretValue(ctx, bearerToken.TokenRef, field+".bearerToken.tokenRef")
		return bearer("Bearer", token), err
	case basicAuth != nil:
		password, err := r.secretValue(ctx, basicAuth.PasswordRef, field+".basicAuth.passwordRef")
		return basic(basicAuth.Username, password), err
	}
	return nil, nil
}

func (r *run) bitbucketServerSCM(ctx context.Context, config *v1alpha1.SCMProviderGeneratorBitbucketServer) (scmService, error) {
	if err := r.allowedSCM(config.API); err != nil {
		return nil, err
	}
	auth, err := r.bitbucketServerAuth(ctx, config.BasicAuth, config.BearerToken, "bitbucketServer")
	if err != nil {
		return nil, err
	}
	client, err := r.httpClient(ctx, config.Insecure, config.CARef, "bitbucketServer")
	if err != nil {
		return nil, err
	}
	remote, err := newRemote("Bitbucket Server", bitbucketServerREST(config.API), client, auth)
	if err != nil {
		return nil, err
	}
	return &bitbucketServerSCM{remote: remote, project: config.Project, allBranches: config.AllBranches}, nil
}

func (b *bitbucketServerSCM) repos(ctx context.Context, cloneProtocol string) ([]scmRepo, error) {
	listed, err := bitbucketServerPaged[struct {
		ID      int64          `json:"id"`
		Slug    string         `json:"slug"`
		Links   bitbucketLinks `json:"links"`
		Project struct {
			Key string `json:"key"`
		} `json:"project"`
	}](ctx, b.remote, "/api/1.0/projects/"+esc(b.project)+"/repos", url.Values{})
	if err != nil {
		return nil, err
	}
	repos := make([]scmRepo, 0, len(listed))
	for _, repo := range listed {
		cloneURL, err := cloneURL("Bitbucket Server", cloneProtocol, repo.Links.href("ssh"), repo.Links.href("http", "https"))
		if err != nil {
			return nil, err
		}
		repos = append(repos, scmRepo{
			Organization: repo.Project.Key, Repository: repo.Slug, RepositoryID: strconv.FormatInt(repo.ID, 10),
			URL: cloneURL, Labels: []string{},
			handle: "/api/1.0/projects/" + esc(repo.Project.Key) + "/repos/" + esc(repo.Slug),
		})
	}
	return repos, nil
}

func (b *bitbucketServerSCM) branches(ctx context.Context, repo scmRepo) ([]scmRepo, error) {
	var listed []bitbucketServerBranch
	if b.allBranches {
		var err error
		if listed, err = bitbucketServerPaged[bitbucketServerBranch](ctx, b.remote, repo.handle+"/branches", url.Values{}); err != nil {
			return nil, err
		}
	} else {
		var branch bitbucketServerBranch
		if _, err := b.remote.get(ctx, b.remote.url(repo.handle+"/branches/default", nil), &branch); err != nil {
			return nil, err
		}
		listed = []bitbucketServerBranch{branch}
	}
	out := make([]scmRepo, 0, len(listed))
	for _, branch := range listed {
		copied := repo
		copied.Branch, copied.SHA = branch.DisplayID, branch.LatestCommit
		out = append(out, copied)
	}
	return out, nil
}

func (b *bitbucketServerSCM) hasPath(ctx context.Context, repo scmRepo, file string) (bool, error) {
	return b.remote.exists(ctx, b.remote.url(repo.handle+"/browse/"+pathEscape(file), url.Values{"at": {repo.Branch}, "limit": {"1"}}))
}

// --- Bitbucket Cloud ------------------------------------------------------

type bitbucketCloudSCM struct {
	remote      *remote
	owner       string
	allBranches bool
}

type bitbucketCloudBranch struct {
	Name   string `json:"name"`
	Target struct {
		Hash string `json:"hash"`
	} `json:"target"`
}

func (r *run) bitbucketCloudSCM(ctx context.Context, config *v1alpha1.SCMProviderGeneratorBitbucket) (scmService, error) {
	api := r.generators.bitbucketCloudAPI
	if err := r.allowedSCM(api); err != nil {
		return nil, err
	}
	password, err := r.secretValue(ctx, config.AppPasswordRef, "bitbucket.appPasswordRef")
	if err != nil {
		return nil, err
	}
	remote, err := newRemote("Bitbucket Cloud", api, r.generators.sources.HTTPClient, basic(config.User, password))
	if err != nil {
		return nil, err
	}
	return &bitbucketCloudSCM{remote: remote, owner: config.Owner, allBranches: config.AllBranches}, nil
}

func (b *bitbucketCloudSCM) repos(ctx context.Context, cloneProtocol string) ([]scmRepo, error) {
	listed, err := bitbucketCloudPaged[struct {
		UUID       string         `json:"uuid"`
		Slug       string         `json:"slug"`
		Links      bitbucketLinks `json:"links"`
		MainBranch struct {
			Name string `json:"name"`
		} `json:"mainbranch"`
	}](ctx, b.remote, b.remote.url("/repositories/"+esc(b.owner), url.Values{"pagelen": {"100"}}))
	if err != nil {
		return nil, err
	}
	repos := make([]scmRepo, 0, len(listed))
	for _, repo := range listed {
		cloneURL, err := cloneURL("Bitbucket Cloud", cloneProtocol, repo.Links.href("ssh"), repo.Links.href("https"))
		if err != nil {
			return nil, err
		}
		repos = append(repos, scmRepo{
			Organization: b.owner, Repository: repo.Slug, RepositoryID: repo.UUID,
			URL: cloneURL, Branch: repo.MainBranch.Name, Labels: []string{},
			handle: "/repositories/" + esc(b.owner) + "/" + esc(repo.Slug),
		})
	}
	return repos, nil
}

func (b *bitbucketCloudSCM) branches(ctx context.Context, repo scmRepo) ([]scmRepo, error) {
	var listed []bitbucketCloudBranch
	if b.allBranches {
		var err error
		if listed, err = bitbucketCloudPaged[bitbucketCloudBranch](ctx, b.remote, b.remote.url(repo.handle+"/refs/branches", url.Values{"pagelen": {"100"}})); err != nil {
			return nil, err
		}
	} else {
		var branch bitbucketCloudBranch
		if _, err := b.remote.get(ctx, b.remote.url(repo.handle+"/refs/branches/"+esc(repo.Branch), nil), &branch); err != nil {
			return nil, err
		}
		listed = []bitbucketCloudBranch{branch}
	}
	out := make([]scmRepo, 0, len(listed))
	for _, branch := range listed {
		copied := repo
		copied.Branch, copied.SHA = branch.Name, branch.Target.Hash
		out = append(out, copied)
	}
	return out, nil
}

func (b *bitbucketCloudSCM) hasPath(ctx context.Context, repo scmRepo, file string) (bool, error) {
	return b.remote.exists(ctx, b.remote.url(repo.handle+"/src/"+esc(orDefault(repo.SHA, repo.Branch))+"/"+pathEscape(file), url.Values{"format": {"meta"}}))
}

// --- Azure DevOps ---------------------------------------------------------

type azureDevOpsSCM struct {
	remote                    *remote
	organization, teamProject string
	allBranches               bool
}

type azureRef struct {
	Name     string `json:"name"`
	ObjectID string `json:"objectId"`
}

// azureAPIVersion is the REST API version the Azure DevOps calls ask for.
const azureAPIVersion = "7.0"

func (r *run) azureDevOpsSCM(ctx context.Context, config *v1alpha1.SCMProviderGeneratorAzureDevOps) (scmService, error) {
	remote, err := r.connect(ctx, connection{name: "Azure DevOps", field: "azureDevOps", api: orDefault(config.API, defaultAzureDevOpsAPI),
		tokenRef: config.AccessTokenRef, tokenField: "azureDevOps.accessTokenRef", auth: basicToken})
	if err != nil {
		return nil, err
	}
	return &azureDevOpsSCM{remote: remote, organization: config.Organization, teamProject: config.TeamProject, allBranches: config.AllBranches}, nil
}

func (a *azureDevOpsSCM) project() string {
	return "/" + esc(a.organization) + "/" + esc(a.teamProject) + "/_apis/git/repositories"
}

func (a *azureDevOpsSCM) repos(ctx context.Context, cloneProtocol string) ([]scmRepo, error) {
	listed, err := azurePaged[struct {
		ID            string `json:"id"`
		Name          string `json:"name"`
		RemoteURL     string `json:"remoteUrl"`
		SSHURL        string `json:"sshUrl"`
		DefaultBranch string `json:"defaultBranch"`
		IsDisabled    bool   `json:"isDisabled"`
	}](ctx, a.remote, a.project(), url.Values{"api-version": {azureAPIVersion}})
	if err != nil {
		return nil, err
	}
	repos := make([]scmRepo, 0, len(listed))
	for _, repo := range listed {
		if repo.IsDisabled || repo.DefaultBranch == "" {
			continue // disabled or empty repositories cannot be read
		}
		// Argo CD yields the remote (https) URL unless ssh is asked for.
		url := repo.RemoteURL
		if cloneProtocol != "" {
			if url, err = cloneURL("Azure DevOps", cloneProtocol, repo.SSHURL, repo.RemoteURL); err != nil {
				return nil, err
			}
		}
		repos = append(repos, scmRepo{
			Organization: a.organization, Repository: repo.Name, RepositoryID: repo.ID,
			URL: url, Branch: strings.TrimPrefix(repo.DefaultBranch, "refs/heads/"), Labels: []string{},
			handle: a.project() + "/" + esc(repo.ID),
		})
	}
	return repos, nil
}

func (a *azureDevOpsSCM) branches(ctx context.Context, repo scmRepo) ([]scmRepo, error) {
	filter := "heads/"
	if !a.allBranches {
		filter += repo.Branch
	}
	refs, err := azurePaged[azureRef](ctx, a.remote, repo.handle+"/refs", url.Values{"filter": {filter}, "api-version": {azureAPIVersion}})
	if err != nil {
		return nil, err
	}
	out := []scmRepo{}
	for _, ref := range refs {
		name := strings.TrimPrefix(ref.Name, "refs/heads/")
		if !a.allBranches && name != repo.Branch {
			continue // the filter is a prefix: main also lists main-old
		}
		copied := repo
		copied.Branch, copied.SHA = name, ref.ObjectID
		out = append(out, copied)
	}
	return out, nil
}

func (a *azureDevOpsSCM) hasPath(ctx context.Context, repo scmRepo, file string) (bool, error) {
	return a.remote.exists(ctx, a.remote.url(repo.handle+"/items", url.Values{
		"path": {"/" + file}, "versionDescriptor.version": {repo.Branch},
		"versionDescriptor.versionType": {"branch"}, "api-version": {azureAPIVersion},
	}))
}
