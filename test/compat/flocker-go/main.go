// A Flocker API client session through ClusterHQ's own Go client (Debian's
// golang-github-clusterhq-flocker-go-dev), with its own TLS setup: find this node, create a
// dataset (the client waits until the dataset is in the cluster state), find it by name, move it
// to another node, delete it. Each step prints one line the drover test reads.
//
// Build offline, in GOPATH mode: GO111MODULE=off GOPATH=/usr/share/gocode go build -o DIR/flocker-go .
package main

import (
	"fmt"
	"net/http"
	"os"
	"strconv"

	flocker "github.com/ClusterHQ/flocker-go"
)

func main() {
	if len(os.Args) != 9 {
		fmt.Fprintln(os.Stderr, "usage: flocker-go HOST PORT CLIENT-IP CA CERT KEY NAME OTHER-NODE-UUID")
		os.Exit(2)
	}
	host, clientIP, ca, cert, key, name, other := os.Args[1], os.Args[3], os.Args[4], os.Args[5], os.Args[6], os.Args[7], os.Args[8]
	port, err := strconv.Atoi(os.Args[2])
	check("port", err)

	c, err := flocker.NewClient(host, port, clientIP, ca, key, cert)
	check("client", err)

	primary, err := c.GetPrimaryUUID()
	check("primary", err)
	fmt.Printf("primary %s\n", primary)

	state, err := c.CreateDataset(name)
	check("create", err)
	fmt.Printf("created %s primary %s path %s\n", state.DatasetID, state.Primary, state.Path)

	id, err := c.GetDatasetID(name)
	check("find", err)
	fmt.Printf("found %s\n", id)

	moved, err := c.UpdatePrimaryForDataset(other, id)
	check("move", err)
	fmt.Printf("moved %s primary %s\n", moved.DatasetID, moved.Primary)

	// The client has no delete: the route through its own HTTPS client, as a caller would.
	req, err := http.NewRequest("DELETE", fmt.Sprintf("https://%s:%d/v1/configuration/datasets/%s", host, port, id), nil)
	check("delete request", err)
	resp, err := c.Do(req)
	check("delete", err)
	resp.Body.Close()
	fmt.Printf("deleted %s status %d\n", id, resp.StatusCode)

	if _, err := c.GetDatasetID(name); err != nil {
		fmt.Printf("gone %s\n", err)
	} else {
		fmt.Println("still found after delete")
		os.Exit(1)
	}
}

func check(step string, err error) {
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", step, err)
		os.Exit(1)
	}
}
