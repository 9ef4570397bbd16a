package main

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// write writes every file of the report into dir and returns their paths.
func write(r *Report, dir string) ([]string, error) {
	var files []string
	add := func(name string, f func(path string) error) error {
		path := filepath.Join(dir, name)
		if err := f(path); err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		files = append(files, path)
		return nil
	}
	steps := []struct {
		name string
		f    func(string) error
	}{
		{"report.md", func(path string) error {
			var b bytes.Buffer
			writeMarkdown(&b, r)
			return os.WriteFile(path, b.Bytes(), 0o644)
		}},
		{"report.json", func(path string) error {
			b, err := json.MarshalIndent(r, "", "  ")
			if err != nil {
				return err
			}
			return os.WriteFile(path, append(b, '\n'), 0o644)
		}},
		{"overhead.svg", func(path string) error { return overheadChart(r, path) }},
		{"e2e.svg", func(path string) error { return e2eChart(r, path) }},
		{"scaling.svg", func(path string) error { return scalingChart(r, path) }},
	}
	for _, s := range steps {
		if err := add(s.name, s.f); err != nil {
			return files, err
		}
	}
	return files, nil
}

// verify reads back every file written: JSON must decode, and an SVG must
// be well-formed XML whose root is an svg element, so that a report that
// would not open fails here and not in a reader's browser.
func verify(files []string) error {
	for _, path := range files {
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		switch filepath.Ext(path) {
		case ".json":
			var r Report
			if err := json.Unmarshal(b, &r); err != nil {
				return fmt.Errorf("%s: %w", path, err)
			}
		case ".svg":
			if err := checkSVG(b); err != nil {
				return fmt.Errorf("%s: %w", path, err)
			}
		case ".md":
			if !bytes.HasPrefix(b, []byte("# ")) {
				return fmt.Errorf("%s: not the report", path)
			}
		}
	}
	return nil
}

func checkSVG(b []byte) error {
	d := xml.NewDecoder(bytes.NewReader(b))
	root := ""
	elements := 0
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
		if se, ok := tok.(xml.StartElement); ok {
			if root == "" {
				root = se.Name.Local
			}
			elements++
		}
	}
	if !strings.EqualFold(root, "svg") {
		return fmt.Errorf("root element %q, want svg", root)
	}
	if elements < 10 {
		return fmt.Errorf("only %d elements: an empty chart", elements)
	}
	return nil
}
