package supervisortest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"testing"
	"testing/synctest"
	"time"

	"github.com/arbor-go/arbor/actor"
	"github.com/arbor-go/arbor/supervisor"
)

// TestPipeListenerHTTP serves HTTP from a supervised actor inside a bubble:
// synctest.Wait returns, which it would not with a real socket.
func TestPipeListenerHTTP(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ln := NewPipeListener()
		web := actor.Func(func(ctx context.Context) error {
			srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				fmt.Fprint(w, "hello from ", r.Host)
			})}
			served := make(chan error, 1)
			go func() { served <- srv.Serve(ln) }()
			actor.Ready(ctx)
			<-ctx.Done()
			stopCtx, cancel := context.WithTimeout(context.Background(), time.Second)
			defer cancel()
			if err := srv.Shutdown(stopCtx); err != nil {
				return err
			}
			if err := <-served; !errors.Is(err, http.ErrServerClosed) {
				return err
			}
			return nil
		})
		run := Start(t, New(t, "root", supervisor.WithChildren(supervisor.Child{Name: "web", Actor: web, WaitReady: true})))
		synctest.Wait()

		transport := &http.Transport{DialContext: ln.DialContext}
		defer transport.CloseIdleConnections()
		resp, err := (&http.Client{Transport: transport}).Get("http://web.test/")
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil || string(body) != "hello from web.test" {
			t.Fatalf("body %q, %v", body, err)
		}
		synctest.Wait() // the server is idle again: nothing waits on a socket
		transport.CloseIdleConnections()
		if err := run.Stop(); err != nil {
			t.Fatalf("Run: %v", err)
		}
	})
}

func TestPipeListener(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ln := NewPipeListener()
		if a := ln.Addr(); a.Network() != "pipe" || a.String() != "pipe" {
			t.Errorf("Addr = %v %v", a.Network(), a)
		}
		accepted := make(chan net.Conn, 1)
		go func() {
			c, err := ln.Accept()
			if err != nil {
				t.Error(err)
			}
			accepted <- c
		}()
		client, err := ln.Dial()
		if err != nil {
			t.Fatal(err)
		}
		server := <-accepted
		go func() { client.Write([]byte("ping")); client.Close() }()
		if b, err := io.ReadAll(server); err != nil || string(b) != "ping" {
			t.Fatalf("read %q, %v", b, err)
		}
		server.Close()

		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		if _, err := ln.DialContext(ctx, "tcp", "x"); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("DialContext with nobody accepting = %v", err)
		}

		done := make(chan error, 1)
		go func() {
			_, err := ln.Accept()
			done <- err
		}()
		synctest.Wait()
		ln.Close()
		ln.Close()
		if err := <-done; !errors.Is(err, net.ErrClosed) {
			t.Fatalf("Accept after Close = %v", err)
		}
		if _, err := ln.Dial(); !errors.Is(err, net.ErrClosed) {
			t.Fatalf("Dial after Close = %v", err)
		}
	})
}
