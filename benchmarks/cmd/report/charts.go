package main

import (
	"fmt"
	"image/color"
	"strconv"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"

	"github.com/trustedip/trustedip/benchmarks/e2e"
)

// palette is one color per series, readable on white and by most kinds
// of color blindness (Okabe and Ito's).
var palette = []color.Color{
	color.RGBA{0x99, 0x99, 0x99, 0xff}, // grey: the baseline
	color.RGBA{0xe6, 0x9f, 0x00, 0xff}, // orange
	color.RGBA{0x00, 0x72, 0xb2, 0xff}, // blue: ours
	color.RGBA{0xd5, 0x5e, 0x00, 0xff}, // vermilion
	color.RGBA{0x00, 0x9e, 0x73, 0xff}, // green
	color.RGBA{0x56, 0xb4, 0xe9, 0xff}, // sky blue
	color.RGBA{0xcc, 0x79, 0xa7, 0xff}, // reddish purple
}

// overheadChart is the in-process table as grouped bars: ns/op per
// framework, one bar per setup.
func overheadChart(r *Report, path string) error {
	p := plot.New()
	p.Title.Text = "One request in process, per framework: CPU time (lower is better)"
	p.Y.Label.Text = "ns per request"
	fws, setups := adapterFrameworks(r), names(r.Adapters, "core")
	width := vg.Points(66 / float64(len(setups)))
	for i, s := range setups {
		vals := make(plotter.Values, len(fws))
		for j, fw := range fws {
			if f := find(r.Adapters, fw, s); f != nil {
				vals[j] = f.cost()
			}
		}
		bars, err := plotter.NewBarChart(vals, width)
		if err != nil {
			return err
		}
		bars.LineStyle.Width = 0
		bars.Color = palette[i]
		bars.Offset = width * vg.Length(float64(i)-float64(len(setups)-1)/2)
		p.Add(bars)
		p.Legend.Add(s, bars)
	}
	p.Legend.Top = true
	p.Legend.Left = true
	p.NominalX(fws...)
	// Room for the outer bars and, above the tallest, for the legend.
	p.X.Min, p.X.Max = -0.7, float64(len(fws))-0.3
	p.Y.Min = 0
	var tallest float64
	for _, f := range r.Adapters {
		if f.Group != "core" {
			tallest = max(tallest, f.cost())
		}
	}
	p.Y.Max = 1.3 * tallest
	p.Add(plotter.NewGrid())
	return p.Save(9*vg.Inch, 4.5*vg.Inch, path)
}

