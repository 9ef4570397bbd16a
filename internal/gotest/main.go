// Command gotest runs go test and ends with what a plain run keeps quiet:
// how many tests were skipped, and why. It takes go test's arguments,
//
//	go run ./internal/gotest -race $(go list -m -f '{{.Dir}}/...')
//
// runs go test -json with them, and prints what go test prints without
// -v: each package's ok line, and each failing test's output in full.
// Then a summary: the failed tests and the packages that did not build,
// and the skipped tests grouped by the reason they gave (no nginx, not
// root, the race detector). A test that skips needs something this
// machine lacks, and a run that skipped it has not checked what it
// checks; without -v nothing says so.
//
// It exits with go test's status: 0 when every test passed or skipped.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run runs go test -json with args and reports on stdout. It returns the
// exit status.
func run(args []string, stdout, stderr io.Writer) int {
	// Ctrl-C reaches go test too, which stops and reports what it ran;
	// the summary of that is still worth printing.
	signal.Ignore(os.Interrupt)

	cmd := exec.Command("go", append([]string{"test", "-json"}, args...)...)
	cmd.Stderr = stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		fmt.Fprintln(stderr, "gotest:", err)
		return 2
	}
	if err := cmd.Start(); err != nil {
		fmt.Fprintln(stderr, "gotest:", err)
		return 2
	}
	r := newReport(stdout)
	readErr := r.read(out)
	waitErr := cmd.Wait()
	r.summary()
	switch {
	case readErr != nil:
		fmt.Fprintln(stderr, "gotest: reading go test's output:", readErr)
		return 2
	case waitErr != nil:
		var exit *exec.ExitError
		if errors.As(waitErr, &exit) && exit.ExitCode() > 0 {
			return exit.ExitCode()
		}
		fmt.Fprintln(stderr, "gotest:", waitErr)
		return 2
	case r.failed():
		return 1 // go test exits 1 then too; this is in case it did not
	}
	return 0
}
