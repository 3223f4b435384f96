module github.com/arbor-go/arbor

go 1.25.0

require (
	github.com/coreos/go-systemd/v22 v22.6.0
	github.com/oklog/run v1.2.0
	go.uber.org/goleak v1.3.0
	go.uber.org/zap v1.28.0
	golang.org/x/sync v0.22.0
	golang.org/x/sys v0.47.0
	pgregory.net/rapid v1.3.0
)

require go.uber.org/multierr v1.10.0 // indirect
