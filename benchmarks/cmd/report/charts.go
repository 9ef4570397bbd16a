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
}

// overheadChart is the in-process table as grouped bars: ns/op per
// framework, one bar per setup.
func overheadChart(r *Report, path string) error {
	p := plot.New()
	p.Title.Text = "One request in process, per framework (lower is better)"
	p.Y.Label.Text = "ns per request"
	width := vg.Points(11)
	var fws []string
	for _, fw := range adapterFrameworks {
		if find(r.Adapters, fw, "bare") != nil {
			fws = append(fws, fw)
		}
	}
	for i, s := range adapterSetups {
		vals := make(plotter.Values, len(fws))
		for j, fw := range fws {
			if f := find(r.Adapters, fw, s); f != nil {
				vals[j] = f.NsOp
			}
		}
		bars, err := plotter.NewBarChart(vals, width)
		if err != nil {
			return err
		}
		bars.LineStyle.Width = 0
		bars.Color = palette[i]
		bars.Offset = width * vg.Length(float64(i)-float64(len(adapterSetups)-1)/2)
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
		tallest = max(tallest, f.NsOp)
	}
	p.Y.Max = 1.3 * tallest
	p.Add(plotter.NewGrid())
	return p.Save(9*vg.Inch, 4.5*vg.Inch, path)
}

// e2eChart shows each framework's end-to-end throughput with our adapter
// as a percentage of bare, with its 95% interval, against the 97% line;
// beside it, when measured, the side-by-side CPU ratio.
func e2eChart(r *Report, path string) error {
	p := plot.New()
	p.Title.Text = "End to end: our adapter as % of bare (whiskers: 95% interval; dashed: 97%)"
	p.Y.Label.Text = "% of bare"
	var (
		names          []string
		tput, side     plotter.Values
		tputCI, sideCI plotter.XYs
		errs, sideErrs plotter.YErrors
	)
	for i, c := range r.EndToEnd.Comparisons {
		if c.Name == e2e.Control {
			names = append(names, "control")
		} else {
			names = append(names, c.Name)
		}
		tput = append(tput, 100*c.MedianRatio)
		tputCI = append(tputCI, plotter.XY{X: float64(i) - 0.2, Y: 100 * c.MedianRatio})
		errs = append(errs, struct{ Low, High float64 }{100 * (c.MedianRatio - c.Low), 100 * (c.High - c.MedianRatio)})
		if sb := c.SideBySide; sb != nil {
			side = append(side, 100*sb.MedianCPURatio)
			sideCI = append(sideCI, plotter.XY{X: float64(i) + 0.2, Y: 100 * sb.MedianCPURatio})
			sideErrs = append(sideErrs, struct{ Low, High float64 }{100 * (sb.MedianCPURatio - sb.Low), 100 * (sb.High - sb.MedianCPURatio)})
		}
	}
	// Each framework's pair of bars stands at -0.2 and +0.2 around its
	// label, in data units, so that the intervals can be drawn there too.
	width := vg.Points(24)
	bars, err := plotter.NewBarChart(tput, width)
	if err != nil {
		return err
	}
	bars.LineStyle.Width = 0
	bars.Color = palette[2]
	bars.XMin = -0.2
	p.Add(bars)
	p.Legend.Add("throughput (interleaved)", bars)
	if err := addErrorBars(p, tputCI, errs); err != nil {
		return err
	}
	lo, hi := 80.0, 105.0
	if len(side) == len(tput) {
		sbars, err := plotter.NewBarChart(side, width)
		if err != nil {
			return err
		}
		sbars.LineStyle.Width = 0
		sbars.Color = palette[1]
		sbars.XMin = 0.2
		p.Add(sbars)
		p.Legend.Add("CPU per request (side by side)", sbars)
		if err := addErrorBars(p, sideCI, sideErrs); err != nil {
			return err
		}
		for _, c := range r.EndToEnd.Comparisons {
			lo, hi = min(lo, 100*c.SideBySide.Low-2), max(hi, 100*c.SideBySide.High+2)
		}
	}
	line, err := plotter.NewLine(plotter.XYs{{X: -0.5, Y: 97}, {X: float64(len(tput)) - 0.5, Y: 97}})
	if err != nil {
		return err
	}
	line.Color = palette[3]
	line.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
	p.Add(line)
	p.NominalX(names...)
	for _, c := range r.EndToEnd.Comparisons {
		lo, hi = min(lo, 100*c.Low-2), max(hi, 100*c.High+2)
	}
	p.Y.Min, p.Y.Max = lo, hi+4 // room for the legend
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
	for i, series := range scalingSeries {
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
