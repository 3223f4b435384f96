package supervisor_test

import (
	"encoding/json"
	"fmt"

	"github.com/arbor-go/arbor/supervisor"
)

// A snapshot's JSON is flat: its nodes in pre-order, each with its parent's
// id and its name. Cut to limits, it says what it left out.
func ExampleSnapshot_Flatten() {
	// A snapshot as Supervisor.Snapshot returns it, made by hand here.
	worker := func(path, name string) supervisor.Snapshot {
		return supervisor.Snapshot{Path: path, Name: name, Kind: supervisor.KindWorker,
			State: supervisor.StateRunning, Ready: true, Incarnation: 1}
	}
	snap := supervisor.Snapshot{Path: "root", Name: "root", Kind: supervisor.KindSupervisor,
		State: supervisor.StateRunning, Ready: true, Children: []supervisor.Snapshot{
			worker("root/http", "http"),
			{Path: "root/db", Name: "db", Kind: supervisor.KindSupervisor, State: supervisor.StateRunning,
				Ready: true, Incarnation: 1, Children: []supervisor.Snapshot{
					worker("root/db/pool-1", "pool-1"),
					worker("root/db/pool-2", "pool-2"),
				}},
		}}

	flat := snap.Flatten(supervisor.TreeLimits{MaxNodes: 4})
	body, _ := flat.MarshalJSON()
	fmt.Printf("%s\n\n%s\n\n", body, flat)

	// Decoding rebuilds the paths from the names.
	var back supervisor.Snapshot
	err := json.Unmarshal(body, &back)
	fmt.Println(back.Children[1].Children[0].Path)
	fmt.Println(err)
	// Output:
	// {"version":2,"path":"root","truncated":{"nodes_omitted":1,"max_nodes":4},"nodes":[
	// {"id":0,"parent":-1,"name":"root","kind":"supervisor","state":"running","restarts":0,"ready":true,"wait_ready":false,"incarnation":0},
	// {"id":1,"parent":0,"name":"http","kind":"worker","state":"running","restarts":0,"ready":true,"wait_ready":false,"incarnation":1},
	// {"id":2,"parent":0,"name":"db","kind":"supervisor","state":"running","restarts":0,"ready":true,"wait_ready":false,"incarnation":1,"children_omitted":1},
	// {"id":3,"parent":2,"name":"pool-1","kind":"worker","state":"running","restarts":0,"ready":true,"wait_ready":false,"incarnation":1}
	// ]}
	//
	// root [supervisor running ready]
	//   http [worker running ready restarts=0]
	//   db [supervisor running ready restarts=0]
	//     pool-1 [worker running ready restarts=0]
	//     ... 1 more child not shown
	// (truncated: 1 node omitted; max_nodes 4)
	//
	// root/db/pool-1
	// supervisor: truncated tree: 1 node omitted; max_nodes 4
}
