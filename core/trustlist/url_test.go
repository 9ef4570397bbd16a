package trustlist

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"testing"

	"github.com/trustedip/trustedip/core"
)

const secret = "s3cr3t"

// checkNoSecret fails if s shows the test's password or token.
func checkNoSecret(t *testing.T, what, s string) {
	t.Helper()
	if strings.Contains(s, secret) {
		t.Errorf("%s shows the secret: %s", what, s)
	}
}

func TestRedact(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"https://u:" + secret + "@example.com/ips-v4?sig=" + secret + "#" + secret, "https://example.com/ips-v4"},
		{"https://" + secret + "@example.com:8443/a/b", "https://example.com:8443/a/b"},
		{"http://[2001:db8::1]:80/list?x=" + secret, "http://[2001:db8::1]:80/list"},
		{"https://example.com/a%2Fb", "https://example.com/a%2Fb"},
		{"https://u:" + secret + "@exa mple.com/?" + secret, "(a URL that does not parse)"},
		{"/relative?q=" + secret, "/relative"},
	} {
		if got := Redact(tt.in); got != tt.want {
			t.Errorf("Redact(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func FuzzRedact(f *testing.F) {
	for _, s := range []string{"https://u:p@h/x?q#f", "http://h", "https://[::1]:1/%zz", "u:p@h", "https://h/p;q?x", "//u:p@h/?"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		out := Redact(raw)
		u, err := url.Parse(out)
		if err != nil {
			if out != "(a URL that does not parse)" {
				t.Fatalf("Redact(%q) = %q, which does not parse: %v", raw, out, err)
			}
			return
		}
		if u.User != nil || u.RawQuery != "" || u.ForceQuery || u.Fragment != "" {
			t.Fatalf("Redact(%q) = %q keeps user information, a query or a fragment", raw, out)
		}
		if in, err := url.Parse(raw); err == nil {
			shown := in.Scheme + "://" + in.Host + in.EscapedPath()
			if p, ok := in.User.Password(); ok && strings.Contains(out, p) && !strings.Contains(shown, p) {
				t.Fatalf("Redact(%q) = %q shows the password", raw, out)
			}
		}
	})
}

// TestURLSchemes: https, or plain http only when allowed; errors never
// show the URL's secrets.
func TestURLSchemes(t *testing.T) {
	for _, tt := range []struct {
		url   string
		allow bool
		err   string
	}{
		{"https://example.com/list", false, ""},
		{"http://u:" + secret + "@example.com/list?sig=" + secret, true, ""},
		{"http://u:" + secret + "@example.com/list?sig=" + secret, false, "http://example.com/list: plain http"},
		{"ftp://u:" + secret + "@example.com/list", true, `ftp://example.com/list: scheme "ftp": want https`},
		{"https:///list?sig=" + secret, false, "https:///list: the URL names no host"},
		{"https://u:" + secret + "@exa mple.com/?" + secret, false, "not a URL"},
		{"example.com/list", false, `scheme "": want https`},
	} {
		var opts []Option
		if tt.allow {
			opts = append(opts, AllowHTTP())
		}
		src, err := URL(tt.url, opts...)
		switch {
		case tt.err == "" && err != nil:
			t.Errorf("%s: %v", tt.url, err)
		case tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)):
			t.Errorf("%s: %v, want an error containing %q", tt.url, err, tt.err)
		}
		if err != nil {
			checkNoSecret(t, "an error", err.Error())
			if strings.Contains(tt.err, "plain http") && !errors.Is(err, ErrPlainHTTP) {
				t.Errorf("%s: %v is not ErrPlainHTTP", tt.url, err)
			}
			continue
		}
		checkNoSecret(t, "the source's name", src.String())
	}
}

// provider serves a list, and records the requests' credentials.
func provider(t *testing.T, body string) (*httptest.Server, chan string) {
	seen := make(chan string, 100)
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		user, pass, _ := r.BasicAuth()
		select {
		case seen <- user + ":" + pass + " " + r.URL.RawQuery:
		default:
		}
		io.WriteString(w, body)
	}))
	t.Cleanup(srv.Close)
	return srv, seen
}

