// Command corpuscheck compares the output of `clientip resolve --jsonl`
// with the wants of the corpus it ran, and exits 1 on any disagreement.
//
//	corpuscheck cases.jsonl output.jsonl
package main

import (
	"encoding/json"
	"fmt"
	"os"

	"github.com/trustedip/trustedip/internal/corpus"
)

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: corpuscheck cases.jsonl output.jsonl")
		os.Exit(2)
	}
	if err := check(os.Args[1], os.Args[2]); err != nil {
		fmt.Fprintln(os.Stderr, "corpuscheck:", err)
		os.Exit(1)
	}
}

func check(casesPath, outPath string) error {
	cf, err := os.Open(casesPath)
	if err != nil {
		return err
	}
	defer cf.Close()
	cases, err := corpus.ReadAll(cf)
	if err != nil {
		return err
	}
	of, err := os.Open(outPath)
	if err != nil {
		return err
	}
	defer of.Close()
	var outs []map[string]string
	if err := corpus.Lines(of, func(n int, line []byte) error {
		var o map[string]string
		if err := json.Unmarshal(line, &o); err != nil {
			return fmt.Errorf("output line %d: %w", n, err)
		}
		outs = append(outs, o)
		return nil
	}); err != nil {
		return err
	}
	if len(outs) != len(cases) {
		return fmt.Errorf("%d cases but %d output lines", len(cases), len(outs))
	}
	bad := 0
	for i, c := range cases {
		o := outs[i]
		got := corpus.Outcome{Name: o["name"], IP: o["ip"], Reason: o["reason"], Err: o["error"]}
		if got.Name != c.Name || c.Want == nil || !got.Matches(*c.Want) {
			bad++
			fmt.Printf("FAIL %s: got %v, want %+v\n", c.Name, o, c.Want)
		}
	}
	fmt.Printf("%d/%d cases agree\n", len(cases)-bad, len(cases))
	if bad > 0 {
		return fmt.Errorf("%d cases disagree", bad)
	}
	return nil
}
