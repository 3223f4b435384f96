package health

import (
	"net/http"

	"github.com/arbor-go/arbor/supervisor"
)

// DefaultMaxNodes is the most nodes of the tree a handler serves unless
// told otherwise (see WithMaxNodes): a few megabytes of JSON, about 450
// bytes a supervisor and 200 a worker.
const DefaultMaxNodes = 10000

// An Option configures a handler made by NewHandler.
type Option func(*config)

type config struct {
	lim     supervisor.TreeLimits
	backlog int
}

// WithMaxNodes sets the most nodes of the tree that "/tree", "/tree.json"
// and the page's "/ui/tree.json" serve, those nearest to the root (default DefaultMaxNodes);
// zero serves every node. A negative n is an error of NewHandler.
func WithMaxNodes(n int) Option { return func(c *config) { c.lim.MaxNodes = n } }

// WithMaxDepth sets the depth of the deepest nodes that "/tree",
// "/tree.json" and the page's "/ui/tree.json" serve, the root being at depth 0 (default: zero, no limit
// but the number of nodes). A negative d is an error of NewHandler.
func WithMaxDepth(d int) Option { return func(c *config) { c.lim.MaxDepth = d } }

// WithBacklog sets how many of the tree's last events the handler keeps
// (default DefaultBacklog), to start each "/events" stream with, so that a
// page opened now shows the recent past. Zero keeps none, and the handler
// then starts no goroutine and makes no subscription of its own. A negative
// n is an error of NewHandler.
//
// The backlog is kept by a goroutine that subscribes to the tree
// (Supervisor.Subscribe) when the handler serves its first request while
// the tree runs, a probe included, and ends when that run ends
// (Supervisor.Done) or when an http.Server that served the handler shuts
// down (Server.Shutdown; Server.Close does not tell a handler). While it
// runs, the tree builds an event for each of its transitions, as it does for
// a logger at the debug level. The events kept stay for the pages opened
// after the run ended.
func WithBacklog(n int) Option { return func(c *config) { c.backlog = n } }

// NewHandler returns the handler of Handler, configured by opts. It
// returns a *supervisor.ConfigError if s is nil or an option's value is
// invalid.
func NewHandler(s *supervisor.Supervisor, opts ...Option) (http.Handler, error) {
	if s == nil {
		return nil, &supervisor.ConfigError{Field: "Supervisor", Value: nil, Reason: "must not be nil"}
	}
	c := config{lim: supervisor.TreeLimits{MaxNodes: DefaultMaxNodes}, backlog: DefaultBacklog}
	for _, o := range opts {
		if o != nil {
			o(&c)
		}
	}
	if c.lim.MaxNodes < 0 {
		return nil, &supervisor.ConfigError{Field: "health.WithMaxNodes", Value: c.lim.MaxNodes, Reason: "must be positive, or zero for no limit"}
	}
	if c.lim.MaxDepth < 0 {
		return nil, &supervisor.ConfigError{Field: "health.WithMaxDepth", Value: c.lim.MaxDepth, Reason: "must be positive, or zero for no limit"}
	}
	if c.backlog < 0 {
		return nil, &supervisor.ConfigError{Field: "health.WithBacklog", Value: c.backlog, Reason: "must be positive, or zero to keep none"}
	}
	return &handler{s: s, lim: c.lim, backlog: newBacklog(c.backlog)}, nil
}
