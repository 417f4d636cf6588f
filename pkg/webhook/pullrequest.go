package webhook

// newPullRequest checks and builds a PullRequest.
func newPullRequest(number int64, action, headBranch, headCommit, baseBranch string, urls ...string) (PullRequest, error) {
	if number <= 0 {
		return PullRequest{}, malformed("pull request number must be positive")
	}
	pr := PullRequest{Number: number, Action: action, HeadBranch: headBranch, BaseBranch: baseBranch}
	var err error
	if pr.HeadCommit, err = commit("head commit", headCommit); err != nil {
		return PullRequest{}, err
	}
	if pr.RepoURLs, err = repoURLs(urls); err != nil {
		return PullRequest{}, err
	}
	return pr, nil
}
