package core

// Option adjusts a Resolver beyond what the JSON Config can say. Options
// are given again to each Update, like the Config: an Update replaces
// everything.
type Option func(*options)

type options struct {
	extra []*TrustSet
}

// WithTrustSet adds the prefixes of set to the trusted proxies, for lists
// loaded at run time with ReadTrustSet (a fresh Cloudflare list, a cloud
// provider's ranges). The set is read once, by New or Update.
func WithTrustSet(set *TrustSet) Option {
	return func(o *options) { o.extra = append(o.extra, set) }
}
