// Package integration runs trustedip behind real reverse proxies: nginx and
// HAProxy as Debian ships them, started on loopback for each test, with
// `clientip serve` behind them on all five adapters.
//
// Unit tests check the resolution rules against our own reading of them;
// this suite checks them against what deployed proxies actually put on the
// wire. A proxy that appends a header line instead of extending one, joins
// a client's lines, or sends a PROXY header with TLVs is exercised here for
// real, and nginx's realip module serves as an independent oracle for the
// X-Forwarded-For walk. Where our contract deliberately answers differently
// from nginx, the difference is listed in docs/nginx-realip.md, and the
// oracle test reads that table: an unlisted difference fails, and so does a
// listed one that has gone away.
//
// Two attacks on the adapters are checked here behind real proxies: a
// chunked body's trailer fields passed on by HAProxy (fasthttp reads them
// into its header list), and a quote left open in a Forwarded line that
// nginx appends its element to. Bridges run here too: gin and echo served
// by fasthttp through fasthttpadaptor, where fasthttp, not net/http,
// decides which header names a client may send.
//
// The package holds tests only. They need the nginx and haproxy binaries
// (looked up on PATH and in /usr/sbin); without them the tests skip, unless
// TRUSTEDIP_REQUIRE_PROXIES=1 makes that a failure, as CI does. To run the
// suite locally on Debian or Ubuntu:
//
//	apt-get install -y nginx-light haproxy
//	go test -race ./integration/
//
// Each proxy runs in the foreground as a child of the test binary, with its
// configuration, pid file, logs and temporary files in a t.TempDir(), and is
// killed and reaped when its test ends.
package integration
