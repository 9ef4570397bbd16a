//go:build !unix

package main

// kernel is left empty where there is no uname.
func kernel() string { return "" }
