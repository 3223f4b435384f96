module github.com/arbor-go/arbor/internal/bench

go 1.26.0

replace github.com/arbor-go/arbor => ../..

require (
	github.com/arbor-go/arbor v0.0.0
	github.com/oklog/run v1.2.0
	github.com/thejerf/suture/v4 v4.0.6
	go.uber.org/goleak v1.3.0
	go.uber.org/zap v1.28.0
	golang.org/x/sync v0.25.0
)

require (
	go.uber.org/multierr v1.10.0 // indirect
	golang.org/x/sys v0.47.0 // indirect
)
