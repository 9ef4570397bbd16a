package trustlist

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
)

// ErrPlainHTTP is the error of URL for a plain http URL, and of a load
// redirected to one, unless AllowHTTP is given.
var ErrPlainHTTP = errors.New("plain http, over which anyone on the path can rewrite the list")

// maxRedirects is how many redirects a fetch follows, as Go's client does.
const maxRedirects = 10

// URL returns a source that fetches the list at rawURL with GET; anything
// but 200 OK is a failed load.
//
// rawURL must be https, unless AllowHTTP is given. It may carry
// credentials, in its user information or its query (a signed URL's
// token): they are sent, and never shown. The source is named by the
// URL's scheme, host and path alone, in logs and in every error.
func URL(rawURL string, opts ...Option) (*Source, error) {
	o := newOptions(opts)
	u, err := url.Parse(rawURL)
	if err != nil {
		// url's errors quote the whole URL, secrets and all.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, fmt.Errorf("not a URL: %v", err)
	}
	label := Redact(rawURL)
	if err := checkScheme(u, o.allowHTTP); err != nil {
		return nil, fmt.Errorf("%s: %w", label, err)
	}
	if u.Host == "" {
		return nil, fmt.Errorf("%s: the URL names no host", label)
	}
	client := redirectPolicy(o.client, o.allowHTTP)
	return newSource("url "+label, o, func(ctx context.Context, limit int64) ([]byte, error) {
		return fetch(ctx, client, u.String(), limit)
	}), nil
}

// checkScheme refuses any scheme but https, and http without allowHTTP.
func checkScheme(u *url.URL, allowHTTP bool) error {
	switch {
	case u.Scheme == "https":
		return nil
	case u.Scheme == "http" && allowHTTP:
		return nil
	case u.Scheme == "http":
		return ErrPlainHTTP
	}
	return fmt.Errorf("scheme %q: want https", u.Scheme)
}

// redirectPolicy returns a copy of c (a plain client when c is nil) that
// refuses a redirect to plain http without allowHTTP, before c's own
// policy runs.
func redirectPolicy(c *http.Client, allowHTTP bool) *http.Client {
	client := &http.Client{}
	if c != nil {
		*client = *c
	}
	next := client.CheckRedirect
	client.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if err := checkScheme(req.URL, allowHTTP); err != nil {
			return fmt.Errorf("redirected to %s: %w", Redact(req.URL.String()), err)
		}
		if next != nil {
			return next(req, via)
		}
		if len(via) >= maxRedirects {
			return fmt.Errorf("stopped after %d redirects", maxRedirects)
		}
		return nil
	}
	return client
}

// fetch GETs target and returns its body, of at most limit bytes.
func fetch(ctx context.Context, client *http.Client, target string, limit int64) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return nil, withoutURL(err)
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, withoutURL(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		// The status line's text is the server's; its code is enough.
		return nil, fmt.Errorf("status %d %s", resp.StatusCode, http.StatusText(resp.StatusCode))
	}
	if resp.ContentLength > limit {
		return nil, fmt.Errorf("the body is %d bytes, longer than the %d bytes that are read; no provider's list is near that size", resp.ContentLength, limit)
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return nil, withoutURL(err)
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("the body is longer than the %d bytes that are read; no provider's list is near that size", limit)
	}
	return data, nil
}

// withoutURL drops the URL that net/http puts in its errors: it hides a
// password, but not a query's token.
func withoutURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// Redact returns rawURL as it may be shown: its scheme, host and path,
// without user information, query or fragment, where credentials and
// signed tokens live. A URL that does not parse is not shown at all.
func Redact(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil {
		return "(a URL that does not parse)"
	}
	return (&url.URL{Scheme: u.Scheme, Host: u.Host, Path: u.Path, RawPath: u.RawPath}).String()
}
