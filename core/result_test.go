package core

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"strings"
	"testing"
)

// TestResultJSON: every Result, the zero one included, marshals to an
// object a log reader can use, and a Peer is its text.
func TestResultJSON(t *testing.T) {
	r := MustNew(Config{TrustedProxies: []string{"10.0.0.0/8"}, Header: "X-Forwarded-For", TrustUnixSocket: true})
	for _, tt := range []struct {
		res  Result
		want string
	}{
		{Result{}, `{"ip":"","reason":"","peer":""}`},
		{r.ResolveValues(ParsePeer("10.0.0.2:443"), []string{"[2001:db8::1]:4711, 10.0.0.1"}),
			`{"ip":"2001:db8::1","port":4711,"reason":"header","peer":"10.0.0.2:443","header":"X-Forwarded-For","hop":2}`},
		{r.ResolveValues(ParsePeer("198.51.100.9:5"), []string{"6.6.6.6"}),
			`{"ip":"198.51.100.9","port":5,"reason":"peer-untrusted","peer":"198.51.100.9:5","header_ignored":true}`},
		{r.ResolveValues(UnixPeer(), nil), `{"ip":"","reason":"no-header","peer":"@"}`},
		{r.ResolveValues(ParsePeer("nonsense"), nil), `{"ip":"","reason":"no-peer","peer":""}`},
	} {
		b, err := json.Marshal(tt.res)
		if err != nil || string(b) != tt.want {
			t.Errorf("%+v: %s %v, want %s", tt.res, b, err, tt.want)
		}
	}
	b, err := json.Marshal(struct{ P Peer }{ParsePeer("[::ffff:10.0.0.1]:80")})
	if err != nil || string(b) != `{"P":"10.0.0.1:80"}` {
		t.Errorf("a Peer marshals as %s %v", b, err)
	}
}

func TestReasonText(t *testing.T) {
	for r, want := range map[Reason]string{ReasonUnset: "", ReasonPeerUntrusted: "peer-untrusted", ReasonNoPeer: "no-peer",
		ReasonNoHeader: "no-header", ReasonHeader: "header", ReasonAllTrusted: "all-trusted", ReasonBroken: "broken"} {
		b, err := r.MarshalText()
		if err != nil || string(b) != want || r.String() != want {
			t.Errorf("%d: %q %v, want %q", r, b, err, want)
		}
	}
	if _, err := Reason(99).MarshalText(); err == nil || Reason(99).String() != "Reason(99)" {
		t.Error("Reason(99) marshals")
	}
}

// TestResultText: AppendTo writes String's text without allocating.
func TestResultText(t *testing.T) {
	r := MustNew(Config{TrustedProxies: []string{"loopback"}, Header: "X-Forwarded-For"})
	for _, in := range []string{"203.0.113.7", "2001:db8::7", "::ffff:192.0.2.1"} {
		res := r.ResolveValues(ParsePeer("127.0.0.1:1"), []string{in})
		buf := make([]byte, 0, 64)
		if got := string(res.AppendTo(buf)); got != res.String() || got != res.Addr.String() {
			t.Errorf("%s: AppendTo %q, String %q", in, got, res.String())
		}
		if n := testing.AllocsPerRun(100, func() { buf = res.AppendTo(buf[:0]) }); n != 0 {
			t.Errorf("AppendTo allocates %v times", n)
		}
	}
	if got := (Result{}).AppendTo([]byte("x")); string(got) != "x" || (Result{}).String() != "" {
		t.Errorf("no address: %q", got)
	}
}

func TestResultLogValue(t *testing.T) {
	r := MustNew(Config{TrustedProxies: []string{"loopback"}, Header: "X-Forwarded-For"})
	var b strings.Builder
	logger := slog.New(slog.NewJSONHandler(&b, nil))
	logger.Info("x", "client", r.Resolve(ParsePeer("192.0.2.1:7"), http.Header{"X-Forwarded-For": {"6.6.6.6"}}))
	if !strings.Contains(b.String(), `"client":{"ip":"192.0.2.1","reason":"peer-untrusted","peer":"192.0.2.1:7","header_ignored":true}`) {
		t.Errorf("logged %s", b.String())
	}
}

// TestHeaderIgnored: set when a peer that may not send the header sent
// it, and only then.
func TestHeaderIgnored(t *testing.T) {
	r := MustNew(Config{TrustedProxies: []string{"10.0.0.0/8"}, Header: "X-Forwarded-For"})
	for _, tt := range []struct {
		peer  Peer
		lines []string
		want  bool
	}{
		{ParsePeer("198.51.100.1:1"), []string{"6.6.6.6"}, true},
		{ParsePeer("198.51.100.1:1"), nil, false},
		{ParsePeer("10.0.0.1:1").WithProvenance(ProvenanceNoClient), []string{"6.6.6.6"}, true},
		{ParsePeer("10.0.0.1:1").WithProvenance(ProvenanceUnattested), []string{"6.6.6.6"}, true},
		{UnixPeer(), []string{"6.6.6.6"}, true},
		{ParsePeer("10.0.0.1:1"), []string{"6.6.6.6"}, false},
		{ParsePeer("10.0.0.1:1"), []string{"junk"}, false},
	} {
		if got := r.ResolveValues(tt.peer, tt.lines); got.HeaderIgnored != tt.want {
			t.Errorf("%v %q: HeaderIgnored %v", tt.peer, tt.lines, got.HeaderIgnored)
		}
	}
	none := MustNew(Config{})
	if got := none.ResolveValues(ParsePeer("198.51.100.1:1"), []string{"6.6.6.6"}); got.HeaderIgnored {
		t.Error("HeaderIgnored with no header configured")
	}
}
