package srcauth_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"net/netip"
	"os"
	"time"

	"github.com/trustedip/trustedip/srcauth"
)

// Attach in Monitor mode first, read what would be dropped, then enforce.
// Block an abusive direct client by its socket peer address.
func ExampleAttach() {
	f, err := srcauth.Attach("eth0", srcauth.WithMode(srcauth.Monitor), srcauth.WithReversePath(srcauth.Strict))
	switch {
	case errors.Is(err, srcauth.ErrForwardingDisabled):
		log.Fatal("set net.ipv4.conf.eth0.forwarding=1 (and the IPv6 switch) first: ", err)
	case errors.Is(err, srcauth.ErrPermission):
		log.Fatal("run with CAP_BPF and CAP_NET_ADMIN: ", err)
	case err != nil:
		log.Fatal(err)
	}
	defer f.Close()

	if err := f.Deny(netip.MustParseAddr("203.0.113.66")); err != nil {
		log.Print(err)
	}

	var prev srcauth.Counters
	for range time.Tick(10 * time.Second) {
		if err := f.Health(); err != nil {
			log.Print(err) // checks are not running: never report this as healthy
		}
		c, err := f.Counters()
		if err != nil {
			log.Fatal(err)
		}
		d := c.Sub(prev)
		prev = c
		fmt.Printf("%d packets, %d would be dropped (%d spoofed, %d unroutable)\n",
			d.Total().Packets, d.Failed().Packets,
			d.Verdicts[srcauth.WrongInterface].Packets, d.Verdicts[srcauth.NoRoute].Packets)
		top, _ := f.Sources(5)
		json.NewEncoder(os.Stdout).Encode(map[string]any{"counters": c, "top-sources": top})
	}
}

// Counters marshal to JSON with kebab-case verdict names.
func ExampleCounters_MarshalJSON() {
	var c srcauth.Counters
	c.Mode = srcauth.Enforce
	c.Verdicts[srcauth.Pass] = srcauth.Count{Packets: 3, Bytes: 222}
	c.Verdicts[srcauth.WrongInterface] = srcauth.Count{Packets: 1, Bytes: 74}
	b, _ := json.Marshal(c)
	fmt.Println(string(b))
	// Output:
	// {"mode":"enforce","verdicts":{"pass":{"packets":3,"bytes":222},"exempt":{"packets":0,"bytes":0},"non-ip":{"packets":0,"bytes":0},"denied":{"packets":0,"bytes":0},"wrong-interface":{"packets":1,"bytes":74},"no-route":{"packets":0,"bytes":0},"forwarding-disabled":{"packets":0,"bytes":0},"lookup-error":{"packets":0,"bytes":0},"malformed":{"packets":0,"bytes":0}},"total":{"packets":4,"bytes":296},"failed":{"packets":1,"bytes":74},"dropped":{"packets":1,"bytes":74}}
}
