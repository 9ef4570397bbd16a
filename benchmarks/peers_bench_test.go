package benchmarks

import (
	"testing"

	"github.com/trustedip/trustedip/core"
)

// Sinks keep the compiler from discarding the work.
var (
	sinkResult core.Result
	sinkString string
)

// BenchmarkClientIP compares core with its peers on the same inputs:
// BenchmarkClientIP/lib=<lib>/input=<input>. See the package doc for what
// each lib measures and how to compare them with benchstat.
//
// Everything is built before the timer starts: the resolver, gin's engine
// and Context, echo's extractor, chi's middleware chain, realclientip's
// strategy, and the request with its headers. The loops time only what a
// request costs.
func BenchmarkClientIP(b *testing.B) {
	for _, lib := range peerLibs {
		b.Run("lib="+lib, func(b *testing.B) {
			for _, in := range peerInputs {
				b.Run("input="+in.name, func(b *testing.B) {
					peerBenches[lib](b, in)
				})
			}
		})
	}
}

var peerBenches = map[string]func(*testing.B, peerInput){
	"ours":         benchOurs,
	"ours-str":     benchOursString,
	"gin":          benchGin,
	"echo":         benchEcho,
	"chi":          benchChi,
	"realclientip": benchRealClientIP,
}

func benchOurs(b *testing.B, in peerInput) {
	res, r := newOurs(b, in), newRequest(in)
	b.ReportAllocs()
	var out core.Result
	for b.Loop() {
		out = res.ResolvePeer(core.ParsePeer(r.RemoteAddr), r.Header)
	}
	sinkResult = out
}

func benchOursString(b *testing.B, in peerInput) {
	res, r := newOurs(b, in), newRequest(in)
	b.ReportAllocs()
	var out string
	for b.Loop() {
		out = res.ResolvePeer(core.ParsePeer(r.RemoteAddr), r.Header).String()
	}
	sinkString = out
}

func benchGin(b *testing.B, in peerInput) {
	c, skip := newGin(b, in)
	if skip != "" {
		b.Skip(skip)
	}
	b.ReportAllocs()
	var out string
	for b.Loop() {
		out = c.ClientIP()
	}
	sinkString = out
}

func benchEcho(b *testing.B, in peerInput) {
	extract, skip := newEcho(b, in)
	if skip != "" {
		b.Skip(skip)
	}
	r := newRequest(in)
	b.ReportAllocs()
	var out string
	for b.Loop() {
		out = extract(r)
	}
	sinkString = out
}

func benchChi(b *testing.B, in peerInput) {
	ch, skip := newChi(b, in)
	if skip != "" {
		b.Skip(skip)
	}
	r := newRequest(in)
	b.ReportAllocs()
	var out string
	for b.Loop() {
		out = ch.clientIP(r)
	}
	sinkString = out
}

func benchRealClientIP(b *testing.B, in peerInput) {
	s, r := newRealClientIP(b, in), newRequest(in)
	b.ReportAllocs()
	var out string
	for b.Loop() {
		out = s.ClientIP(r.Header, r.RemoteAddr)
	}
	sinkString = out
}
