package source

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"testing"
)

func TestIsOutage(t *testing.T) {
	status := func(code int) error {
		return &HTTPStatusError{Method: "GET", URL: "https://git.example.com/a.git", StatusCode: code}
	}
	wrapped := func(kind, cause error) error {
		return fmt.Errorf("source 1 (https://git.example.com/a.git): %w", NewError("list refs", "https://git.example.com/a.git", "main", kind, cause, nil))
	}
	for _, tc := range []struct {
		name string
		err  error
		want bool
	}{
		{"unreachable", wrapped(ErrUnreachable, errors.New("dial tcp 127.0.0.1:1: connect: connection refused")), true},
		{"a timeout", wrapped(nil, context.DeadlineExceeded), true},
		{"a 503", wrapped(nil, status(http.StatusServiceUnavailable)), true},
		{"a 429", wrapped(nil, status(http.StatusTooManyRequests)), true},
		{"authentication", wrapped(ErrAuthentication, status(http.StatusUnauthorized)), false},
		{"no such repository", wrapped(nil, status(http.StatusNotFound)), false},
		{"no such revision", wrapped(ErrRevisionNotFound, errors.New("no branch, tag or commit of that name")), false},
		{"no such chart", wrapped(ErrChartNotFound, nil), false},
		{"a refused URL", wrapped(ErrURLNotAllowed, nil), false},
		{"too large", wrapped(ErrTooLarge, nil), false},
		{"a render failure", errors.New("kustomize build: connection refused"), false},
	} {
		if got := IsOutage(tc.err); got != tc.want {
			t.Errorf("%s: IsOutage(%v) = %v, want %v", tc.name, tc.err, got, tc.want)
		}
	}
}
