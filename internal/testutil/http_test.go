package testutil_test

import (
	"net"
	"net/http"
	"testing"

	"github.com/arbor-go/arbor/internal/testutil"
)

// Get returns the status and body of a real loopback server's answer.
func TestGetReadsStatusAndBody(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusTeapot)
		w.Write([]byte("short and stout"))
	})}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	defer func() {
		srv.Close()
		<-served
	}()
	code, body := testutil.Get(t, "http://"+ln.Addr().String()+"/")
	if code != http.StatusTeapot || body != "short and stout" {
		t.Errorf("Get = %d %q", code, body)
	}
}
