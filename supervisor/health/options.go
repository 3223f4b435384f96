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
	lim supervisor.TreeLimits
}

// WithMaxNodes sets the most nodes of the tree that "/tree", "/tree.json"
// and the page's "/ui/tree.json" serve, those nearest to the root (default DefaultMaxNodes);
// zero serves every node. A negative n is an error of NewHandler.
func WithMaxNodes(n int) Option { return func(c *config) { c.lim.MaxNodes = n } }

// WithMaxDepth sets the depth of the deepest nodes that "/tree",
// "/tree.json" and the page's "/ui/tree.json" serve, the root being at depth 0 (default: zero, no limit
// but the number of nodes). A negative d is an error of NewHandler.
func WithMaxDepth(d int) Option { return func(c *config) { c.lim.MaxDepth = d } }

// NewHandler returns the handler of Handler, configured by opts. It
// returns a *supervisor.ConfigError if s is nil or an option's value is
// invalid.
func NewHandler(s *supervisor.Supervisor, opts ...Option) (http.Handler, error) {
	if s == nil {
		return nil, &supervisor.ConfigError{Field: "Supervisor", Value: nil, Reason: "must not be nil"}
	}
	c := config{lim: supervisor.TreeLimits{MaxNodes: DefaultMaxNodes}}
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
	return &handler{s: s, lim: c.lim}, nil
}
