package e2e

import (
	"math/rand/v2"
	"slices"
	"time"
)

// Median returns the median of xs, or 0 for none; xs is not changed.
func Median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// percentiles returns the 50th and 99th percentile, by nearest rank.
func percentiles(lat []time.Duration) (p50, p99 time.Duration) {
	if len(lat) == 0 {
		return 0, 0
	}
	slices.Sort(lat)
	rank := func(p float64) time.Duration {
		i := int(p*float64(len(lat))+0.999999) - 1
		return lat[max(0, min(i, len(lat)-1))]
	}
	return rank(0.50), rank(0.99)
}

// medianInterval returns a 95% confidence interval for the median of xs:
// the 2.5th and 97.5th percentiles of the medians of 2,000 resamples of
// xs, drawn with replacement. The generator has a fixed seed, so the same
// figures always give the same interval. It assumes the pairs are
// independent, which interleaving (and fresh connections every round)
// is there to make true.
func medianInterval(xs []float64) (low, high float64) {
	if len(xs) == 0 {
		return 0, 0
	}
	const resamples = 2000
	rng := rand.New(rand.NewPCG(1, 2))
	sample := make([]float64, len(xs))
	meds := make([]float64, resamples)
	for i := range meds {
		for j := range sample {
			sample[j] = xs[rng.IntN(len(xs))]
		}
		meds[i] = Median(sample)
	}
	slices.Sort(meds)
	return meds[resamples*25/1000], meds[resamples*975/1000-1]
}
