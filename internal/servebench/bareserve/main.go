// Command bareserve serves servebench's bare handler, the baseline that
// make bench-serve measures otnsim serve against.
//
//	bareserve [-addr 127.0.0.1:8788]
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/otnsim/otnsim/internal/httpserver"
	"github.com/otnsim/otnsim/internal/servebench"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8788", "address to listen on")
	flag.Parse()
	srv := httpserver.New(servebench.Bare())
	srv.Addr = *addr
	fmt.Printf("bareserve: listening on http://%s\n", *addr)
	if err := srv.ListenAndServe(); err != nil {
		fmt.Fprintf(os.Stderr, "bareserve: %v\n", err)
		os.Exit(2)
	}
}
