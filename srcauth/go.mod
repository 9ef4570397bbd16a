module github.com/trustedip/trustedip/srcauth

go 1.26.0

require (
	github.com/cilium/ebpf v0.22.0
	github.com/trustedip/trustedip v0.0.0-00010101000000-000000000000
	golang.org/x/sys v0.49.0
)

require (
	golang.org/x/net v0.62.0 // indirect
	golang.org/x/sync v0.24.0 // indirect
)