// e2eChart shows each framework's side-by-side CPU ratio, bare's CPU per
// request over ours, as a percentage, with its 95% interval, against the
// 98.5% line; beside it the interleaved throughput ratio, and, when
// measured, the side-by-side ratio of a handler that asks once.
func e2eChart(r *Report, path string) error {
	p := plot.New()
	p.Title.Text = "End to end: our adapter as % of bare (whiskers: 95% interval; dashed: 98.5%)"
	p.Y.Label.Text = "% of bare"
	type series struct {
		label string
		color color.Color
		vals  plotter.Values
		at    []int // the comparisons measured; vals is 0 elsewhere
		mid   plotter.Values
		errs  plotter.YErrors
	}
	add := func(s *series, i int, median, low, high float64) {
		s.vals[i] = 100 * median
		s.at = append(s.at, i)
		s.mid = append(s.mid, 100*median)
		s.errs = append(s.errs, struct{ Low, High float64 }{100 * (median - low), 100 * (high - median)})
	}
	cmps := r.EndToEnd.Comparisons
	all := []*series{
		{label: "no ask: CPU per request (side by side)", color: palette[2]},
		{label: "no ask: throughput (interleaved)", color: palette[0]},
		{label: "asks once: CPU per request (side by side)", color: palette[1]},
	}
	var labels []string
	lo, hi := 90.0, 102.0
	for _, s := range all {
		s.vals = make(plotter.Values, len(cmps))
	}
	for i, c := range cmps {
		name := c.Name
		if name == e2e.Control {
			name = "control"
		}
		labels = append(labels, name)
		if sb := c.SideBySide; sb != nil {
			add(all[0], i, sb.MedianCPURatio, sb.Low, sb.High)
		}
		add(all[1], i, c.MedianRatio, c.Low, c.High)
		if a := c.Asks; a != nil {
			add(all[2], i, a.MedianCPURatio, a.Low, a.High)
		}
	}
	var shown []*series
	for _, s := range all {
		if len(s.at) > 0 {
			shown = append(shown, s)
		}
	}
	// Each framework's bars stand side by side around its label, spread
	// in data units, so that the intervals can be drawn there too.
	const spread = 0.27
	width := vg.Points(66 / float64(len(shown)))
	for k, s := range shown {
		off := spread * (float64(k) - float64(len(shown)-1)/2)
		bars, err := plotter.NewBarChart(s.vals, width)
		if err != nil {
			return err
		}
		bars.LineStyle.Width = 0
		bars.Color = s.color
		bars.XMin = off
		p.Add(bars)
		p.Legend.Add(s.label, bars)
		var at plotter.XYs
		for j, i := range s.at {
			at = append(at, plotter.XY{X: float64(i) + off, Y: s.mid[j]})
			lo, hi = min(lo, s.mid[j]-s.errs[j].Low-2), max(hi, s.mid[j]+s.errs[j].High+2)
		}
		if err := addErrorBars(p, at, s.errs); err != nil {
			return err
		}
	}
	line, err := plotter.NewLine(plotter.XYs{{X: -0.5, Y: 98.5}, {X: float64(len(cmps)) - 0.5, Y: 98.5}})
	if err != nil {
		return err
	}
	line.Color = palette[3]
	line.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
	p.Add(line)
	p.NominalX(labels...)
	p.Y.Min, p.Y.Max = lo, hi+5 // room for the legend
	p.Legend.Top, p.Legend.Left = true, true
	p.Add(plotter.NewGrid())
	return p.Save(9*vg.Inch, 4.5*vg.Inch, path)
}

// addErrorBars draws each point's interval as a vertical bar.
func addErrorBars(p *plot.Plot, at plotter.XYs, errs plotter.YErrors) error {
	bars, err := plotter.NewYErrorBars(struct {
		plotter.XYer
		plotter.YErrorer
	}{at, errs})
	if err != nil {
		return err
	}
	bars.Color = color.Black
	p.Add(bars)
	return nil
}

// scalingChart plots Resolve's ns/op against N on log axes, one line per
// scaling series.
func scalingChart(r *Report, path string) error {
	p := plot.New()
	p.Title.Text = "Resolve: cost against hops and trusted prefixes"
	p.X.Label.Text = "N (hops in the header, or prefixes in the trusted set)"
	p.Y.Label.Text = "ns per Resolve"
	p.X.Scale, p.Y.Scale = plot.LogScale{}, plot.LogScale{}
	p.X.Tick.Marker, p.Y.Tick.Marker = plot.LogTicks{Prec: -1}, plot.LogTicks{Prec: -1}
	for i, series := range groups(r.Scaling, "") {
		var xys plotter.XYs
		for _, f := range r.Scaling {
			if f.Group != series {
				continue
			}
			n, err := strconv.Atoi(f.Name)
			if err != nil {
				return fmt.Errorf("scaling point %q: %v", f.Name, err)
			}
			xys = append(xys, plotter.XY{X: float64(n), Y: f.NsOp})
		}
		if len(xys) == 0 {
			continue
		}
		line, points, err := plotter.NewLinePoints(xys)
		if err != nil {
			return err
		}
		c := palette[(i+1)%len(palette)]
		line.Color, points.Color = c, c
		line.Width = vg.Points(1.5)
		p.Add(line, points)
		p.Legend.Add(strings.TrimPrefix(series, "scaling/"), line, points)
	}
	p.Legend.Top = true
	p.Legend.Left = true
	p.Add(plotter.NewGrid())
	return p.Save(8*vg.Inch, 4.5*vg.Inch, path)
}
