package srcauth_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"net/netip"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/trustedip/trustedip/srcauth"
)

// Attach in Monitor mode first, read what would be dropped, then enforce.
// Block an abusive direct client by its socket peer address. The filter
// is detached on every way out, a signal included: a clsact filter
// outlives the process that attached it.
func ExampleAttach() {
	if err := monitor("eth0"); err != nil {
		log.Fatal(err)
	}
}

func monitor(iface string) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	f, err := srcauth.Attach(iface, srcauth.WithMode(srcauth.Monitor), srcauth.WithReversePath(srcauth.Strict))
	switch {
	case errors.Is(err, srcauth.ErrRouting):
		// A routing rule it cannot evaluate: check loosely, or not at all.
		return fmt.Errorf("the routing policy cannot be mirrored; try WithReversePath(Loose) or Off: %w", err)
	case errors.Is(err, srcauth.ErrPermission):
		return fmt.Errorf("run with CAP_BPF and CAP_NET_ADMIN: %w", err)
	case err != nil:
		return err
	}
	defer f.Close()

	if err := f.Deny(netip.MustParseAddr("203.0.113.66")); err != nil {
		return err
	}

	t := time.NewTicker(10 * time.Second)
	defer t.Stop()
	var prev srcauth.Counters
	for {
		select {
		case <-ctx.Done():
			return f.Close()
		case <-t.C:
		}
		if err := f.Health(); err != nil {
			return err // checks are not running: never report this as healthy
		}
		c, err := f.Counters()
		if err != nil {
			return err
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
	// {"mode":"enforce","verdicts":{"pass":{"packets":3,"bytes":222},"exempt":{"packets":0,"bytes":0},"non-ip":{"packets":0,"bytes":0},"denied":{"packets":0,"bytes":0},"wrong-interface":{"packets":1,"bytes":74},"no-route":{"packets":0,"bytes":0},"v4-mapped":{"packets":0,"bytes":0},"lookup-error":{"packets":0,"bytes":0},"malformed":{"packets":0,"bytes":0}},"total":{"packets":4,"bytes":296},"failed":{"packets":1,"bytes":74},"dropped":{"packets":1,"bytes":74}}
}
