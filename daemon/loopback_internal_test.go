package daemon

import (
	"io"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"testing"

	"github.com/arbor-go/arbor/internal/testutil"
	"github.com/arbor-go/arbor/supervisor"
)

// addrListener accepts real loopback connections but makes each report
// the local and remote addresses given, as a connection that arrived on
// another interface (or from another client) would.
type addrListener struct {
	net.Listener
	local, remote net.Addr
}

func (l addrListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return addrConn{c, l.local, l.remote}, nil
}

type addrConn struct {
	net.Conn
	local, remote net.Addr
}

func (c addrConn) LocalAddr() net.Addr  { return c.local }
func (c addrConn) RemoteAddr() net.Addr { return c.remote }

// serveAs serves h on a loopback listener whose connections report local
// and remote, and returns the URL to reach it.
func serveAs(t *testing.T, h http.Handler, local, remote string) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := serveHealth(addrListener{ln, net.TCPAddrFromAddrPort(mustAddrPort(t, local)),
		net.TCPAddrFromAddrPort(mustAddrPort(t, remote))}, h, nil)
	t.Cleanup(func() { s.close() })
	return "http://" + ln.Addr().String()
}

func mustAddrPort(t *testing.T, s string) netip.AddrPort {
	t.Helper()
	ap, err := netip.ParseAddrPort(s)
	if err != nil {
		t.Fatal(err)
	}
	return ap
}

// The tree, the page, the events and pprof are served only on connections
// that arrived on a loopback address, whatever the client's address; the
// probes and the program's own handlers are served on every connection;
// WithPublicDebug serves everything everywhere.
func TestDebugPathsServedOnlyOnConnectionsArrivedOnLoopback(t *testing.T) {
	root, err := supervisor.New("root")
	if err != nil {
		t.Fatal(err)
	}
	metrics := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "metrics") })
	debug := []string{"/", "/tree", "/tree.json", "/tree?format=json", "/ui", "/ui/tree.json", "/ui/page.js",
		"/events", "/debug/pprof/", "/debug/pprof/goroutine?debug=1", "/nothing"}
	everywhere := []string{"/healthz", "/readyz", "/metrics"}
	for _, tc := range []struct {
		local, remote string
		loopback      bool
	}{
		{"198.18.0.1:8081", "127.0.0.1:40000", false}, // a client on this host, through the pod's address
		{"[2001:db8::1]:8081", "[::1]:40000", false},
		{"[::ffff:198.18.0.1]:8081", "127.0.0.1:40000", false},
		{"127.0.0.1:8081", "198.51.100.7:40000", true}, // what the client's address says does not matter
		{"127.0.0.6:8081", "127.0.0.6:40000", true},    // all of 127/8 is loopback
		{"[::1]:8081", "[2001:db8::7]:40000", true},
		{"[::ffff:127.0.0.1]:8081", "198.51.100.7:40000", true},
	} {
		for _, public := range []bool{false, true} {
			h, err := healthMux(root, true, public, []route{{"/metrics", metrics}})
			if err != nil {
				t.Fatal(err)
			}
			base := serveAs(t, h, tc.local, tc.remote)
			for _, p := range debug {
				code, body := testutil.Get(t, base+p)
				refused := code == http.StatusNotFound && strings.Contains(body, "loopback only")
				if want := !tc.loopback && !public; refused != want {
					t.Errorf("local %s, public %v: GET %s = %d %.60q; refused %v, want %v",
						tc.local, public, p, code, body, refused, want)
				}
			}
			for _, p := range everywhere {
				if code, body := testutil.Get(t, base+p); code == http.StatusNotFound {
					t.Errorf("local %s, public %v: GET %s = %d %.60q; want it served", tc.local, public, p, code, body)
				}
			}
		}
	}
}

// A connection whose local address is unknown is not on loopback.
func TestUnknownLocalAddressIsNotLoopback(t *testing.T) {
	r, err := http.NewRequest(http.MethodGet, "/tree", nil)
	if err != nil {
		t.Fatal(err)
	}
	if arrivedOnLoopback(r) {
		t.Error("a request with no local address counts as loopback")
	}
}
