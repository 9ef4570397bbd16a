//go:build unix

package main

import "golang.org/x/sys/unix"

// kernel names the operating system's kernel and release, as uname does.
func kernel() string {
	var u unix.Utsname
	if err := unix.Uname(&u); err != nil {
		return ""
	}
	return unix.ByteSliceToString(u.Sysname[:]) + " " + unix.ByteSliceToString(u.Release[:])
}
