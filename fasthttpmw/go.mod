module github.com/trustedip/trustedip/fasthttpmw

go 1.26.0

require (
	github.com/trustedip/trustedip v0.0.0-00010101000000-000000000000
	github.com/valyala/fasthttp v1.70.0
)

require (
	github.com/andybalholm/brotli v1.2.1 // indirect
	github.com/gaissmai/bart v0.30.0 // indirect
	github.com/klauspost/compress v1.18.5 // indirect
	github.com/valyala/bytebufferpool v1.0.0 // indirect
	golang.org/x/sys v0.48.0 // indirect
)