// TestURLSendsCredentials: the URL's user information and query reach the
// server, and the source's name holds neither.
func TestURLSendsCredentials(t *testing.T) {
	srv, seen := provider(t, "198.51.100.0/24\n")
	raw := strings.Replace(srv.URL, "https://", "https://u:"+secret+"@", 1) + "/list?sig=" + secret
	src, err := URL(raw, WithHTTPClient(srv.Client()))
	if err != nil {
		t.Fatal(err)
	}
	set, err := src.Load(context.Background())
	if err != nil || set.Len() != 1 {
		t.Fatalf("Load: %d %v", set.Len(), err)
	}
	if got, want := <-seen, "u:"+secret+" sig="+secret; got != want {
		t.Errorf("the server saw %q, want %q", got, want)
	}
	checkNoSecret(t, "the source's name", src.String())
	if want := "url " + srv.URL + "/list"; src.String() != want {
		t.Errorf("String() = %q, want %q", src.String(), want)
	}
	// A failure names no secret either: net/http's errors carry the URL
	// with its query.
	srv.Close()
	_, err = src.Load(context.Background())
	if err == nil {
		t.Fatal("a closed server's list loaded")
	}
	checkNoSecret(t, "a failed load's error", err.Error())
}

// TestURLRedirects: an https list that redirects to plain http, on its
// own host or another, is refused unless AllowHTTP; https to https is
// followed.
func TestURLRedirects(t *testing.T) {
	plain := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "203.0.113.0/24\n")
	}))
	defer plain.Close()
	var to string
	tlsSrv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/list" {
			io.WriteString(w, "198.51.100.0/24\n")
			return
		}
		http.Redirect(w, r, to, http.StatusFound)
	}))
	defer tlsSrv.Close()
	load := func(opts ...Option) (*core.TrustSet, error) {
		src, err := URL(tlsSrv.URL+"/redirect?sig="+secret, append(opts, WithHTTPClient(tlsSrv.Client()))...)
		if err != nil {
			t.Fatal(err)
		}
		return src.Load(context.Background())
	}
	for _, target := range []string{plain.URL + "/list?sig=" + secret, strings.Replace(tlsSrv.URL, "https://", "http://", 1) + "/list"} {
		to = target
		_, err := load()
		if !errors.Is(err, ErrPlainHTTP) || !strings.Contains(err.Error(), "redirected to http://") {
			t.Errorf("redirect to %s: %v", target, err)
		} else {
			checkNoSecret(t, "the redirect's error", err.Error())
		}
	}
	to = plain.URL + "/list"
	if set, err := load(AllowHTTP()); err != nil || !set.Contains(netip.MustParseAddr("203.0.113.9")) {
		t.Errorf("redirect to plain http with AllowHTTP: %v", err)
	}
	to = tlsSrv.URL + "/list"
	if set, err := load(); err != nil || !set.Contains(netip.MustParseAddr("198.51.100.9")) {
		t.Errorf("redirect to https: %v", err)
	}
	// The client's own policy still runs after ours.
	client := tlsSrv.Client()
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return errors.New("no redirects here") }
	src, _ := URL(tlsSrv.URL+"/redirect", WithHTTPClient(client))
	if _, err := src.Load(context.Background()); err == nil || !strings.Contains(err.Error(), "no redirects here") {
		t.Errorf("the client's policy: %v", err)
	}
}

// TestURLBodyBound: a body beyond the bound is refused, whether or not it
// says its length, and a status other than 200 fails the load.
func TestURLBodyBound(t *testing.T) {
	body := "10.0.0.0/8\n" + strings.Repeat("#", 2000)
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/chunked":
			w.Write([]byte(body[:1000]))
			w.(http.Flusher).Flush()
			w.Write([]byte(body[1000:]))
		case "/status":
			w.WriteHeader(http.StatusServiceUnavailable)
		default:
			io.WriteString(w, body)
		}
	}))
	defer srv.Close()
	for path, want := range map[string]string{
		"/sized":   "the body is 2011 bytes, longer than the 1500 bytes",
		"/chunked": "the body is longer than the 1500 bytes",
		"/status":  "status 503 Service Unavailable",
	} {
		src, err := URL(srv.URL+path, WithHTTPClient(srv.Client()), WithMaxBytes(1500))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := src.Load(context.Background()); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want %q", path, err, want)
		}
	}
}
