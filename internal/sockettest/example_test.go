package sockettest_test

import (
	"fmt"
	"net"
	"os"

	"github.com/trustedip/trustedip/internal/sockettest"
)

// A client names its Unix socket "6.6.6.6:1234", and the server sees that
// name as the client's address.
func ExampleDialUnixAs() {
	dir, _ := os.MkdirTemp("", "example")
	defer os.RemoveAll(dir)
	wd, _ := os.Getwd()
	defer os.Chdir(wd)
	os.Chdir(dir)
	l, err := net.Listen("unix", "server.sock")
	if err != nil {
		return
	}
	defer l.Close()
	go func() {
		if c, err := sockettest.DialUnixAs("server.sock", "6.6.6.6:1234"); err == nil {
			defer c.Close()
			c.Read(make([]byte, 1))
		}
	}()
	c, err := l.Accept()
	if err != nil {
		return
	}
	defer c.Close()
	fmt.Println(c.RemoteAddr())
	// Output: 6.6.6.6:1234
}
