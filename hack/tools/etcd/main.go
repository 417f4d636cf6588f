// Command etcd is etcd's own main (go.etcd.io/etcd/server/v3/main.go) in a
// module of its own, because etcd's server module cannot be `go install`ed.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() { etcdmain.Main(os.Args) }
