package generators

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
)

// The pagination schemes of the SCM APIs. Each follows at most maxPages
// pages; a next-page URL on another host is refused (credentials would
// travel there).

// linkPaged follows Link rel="next" headers (GitHub, Gitea), decoding each
// page as a JSON array.
func linkPaged[T any](ctx context.Context, r *remote, first string) ([]T, error) {
	var all []T
	next := first
	for page := 0; next != ""; page++ {
		if page == maxPages {
			return nil, fmt.Errorf("%s: more than %d pages", r.name, maxPages)
		}
		var items []T
		headers, err := r.get(ctx, next, &items)
		if err != nil {
			return nil, err
		}
		all = append(all, items...)
		next = ""
		if link := nextLink(headers.Get("Link")); link != "" {
			if next, err = r.sameOrigin(link); err != nil {
				return nil, err
			}
		}
	}
	return all, nil
}

// gitlabPaged follows GitLab's X-Next-Page header.
func gitlabPaged[T any](ctx context.Context, r *remote, path string, query url.Values) ([]T, error) {
	var all []T
	query.Set("per_page", "100")
	for page := 1; page <= maxPages; page++ {
		query.Set("page", strconv.Itoa(page))
		var items []T
		headers, err := r.get(ctx, r.url(path, query), &items)
		if err != nil {
			return nil, err
		}
		all = append(all, items...)
		next, err := strconv.Atoi(headers.Get("X-Next-Page"))
		if err != nil || next <= page {
			return all, nil
		}
		page = next - 1
	}
	return nil, fmt.Errorf("%s: more than %d pages", r.name, maxPages)
}

// bitbucketServerPage is a page of the Bitbucket Server REST API.
type bitbucketServerPage[T any] struct {
	Values        []T  `json:"values"`
	IsLastPage    bool `json:"isLastPage"`
	NextPageStart int  `json:"nextPageStart"`
}

// bitbucketServerPaged follows isLastPage/nextPageStart.
func bitbucketServerPaged[T any](ctx context.Context, r *remote, path string, query url.Values) ([]T, error) {
	var all []T
	query.Set("limit", "100")
	start := 0
	for range maxPages {
		query.Set("start", strconv.Itoa(start))
		var page bitbucketServerPage[T]
		if _, err := r.get(ctx, r.url(path, query), &page); err != nil {
			return nil, err
		}
		all = append(all, page.Values...)
		if page.IsLastPage || page.NextPageStart <= start {
			return all, nil
		}
		start = page.NextPageStart
	}
	return nil, fmt.Errorf("%s: more than %d pages", r.name, maxPages)
}

// bitbucketCloudPage is a page of the Bitbucket Cloud API.
type bitbucketCloudPage[T any] struct {
	Values []T    `json:"values"`
	Next   string `json:"next"`
}

// bitbucketCloudPaged follows the next URL of each page.
func bitbucketCloudPaged[T any](ctx context.Context, r *remote, first string) ([]T, error) {
	var all []T
	next := first
	for page := 0; next != ""; page++ {
		if page == maxPages {
			return nil, fmt.Errorf("%s: more than %d pages", r.name, maxPages)
		}
		var body bitbucketCloudPage[T]
		if _, err := r.get(ctx, next, &body); err != nil {
			return nil, err
		}
		all = append(all, body.Values...)
		next = ""
		if body.Next != "" {
			var err error
			if next, err = r.sameOrigin(body.Next); err != nil {
				return nil, err
			}
		}
	}
	return all, nil
}

// azurePage is a list of the Azure DevOps REST API.
type azurePage[T any] struct {
	Value []T `json:"value"`
}

// azurePaged follows the x-ms-continuationtoken header.
func azurePaged[T any](ctx context.Context, r *remote, path string, query url.Values) ([]T, error) {
	var all []T
	for range maxPages {
		var page azurePage[T]
		headers, err := r.get(ctx, r.url(path, query), &page)
		if err != nil {
			return nil, err
		}
		all = append(all, page.Value...)
		token := headers.Get("X-Ms-Continuationtoken")
		if token == "" {
			return all, nil
		}
		query.Set("continuationToken", token)
	}
	return nil, fmt.Errorf("%s: more than %d pages", r.name, maxPages)
}
