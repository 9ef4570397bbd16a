package proxyproto

import "fmt"

// Kind classifies an Error, for callers to decide what to do with the
// connection. Callers branch on it (or on errors.Is with the
// Err* values) rather than on the message, which is for people.
type Kind uint8

const (
	// KindIncomplete: the input is a strict prefix of a header that may
	// still turn out valid. Read more bytes and call Parse again.
	KindIncomplete Kind = iota + 1
	// KindNoHeader: the input does not start with a PROXY protocol
	// signature. A listener that requires the header must drop the
	// connection; it must not fall back to treating it as a direct one.
	KindNoHeader
	// KindMalformed: the input starts with a signature, but what follows
	// breaks the specification.
	KindMalformed
	// KindUnsupported: a version 2 header uses a version, command, address
	// family or transport this version of the specification does not
	// define. The encoders also use it for a Header the requested version
	// cannot express.
	KindUnsupported
	// KindTooLong: a version 1 line has no CRLF within its first 107
	// bytes, or could not end within them.
	KindTooLong
	// KindChecksum: a version 2 header carries a CRC32C TLV that does not
	// match its contents.
	KindChecksum
)

var kindNames = [...]string{
	KindIncomplete:  "incomplete header",
	KindNoHeader:    "no PROXY protocol header",
	KindMalformed:   "malformed header",
	KindUnsupported: "unsupported header",
	KindTooLong:     "header too long",
	KindChecksum:    "checksum mismatch",
}

// String returns a short description of the kind.
func (k Kind) String() string {
	if int(k) < len(kindNames) && kindNames[k] != "" {
		return kindNames[k]
	}
	return fmt.Sprintf("Kind(%d)", uint8(k))
}

// Error is the error type of this package, for errors.As: what went wrong
// and its Kind. Every error Parse, AppendV1 and
// AppendV2 return is an *Error; errors.Is matches it against the Err*
// value of its kind.
//
// Its fields are unexported so that the errors Parse returns can be shared,
// preallocated values: a failed Parse does not allocate either.
type Error struct {
	kind   Kind
	detail string
}

// The sentinels, one per Kind. They carry no detail; use them with
// errors.Is.
var (
	// ErrIncomplete reports a strict prefix of a header that may still
	// turn out valid.
	ErrIncomplete = &Error{kind: KindIncomplete}
	// ErrNoHeader reports input that does not start with a PROXY protocol
	// signature.
	ErrNoHeader = &Error{kind: KindNoHeader}
	// ErrMalformed reports a header that breaks the specification.
	ErrMalformed = &Error{kind: KindMalformed}
	// ErrUnsupported reports a version, command, family or transport the
	// specification does not define.
	ErrUnsupported = &Error{kind: KindUnsupported}
	// ErrTooLong reports a version 1 line longer than 107 bytes.
	ErrTooLong = &Error{kind: KindTooLong}
	// ErrChecksum reports a CRC32C TLV that does not match the header.
	ErrChecksum = &Error{kind: KindChecksum}
)

// newError returns an *Error of kind k; detail says what was wrong, in
// words.
func newError(k Kind, detail string) *Error { return &Error{kind: k, detail: detail} }

// Kind returns the error's kind.
func (e *Error) Kind() Kind { return e.kind }

// Detail returns what exactly was wrong, or "" for a sentinel.
func (e *Error) Detail() string { return e.detail }

// Error returns "proxyproto: <kind>: <detail>".
func (e *Error) Error() string {
	if e.detail == "" {
		return "proxyproto: " + e.kind.String()
	}
	return "proxyproto: " + e.kind.String() + ": " + e.detail
}

// Is reports whether target is the sentinel of e's kind, so that
// errors.Is(err, ErrMalformed) holds for every malformed-header error.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.detail == "" && t.kind == e.kind
}

// The errors Parse returns, allocated once: a client that sends garbage
// costs no garbage.
var (
	errEmpty = newError(KindIncomplete, "no bytes yet")
	errShort = newError(KindIncomplete, "header not complete yet")

	errNoSig = newError(KindNoHeader, "input does not start with a version 1 or version 2 signature")

	errV1Space        = newError(KindMalformed, `version 1 line does not have one space after "PROXY"`)
	errV1BareLF       = newError(KindMalformed, "version 1 line ends in a bare LF, not CRLF")
	errV1CR           = newError(KindMalformed, "CR inside a version 1 line")
	errV1Proto        = newError(KindMalformed, `version 1 protocol is not "TCP4", "TCP6" or "UNKNOWN" followed by one space`)
	errV1Fields       = newError(KindMalformed, "version 1 line does not have exactly four fields after the protocol, separated by single spaces")
	errV1Addr4        = newError(KindMalformed, "TCP4 address is not a dotted-quad IPv4 address without leading zeros")
	errV1Addr6        = newError(KindMalformed, "TCP6 address is not an IPv6 address")
	errV1Port         = newError(KindMalformed, "port is not a decimal number in 0..65535 without leading zeros")
	errV1TooLong      = newError(KindTooLong, "no CRLF within the first 107 bytes of a version 1 line")
	errV1CannotFit    = newError(KindTooLong, "version 1 line cannot end within 107 bytes")
	errV2Version      = newError(KindUnsupported, "version 2 signature with a version other than 2")
	errV2Command      = newError(KindUnsupported, "version 2 command is neither LOCAL nor PROXY")
	errV2Family       = newError(KindUnsupported, "version 2 address family and transport byte is not one of 0x00, 0x11, 0x12, 0x21, 0x22, 0x31, 0x32")
	errV2AddrLen      = newError(KindMalformed, "version 2 length is shorter than the address block of its family")
	errTLVHeader      = newError(KindMalformed, "TLV header runs past the end of the PROXY header")
	errTLVValue       = newError(KindMalformed, "TLV value runs past the end of the PROXY header")
	errTLVCRCLen      = newError(KindMalformed, "CRC32C TLV is not 4 bytes long")
	errTLVCRCTwice    = newError(KindMalformed, "more than one CRC32C TLV")
	errTLVUniqueIDLen = newError(KindMalformed, "UNIQUE_ID TLV is longer than 128 bytes")
	errTLVSSLShort    = newError(KindMalformed, "SSL TLV is shorter than its 5-byte client and verify fields")
	errTLVSSLSub      = newError(KindMalformed, "SSL sub-TLV runs past the end of the SSL TLV")
	errCRC            = newError(KindChecksum, "CRC32C of the header does not match its CRC32C TLV")
)
