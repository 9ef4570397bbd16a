package netconn_test

import (
	"fmt"
	"log"
	"net/http"

	"github.com/trustedip/trustedip/core/netconn"
)

// An HTTP server behind a TPROXY rule (see ListenTransparent for the
// rule). The client's connection reaches it unchanged: r.RemoteAddr is
// the client's own address, with no PROXY header or forwarding header to
// trust, and the connection's original destination is the address the
// client dialled. It needs CAP_NET_ADMIN.
func ExampleListenTransparent() {
	ln, err := netconn.ListenTransparent("tcp", ":8080")
	if err != nil {
		log.Fatal(err) // not permitted without CAP_NET_ADMIN; unsupported off Linux and FreeBSD
	}
	srv := &http.Server{
		ConnContext: netconn.ConnContext,
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			info, _ := netconn.InfoFromContext(r.Context())
			fmt.Fprintf(w, "client %s dialled %s\n", r.RemoteAddr, info.OriginalDst)
		}),
	}
	log.Fatal(srv.Serve(netconn.NewListener(ln)))
}

// A UDP service behind a TPROXY rule that sends it datagrams for any
// address on port 53. Each reply leaves from the address and port the
// client asked, which is not local: the transparent socket may send from
// it.
func ExampleWithTransparent() {
	pc, err := netconn.ListenPacket("udp", ":5353", netconn.WithTransparent(true))
	if err != nil {
		log.Fatal(err)
	}
	defer pc.Close()
	buf := make([]byte, 1500)
	for {
		n, d, err := pc.ReadDatagram(buf)
		if err != nil {
			log.Fatal(err)
		}
		log.Printf("%s asked %s (%d bytes)", d.Src, d.OrigDst, n)
		if _, err := pc.Reply(buf[:n], d); err != nil {
			log.Print(err)
		}
	}
}
