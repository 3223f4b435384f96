// Command example will show a small supervision tree built with arbor.
//
// It is a placeholder for now: it prints one line and exits.
package main

import "fmt"

func main() {
	fmt.Println("arbor: the full example is coming; see README.md")
}
