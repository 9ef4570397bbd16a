// Package sockettest has what the adapters' tests share for attacking
// them over real sockets: Unix-socket clients that bind their own socket
// to a name that reads like an address.
package sockettest

import (
	"context"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"testing"
)

// ListenUnix listens on a fresh Unix socket in a temporary directory, or
// skips the test where there are none.
func ListenUnix(t testing.TB) (net.Listener, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "server.sock")
	l, err := net.Listen("unix", path)
	if err != nil {
		t.Skip("no Unix sockets here:", err)
	}
	t.Cleanup(func() { l.Close() })
	return l, path
}

// DialUnixAs connects to the Unix socket at path from a client socket
// bound to name. A relative name is bound in the current directory, and
// the server then sees exactly name as the client's address: net/http
// puts it in Request.RemoteAddr. So a name like "127.0.0.1:1" is a local
// client claiming to be a trusted proxy, and "6.6.6.6:1234" one choosing
// its address. Tests that use it must first change to a directory of
// their own (t.Chdir). The name's file is removed once the socket is
// connected (the socket keeps its name), so the next client can bind it.
func DialUnixAs(path, name string) (net.Conn, error) {
	c, err := net.DialUnix("unix", &net.UnixAddr{Name: name, Net: "unix"}, &net.UnixAddr{Name: path, Net: "unix"})
	os.Remove(name)
	return c, err
}

// ClientAs returns an HTTP client whose every connection goes to the Unix
// socket at path from a client socket bound to name (see DialUnixAs). It
// changes the test's working directory to a temporary one for the bound
// names.
func ClientAs(t testing.TB, path, name string) *http.Client {
	t.Helper()
	t.Chdir(t.TempDir())
	tr := &http.Transport{DisableKeepAlives: true, DialContext: func(context.Context, string, string) (net.Conn, error) {
		return DialUnixAs(path, name)
	}}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr}
}
