package testutil

import (
	"context"
	"io"
	"net/http"
	"testing"
)

// Get fetches url over a real connection and returns the status code and
// the body, failing t if the request or the read fails. The connection is
// not kept alive, so that no goroutine of the client outlives the test.
// The request is bounded by Context(t), never by a timeout of its own.
func Get(t testing.TB, url string) (int, string) {
	t.Helper()
	ctx, cancel := Context(t)
	defer cancel()
	return GetContext(ctx, t, url)
}

// GetContext is Get with ctx bounding the request.
func GetContext(ctx context.Context, t testing.TB, url string) (int, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	defer client.CloseIdleConnections()
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	return resp.StatusCode, string(body)
}
