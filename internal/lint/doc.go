// Package lint checks the project's own source for what the compiler and
// go vet do not: that every package has a package doc and an Example, and
// that every exported identifier has a doc comment. Its test runs the
// check over the whole module, so CI enforces it.
package lint
