package process

// prepareReady makes what the program's readiness needs before it starts:
// the pipe of a NotifyFD, the socket of a NotifySocket.
func (in *incarnation) prepareReady() error {
	switch r := in.s.ready.(type) {
	case NotifyFD:
		return in.prepareFD(r.FD)
	case NotifySocket:
		return in.prepareSocket()
	}
	return nil
}

// watchReady starts the goroutine that calls actor.Ready once the program
// is ready, or calls it at once for a program without Readiness.
func (in *incarnation) watchReady() {
	var watch func()
	switch r := in.s.ready.(type) {
	case nil:
		in.markReady()
		return
	case NotifyFD, NotifySocket:
		watch = in.notifyWatch
	case TCPProbe:
		watch = func() { probe(in.watchCtx, r.Interval, tryTCP(r.Addr, r.Interval), in.markReady) }
	case HTTPProbe:
		watch = func() { probe(in.watchCtx, r.Interval, tryHTTP(r.URL, r.Interval), in.markReady) }
	}
	if watch == nil {
		return
	}
	in.watchers.Add(1)
	go func() {
		defer in.watchers.Done()
		watch()
	}()
}
