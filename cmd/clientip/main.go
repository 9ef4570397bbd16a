// Command clientip explains and serves trustedip's client-IP decisions.
//
//	clientip resolve   explain one decision, or run JSON-lines cases
//	clientip serve     a whoami server on every adapter
//	clientip srcauth   check packets' source addresses at TC ingress (eBPF)
//
// Run "clientip <command> -h" for a command's flags.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
)

const usage = `clientip: which IP is the client, as far as it can be verified

Usage:
  clientip resolve [flags]   explain one decision (--jsonl: run cases from stdin)
  clientip serve [flags]     whoami server on net/http, gin, echo, fasthttp and gRPC
  clientip srcauth [flags]   check packets' source addresses at an interface (eBPF, Linux, root)

Run "clientip <command> -h" for the flags of a command.
`

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// run is main without the process: it returns the exit status.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	var err error
	switch args[0] {
	case "resolve":
		err = runResolve(args[1:], stdin, stdout, stderr)
	case "serve":
		err = runServe(args[1:], stdout, stderr)
	case "srcauth":
		err = runSrcauth(args[1:], stdout, stderr)
	case "-h", "-help", "--help", "help":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		fmt.Fprintf(stderr, "clientip: unknown command %q\n\n%s", args[0], usage)
		return 2
	}
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.As(err, new(usageError)):
		fmt.Fprintf(stderr, "clientip %s: %v\n", args[0], err)
		return 2
	}
	fmt.Fprintf(stderr, "clientip %s: %v\n", args[0], err)
	return 1
}

// usageError is a mistake in the command line or the configuration: exit
// status 2.
type usageError struct{ error }

func usagef(format string, a ...any) error { return usageError{fmt.Errorf(format, a...)} }
