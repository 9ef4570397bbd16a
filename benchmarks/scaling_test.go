package benchmarks

import "testing"

// BenchmarkScaling times Resolve as the header and the trusted set grow:
// BenchmarkScaling/series=<series>/n=<N>. See ScalingSetups.
func BenchmarkScaling(b *testing.B) {
	for _, s := range ScalingSetups() {
		b.Run("series="+s.Framework[len("scaling/"):]+"/n="+s.Name, s.Bench)
	}
}

// TestScalingSetups checks that every scaling input is decided by the
// header and finds the client, so that each point measures a full walk to
// the same answer.
func TestScalingSetups(t *testing.T) {
	setups := ScalingSetups()
	if want := 2*len(ScaleHops) + len(ScalePrefixes); len(setups) != want {
		t.Fatalf("%d scaling setups, want %d", len(setups), want)
	}
	for _, s := range setups {
		got := s.once(t, scalePeer)
		if !got.ok || got.client != adapterClient {
			t.Errorf("%s/%s: client %q (decided by header: %v), want %s", s.Framework, s.Name, got.client, got.ok, adapterClient)
		}
	}
}
