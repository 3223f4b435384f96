package daemon

import (
	"fmt"
	"net/http"
	"runtime"
	"runtime/pprof"
	"runtime/trace"
	"sort"
	"strconv"
	"strings"
	"time"
)

// pprofHandler serves the runtime profiles under /debug/pprof/, as
// net/http/pprof does, without that package's registration on
// http.DefaultServeMux:
//
//   - /debug/pprof/: the list of profiles, as text;
//   - /debug/pprof/NAME: the runtime/pprof profile NAME (goroutine, heap,
//     allocs, block, mutex, threadcreate), in the protobuf format, or as
//     text with ?debug=1 or ?debug=2; ?gc=1 runs a GC before a heap
//     profile;
//   - /debug/pprof/profile?seconds=N: a CPU profile of N seconds
//     (default 30);
//   - /debug/pprof/trace?seconds=N: an execution trace of N seconds
//     (default 1).
func pprofHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		w.Header().Set("Cache-Control", "no-store")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		switch name := strings.TrimPrefix(r.URL.Path, "/debug/pprof/"); name {
		case "":
			pprofIndex(w)
		case "profile":
			cpuProfile(w, r)
		case "trace":
			execTrace(w, r)
		default:
			namedProfile(w, r, name)
		}
	})
}

// pprofIndex lists the profiles with their counts.
func pprofIndex(w http.ResponseWriter) {
	profiles := pprof.Profiles()
	sort.Slice(profiles, func(i, j int) bool { return profiles[i].Name() < profiles[j].Name() })
	var b strings.Builder
	b.WriteString("profiles (count name):\n")
	for _, p := range profiles {
		fmt.Fprintf(&b, "%d\t%s\n", p.Count(), p.Name())
	}
	b.WriteString("\nprofile?seconds=N\tCPU profile\ntrace?seconds=N\texecution trace\n")
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	fmt.Fprint(w, b.String())
}

// namedProfile writes the runtime/pprof profile name.
func namedProfile(w http.ResponseWriter, r *http.Request, name string) {
	p := pprof.Lookup(name)
	if p == nil {
		http.Error(w, "unknown profile "+strconv.Quote(name), http.StatusNotFound)
		return
	}
	debug, err := strconv.Atoi(r.FormValue("debug"))
	if err != nil && r.FormValue("debug") != "" {
		http.Error(w, "debug must be an integer", http.StatusBadRequest)
		return
	}
	if name == "heap" && r.FormValue("gc") != "" {
		runtime.GC()
	}
	if debug != 0 {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	} else {
		w.Header().Set("Content-Type", "application/octet-stream")
		w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
	}
	p.WriteTo(w, debug) // an error here is the client's connection: nothing to report to
}

// seconds reads the "seconds" parameter, def when absent.
func seconds(r *http.Request, def time.Duration) (time.Duration, error) {
	v := r.FormValue("seconds")
	if v == "" {
		return def, nil
	}
	s, err := strconv.ParseFloat(v, 64)
	if err != nil || !(s > 0 && s <= 3600) { // NaN is neither
		return 0, fmt.Errorf("seconds must be a number above 0 and at most 3600, not %q", v)
	}
	return time.Duration(s * float64(time.Second)), nil
}

// cpuProfile writes a CPU profile taken over the requested duration.
func cpuProfile(w http.ResponseWriter, r *http.Request) {
	d, err := seconds(r, 30*time.Second)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Disposition", `attachment; filename="profile"`)
	if err := pprof.StartCPUProfile(w); err != nil {
		w.Header().Del("Content-Disposition")
		http.Error(w, "cannot start the CPU profile: "+err.Error(), http.StatusInternalServerError)
		return
	}
	wait(r, d)
	pprof.StopCPUProfile()
}

// execTrace writes an execution trace taken over the requested duration.
func execTrace(w http.ResponseWriter, r *http.Request) {
	d, err := seconds(r, time.Second)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Disposition", `attachment; filename="trace"`)
	if err := trace.Start(w); err != nil {
		w.Header().Del("Content-Disposition")
		http.Error(w, "cannot start the trace: "+err.Error(), http.StatusInternalServerError)
		return
	}
	wait(r, d)
	trace.Stop()
}

// wait waits for d, or until the client goes away.
func wait(r *http.Request, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-r.Context().Done():
	}
}
