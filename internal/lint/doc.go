// Package lint holds checks on the project's own source that the compiler
// and go vet do not make: see its tests.
package lint
