// Package trustlist keeps a Resolver's trusted proxies current from a
// provider's published list: a file an operator's job rewrites, or a URL
// such as Cloudflare's ips-v4 or AWS's ip-ranges.json.
//
// A list decides whose headers are believed, and it changes without a
// person looking, so loading one is held to what a hostile or broken source
// can do:
//
//   - Size: at most core.MaxListBytes (or less, WithMaxBytes) is read. A
//     file is stat'ed first and refused when larger; a body is cut one
//     byte past the bound. Memory never grows with what the source offers.
//   - Kind: a file must be a regular file. A named pipe would block the
//     read until someone writes, a device such as /dev/zero never ends,
//     and a directory is a mistake; each is refused, also when reached
//     through a symbolic link, and a named pipe is opened without waiting
//     for a writer.
//   - Time: each load has a deadline (WithTimeout) and stops when its
//     context is cancelled, so a program shuts down promptly even while a
//     source hangs. A load still blocked in the file system when that
//     happens finishes in the background, and the next one is refused
//     until it has, so hung loads cannot pile up.
//   - Transport: a URL must be https, and a redirect may not leave it for
//     plain http, unless AllowHTTP says so: over plain HTTP anyone on the
//     path can rewrite the list.
//   - Content: core.ReadTrustSet refuses an empty list and one whose
//     prefixes together cover every IPv4 or every IPv6 address; the
//     Updater also refuses a list that covers the rest of a family
//     together with the configuration and the other lists.
//   - Secrets: a source is named in logs and errors by its scheme, host
//     and path, without user information or query, where credentials and
//     signed tokens live.
//
// A load that fails for any of these reasons leaves the last good list in
// force. The Updater applies a Config plus every source's last good set to
// a Resolver with Update, atomically.
package trustlist
