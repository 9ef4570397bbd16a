package core

import (
	"errors"
	"fmt"
)

var (
	errEmptyEntry = errors.New("empty entry")
	errNotPrefix  = errors.New("not an IP address or CIDR")
	errZone       = errors.New("a zone is not allowed: trust is decided per address, and zones are dropped before matching")
)

// EntryError reports an entry of a trusted list that is not a CIDR, an
// address or a preset name.
type EntryError struct {
	Field string // "trusted_proxies" or "trusted_peers"; "" for NewTrustSet
	Index int    // position in the list
	Entry string // the entry as written
	Err   error  // what is wrong with it
}

// Error names the entry and what is wrong with it.
func (e *EntryError) Error() string {
	if e.Field == "" {
		return fmt.Sprintf("entry %d %q: %v", e.Index, e.Entry, e.Err)
	}
	return fmt.Sprintf("%s[%d] %q: %v", e.Field, e.Index, e.Entry, e.Err)
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
