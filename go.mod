module github.com/trustedip/trustedip

go 1.26.0

require (
	github.com/gaissmai/bart v0.30.0
	golang.org/x/sys v0.48.0
)
