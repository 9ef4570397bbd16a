package e2e

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
)

// childEnv, set to "1", makes ServeChild serve instead of returning.
const childEnv = "TRUSTEDIP_E2E_SERVE"

// ServeChild must be called first thing in main (and in TestMain) of any
// program that calls Run: Run re-executes the program with childEnv set
// to get its servers in a process of their own, and in that process
// ServeChild starts them, writes their addresses to stdout as one JSON
// object, serves until stdin is closed, and exits. Otherwise it returns at
// once.
func ServeChild() {
	if os.Getenv(childEnv) != "1" {
		return
	}
	s, err := startServers()
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e servers:", err)
		os.Exit(1)
	}
	if err := json.NewEncoder(os.Stdout).Encode(s.addrs); err != nil {
		os.Exit(1)
	}
	_, _ = io.Copy(io.Discard, os.Stdin) // until the parent closes it
	s.stop()
	os.Exit(0)
}

// child is the server process.
type child struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	addrs map[string]string
}

// startChild starts this program as the server process, on cpus when
// pin is set, with GOMAXPROCS procs.
func startChild(cpus []int, pin bool, procs int) (*child, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(exe)
	cmd.Env = append(os.Environ(), childEnv+"=1", "GOMAXPROCS="+strconv.Itoa(procs))
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if pin {
		err = startPinned(cmd, cpus)
	} else {
		err = cmd.Start()
	}
	if err != nil {
		return nil, err
	}
	c := &child{cmd: cmd, stdin: stdin}
	line, err := bufio.NewReader(stdout).ReadBytes('\n')
	if err == nil {
		err = json.Unmarshal(line, &c.addrs)
	}
	if err != nil {
		c.stop()
		return nil, fmt.Errorf("e2e: the server process did not start (is ServeChild called first in main?): %v", err)
	}
	return c, nil
}

// stop closes the child's stdin, which ends it, and waits for it.
func (c *child) stop() {
	c.stdin.Close()
	_ = c.cmd.Wait()
}
