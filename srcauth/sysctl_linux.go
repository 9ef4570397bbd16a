package srcauth

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"strings"
)

// forwarding watches the interface's forwarding switches, which
// bpf_fib_lookup requires: with forwarding off on the ingress device it
// answers BPF_FIB_LKUP_RET_FWD_DISABLED for every packet.
//
// The files are opened once, at Attach. /proc/sys/net shows the network
// namespace of the thread that opens it, so a Filter attached from a thread
// inside another namespace keeps reading that namespace's switches.
type forwarding struct {
	name   string
	v4, v6 *os.File // nil: that family is not checked
}

func openForwarding(name string, rp4, rp6 ReversePath) (*forwarding, error) {
	f := &forwarding{name: name}
	if rp4 != Off {
		file, err := os.Open("/proc/sys/net/ipv4/conf/" + name + "/forwarding")
		if err != nil {
			// Every interface has an IPv4 configuration directory while it
			// exists, so a missing one means the interface went (or was
			// renamed) since it was looked up. Saying "forwarding disabled"
			// would send the operator to the wrong switch.
			k := ErrOther
			if errors.Is(err, fs.ErrNotExist) {
				k = ErrNoInterface
			}
			return nil, &Error{Op: "check forwarding", Iface: name, Kind: k,
				Err: errors.Join(errString("no IPv4 configuration for the interface"), err)}
		}
		f.v4 = file
	}
	if rp6 != Off {
		dir := "/proc/sys/net/ipv6/conf/" + name + "/"
		file, err := os.Open(dir + "forwarding")
		switch {
		case errors.Is(err, fs.ErrNotExist):
			// IPv6 is not configured on this interface (or in this kernel):
			// the kernel drops IPv6 arriving there, so there is nothing to
			// check.
		case err != nil:
			f.close()
			return nil, &Error{Op: "check forwarding", Iface: name, Kind: ErrOther, Err: err}
		default:
			if v, err := os.ReadFile(dir + "disable_ipv6"); err == nil && strings.TrimSpace(string(v)) == "1" {
				file.Close()
			} else {
				f.v6 = file
			}
		}
	}
	return f, nil
}

// check returns an ErrForwardingDisabled error naming each switch that is
// off, or ErrNoInterface when the interface's configuration has gone.
func (f *forwarding) check() error {
	var off []string
	for _, c := range []struct {
		file *os.File
		name string
	}{{f.v4, "net.ipv4.conf." + f.name + ".forwarding"}, {f.v6, "net.ipv6.conf." + f.name + ".forwarding"}} {
		if c.file == nil {
			continue
		}
		on, err := readSwitch(c.file)
		if err != nil {
			return &Error{Op: "check forwarding", Iface: f.name, Kind: ErrNoInterface, Err: err}
		}
		if !on {
			off = append(off, c.name)
		}
	}
	if len(off) > 0 {
		return &Error{Op: "check forwarding", Iface: f.name, Kind: ErrForwardingDisabled,
			Err: errString("set " + strings.Join(off, "=1 and ") + "=1, or turn the reverse-path check off for that family")}
	}
	return nil
}

func readSwitch(file *os.File) (bool, error) {
	var buf [16]byte
	n, err := file.ReadAt(buf[:], 0)
	if n == 0 && err != nil {
		if err == io.EOF {
			err = errString("empty sysctl")
		}
		return false, err
	}
	v := strings.TrimSpace(string(buf[:n]))
	return v != "" && v != "0", nil
}

func (f *forwarding) close() {
	if f.v4 != nil {
		f.v4.Close()
	}
	if f.v6 != nil {
		f.v6.Close()
	}
}
