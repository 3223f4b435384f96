package process

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/url"
	"time"

	"github.com/arbor-go/arbor/supervisor"
)

// Readiness says how a program tells that it is ready: NotifyFD,
// NotifySocket, TCPProbe or HTTPProbe. Once it is, the incarnation calls
// actor.Ready, so that a child with WaitReady gates the start of its next
// siblings on it.
type Readiness interface {
	validate() error
}

// NotifyFD is the s6 way: the program is given the write end of a pipe as
// file descriptor FD (3 or more) and writes a newline to it once it is
// ready (s6's notification-fd). Not available on Windows.
type NotifyFD struct {
	FD int
}

// NotifySocket is the systemd way: the program gets a NOTIFY_SOCKET of its
// own (it replaces any the supervising process inherited) and sends
// "READY=1" to it once it is ready (sd_notify). Each "STATUS=..." it sends
// becomes the child's status (actor.SetStatus), shown in the tree, the
// snapshot and the page. Each "WATCHDOG=1" is a heartbeat (actor.Beat):
// with a Child.Liveness deadline, a program that stops sending them is
// hung and restarted, as systemd's WatchdogSec= does (give the program
// WATCHDOG_USEC in Env, so that sd_watchdog_enabled tells it how often to
// send them). Not available on Windows.
type NotifySocket struct{}

// TCPProbe makes the program ready once a TCP connection to Addr
// succeeds, tried every Interval (default 100ms).
type TCPProbe struct {
	Addr     string
	Interval time.Duration
}

// HTTPProbe makes the program ready once a GET of URL answers with a 2xx
// status, tried every Interval (default 100ms), each try bounded by the
// interval or one second, whichever is longer. A redirect is followed
// only to the same host and port; a redirect elsewhere is an answer of
// its own, not a 2xx.
type HTTPProbe struct {
	URL      string
	Interval time.Duration
}

// maxNotifyFD bounds NotifyFD.FD: the program's descriptors below it are
// given as closed, one slot each.
const maxNotifyFD = 1024

func (r NotifyFD) validate() error {
	if !haveNotifyFD {
		return &supervisor.ConfigError{Field: "FD", Value: r.FD, Reason: "readiness by file descriptor is not available on this system", Err: errors.ErrUnsupported}
	}
	if r.FD < 3 || r.FD > maxNotifyFD {
		return &supervisor.ConfigError{Field: "FD", Value: r.FD, Reason: "must be between 3 and 1024 (0, 1 and 2 are the standard streams)"}
	}
	return nil
}

func (NotifySocket) validate() error {
	if !haveNotifyFD {
		return &supervisor.ConfigError{Field: "NotifySocket", Value: "NotifySocket{}", Reason: "readiness by notify socket is not available on this system", Err: errors.ErrUnsupported}
	}
	return nil
}

func (r TCPProbe) validate() error {
	if _, _, err := net.SplitHostPort(r.Addr); err != nil {
		return &supervisor.ConfigError{Field: "Addr", Value: r.Addr, Reason: "must be host:port", Err: err}
	}
	if r.Interval < 0 {
		return &supervisor.ConfigError{Field: "Interval", Value: r.Interval, Reason: "must be >= 0"}
	}
	return nil
}

func (r HTTPProbe) validate() error {
	u, err := url.Parse(r.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return &supervisor.ConfigError{Field: "URL", Value: r.URL, Reason: "must be an http or https URL", Err: err}
	}
	if r.Interval < 0 {
		return &supervisor.ConfigError{Field: "Interval", Value: r.Interval, Reason: "must be >= 0"}
	}
	return nil
}

// defaultProbeInterval is the interval of a probe that sets none.
const defaultProbeInterval = 100 * time.Millisecond

// probe tries try every interval until it succeeds (then it calls ready
// and returns) or ctx is done.
func probe(ctx context.Context, interval time.Duration, try func(ctx context.Context) bool, ready func()) {
	if interval <= 0 {
		interval = defaultProbeInterval
	}
	t := time.NewTimer(0)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if try(ctx) {
			ready()
			return
		}
		t.Reset(interval)
	}
}

// tryTCP reports whether a TCP connection to addr succeeds.
func tryTCP(addr string, interval time.Duration) func(ctx context.Context) bool {
	return func(ctx context.Context) bool {
		ctx, cancel := context.WithTimeout(ctx, max(interval, time.Second))
		defer cancel()
		var d net.Dialer
		c, err := d.DialContext(ctx, "tcp", addr)
		if err != nil {
			return false
		}
		_ = c.Close()
		return true
	}
}

// tryHTTP reports whether a GET of u answers with a 2xx status.
func tryHTTP(u string, interval time.Duration) func(ctx context.Context) bool {
	client := &http.Client{
		Transport: &http.Transport{DisableKeepAlives: true},
		// A redirect is followed on the same host only: a program must
		// not make the supervising process fetch any URL it names, nor
		// be made ready by another server's answer (Kubernetes' httpGet
		// does not follow one to another host either). The 3xx answer
		// is then the probe's, and not a 2xx.
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if req.URL.Host != via[0].URL.Host {
				return http.ErrUseLastResponse
			}
			if len(via) >= 10 {
				return errors.New("stopped after 10 redirects")
			}
			return nil
		},
	}
	return func(ctx context.Context) bool {
		defer client.CloseIdleConnections()
		ctx, cancel := context.WithTimeout(ctx, max(interval, time.Second))
		defer cancel()
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
		if err != nil {
			return false
		}
		resp, err := client.Do(req)
		if err != nil {
			return false
		}
		_ = resp.Body.Close()
		return resp.StatusCode >= 200 && resp.StatusCode < 300
	}
}
