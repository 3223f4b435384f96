//go:build linux

package daemon_test

import (
	"bytes"
	"os"
	"os/exec"
	"testing"

	"github.com/arbor-go/arbor/internal/testutil"
)

// unshareNet returns the command line prefix that runs a command in a new
// network namespace, or skips the test where namespaces are not allowed.
// CI=true skips it too, unless ARBOR_REQUIRE_NETNS=1 (which .ci/run sets),
// with which a namespace that cannot be made fails the test instead.
func unshareNet(t *testing.T) []string {
	t.Helper()
	required := os.Getenv("ARBOR_REQUIRE_NETNS") == "1"
	if os.Getenv("CI") == "true" && !required {
		t.Skip("CI=true: network namespaces are not assumed here (ARBOR_REQUIRE_NETNS=1 runs the test)")
	}
	skip := func(why string) {
		if required {
			t.Fatalf("ARBOR_REQUIRE_NETNS=1, but %s", why)
		}
		t.Skip(why)
	}
	if _, err := exec.LookPath("ip"); err != nil {
		skip("no ip command to set up the namespace's addresses")
	}
	args := []string{"unshare", "-n"} // as root
	if os.Geteuid() != 0 {
		args = []string{"unshare", "-r", "-n"} // in a user namespace, where they are allowed
	}
	if out, err := exec.Command(args[0], append(args[1:], "true")...).CombinedOutput(); err != nil {
		skip("network namespaces are not allowed here: " + string(bytes.TrimSpace(out)) + " (" + err.Error() + ")")
	}
	return args
}

// The health server on 0.0.0.0, inside a network namespace the test
// creates (lo with 127.0.0.1 and 198.18.0.1): on 198.18.0.1, an address
// that is not loopback, only the probes and the program's handler answer;
// on 127.0.0.1 everything does. With WithPublicDebug everything answers
// on both. No traffic leaves the namespace.
func TestHealthServerInANetworkNamespace(t *testing.T) {
	t.Parallel()
	unshare := unshareNet(t)
	for _, public := range []bool{false, true} {
		scenario := "netns"
		if public {
			scenario = "netns-public"
		}
		t.Run(scenario, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := testutil.Context(t)
			defer cancel()
			setup := "ip link set lo up && ip addr add " + netnsAddr + "/32 dev lo && exec \"$0\" -test.run='^$'"
			cmd := exec.CommandContext(ctx, unshare[0], append(unshare[1:], "sh", "-c", setup, os.Args[0])...)
			cmd.Env = append(os.Environ(), helperEnv+"="+scenario)
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			if err := cmd.Run(); err != nil {
				t.Fatalf("%v; stderr:\n%s", err, stderr.String())
			}
			got := parseNetns(stdout.String())
			for _, p := range netnsPaths {
				probe := p == "/healthz" || p == "/readyz" || p == "/metrics"
				if got["127.0.0.1 "+p] != "200" {
					t.Errorf("GET 127.0.0.1:8081%s = %s, want 200", p, got["127.0.0.1 "+p])
				}
				want := "404"
				if probe || public {
					want = "200"
				}
				if got[netnsAddr+" "+p] != want {
					t.Errorf("GET %s:8081%s = %s, want %s", netnsAddr, p, got[netnsAddr+" "+p], want)
				}
			}
			t.Logf("public %v:\n%s", public, stdout.String())
		})
	}
}
