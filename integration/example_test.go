package integration

import "fmt"

// The oracle's nginx server block: the realip module trusting all of
// loopback, walking X-Forwarded-For from the right past trusted hops, and
// answering with the address it settled on. TestNginxRealIPOracle sends the
// same headers here and to `clientip resolve --jsonl` with
// {"trusted_proxies":["127.0.0.0/8"],"header":"X-Forwarded-For"}.
func Example_realIPServer() {
	fmt.Print(realIPServer("127.0.0.1:8080").render(""))
	// Output:
	//     server {
	//         listen 127.0.0.1:8080;
	//         set_real_ip_from 127.0.0.0/8;
	//         real_ip_header X-Forwarded-For;
	//         real_ip_recursive on;
	//         location / { return 200 "$remote_addr"; }
	//     }
}
