package core

import (
	"errors"
	"fmt"
)

var (
	errEmptyEntry = errors.New("empty entry")
	errZone       = errors.New("a zone is not allowed: trust is decided per address, and zones are dropped before matching")
)

// EntryError reports a trusted_proxies entry that is not a CIDR, an address
// or a preset name.
type EntryError struct {
	Index int    // position in the list
	Entry string // the entry as written
	Err   error  // what is wrong with it
}

// Error names the entry and what is wrong with it.
func (e *EntryError) Error() string {
	return fmt.Sprintf("trusted_proxies[%d] %q: %v", e.Index, e.Entry, e.Err)
}

// Unwrap returns the underlying error.
func (e *EntryError) Unwrap() error { return e.Err }

// ConfigError reports a Config field with an invalid value.
type ConfigError struct {
	Field string // the JSON name of the field
	Err   error
}

// Error names the field and what is wrong with it.
func (e *ConfigError) Error() string { return fmt.Sprintf("%s: %v", e.Field, e.Err) }

// Unwrap returns the underlying error.
func (e *ConfigError) Unwrap() error { return e.Err }
