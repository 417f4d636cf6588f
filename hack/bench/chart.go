package main

import (
	"fmt"
	"image/color"
	"math"
	"os"
	"sort"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// The chart: one panel per scenario with latency distributions, each a
// cumulative distribution (share of samples at or below a latency) on a
// logarithmic time axis, Capstan's in blue and the floor's in orange, with
// the 50 % and 99 % shares marked. Drawn with gonum/plot.

var (
	colorMeasured = color.RGBA{31, 119, 180, 255}
	colorFloor    = color.RGBA{255, 127, 14, 255}
	colorMarker   = color.RGBA{160, 160, 160, 255}
)

// panelWidth and panelHeight are the size of one scenario's panel.
var (
	panelWidth  = 10 * vg.Inch
	panelHeight = 3.2 * vg.Inch
)

// writeChart draws the distributions, grouped by scenario, into a PNG at path.
func writeChart(path string, distributions []distribution) error {
	var scenarios []string
	byScenario := map[string][]distribution{}
	for _, d := range distributions {
		if len(d.Samples) == 0 {
			continue
		}
		if _, ok := byScenario[d.Scenario]; !ok {
			scenarios = append(scenarios, d.Scenario)
		}
		byScenario[d.Scenario] = append(byScenario[d.Scenario], d)
	}
	var panels [][]*plot.Plot
	for _, scenario := range scenarios {
		panel, err := scenarioPanel(scenario, byScenario[scenario])
		if err != nil {
			return fmt.Errorf("chart of %s: %w", scenario, err)
		}
		panels = append(panels, []*plot.Plot{panel})
	}
	if len(panels) == 0 {
		empty := plot.New()
		empty.Title.Text = "no latency samples"
		panels = [][]*plot.Plot{{empty}}
	}
	img := vgimg.New(panelWidth, panelHeight*vg.Length(len(panels)))
	canvases := plot.Align(panels, draw.Tiles{Rows: len(panels), Cols: 1, PadY: vg.Points(12),
		PadTop: vg.Points(6), PadBottom: vg.Points(6), PadLeft: vg.Points(6), PadRight: vg.Points(12)}, draw.New(img))
	for row, panel := range panels {
		panel[0].Draw(canvases[row][0])
	}
	file, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := (vgimg.PngCanvas{Canvas: img}).WriteTo(file); err != nil {
		file.Close()
		return err
	}
	return file.Close()
}

// scenarioPanel plots the cumulative distributions of one scenario.
func scenarioPanel(scenario string, distributions []distribution) (*plot.Plot, error) {
	p := plot.New()
	p.Title.Text = scenario + ": share of samples at or below a latency"
	p.X.Label.Text = "latency (log scale)"
	p.Y.Label.Text = "share of samples"
	p.X.Scale = plot.LogScale{}
	p.X.Tick.Marker = latencyTicks{}
	p.Y.Min, p.Y.Max = 0, 1
	p.Legend.Top, p.Legend.Left = false, false
	p.Legend.XOffs = -vg.Points(4)
	p.Legend.YOffs = vg.Points(24)
	p.Add(plotter.NewGrid())

	lo, hi := math.Inf(1), math.Inf(-1)
	for _, d := range distributions {
		line, err := plotter.NewLine(cumulative(d.Samples))
		if err != nil {
			return nil, err
		}
		line.StepStyle = plotter.PostStep
		line.Width = vg.Points(1.5)
		line.Color = colorMeasured
		if d.Floor {
			line.Color = colorFloor
		}
		p.Add(line)
		p.Legend.Add(fmt.Sprintf("%s (n=%d)", d.Name, len(d.Samples)), line)
		for _, point := range line.XYs {
			lo, hi = math.Min(lo, point.X), math.Max(hi, point.X)
		}
	}
	// Whole decades, at least one: a single sample would otherwise make an
	// empty range that the log scale cannot draw.
	p.X.Min = math.Pow(10, math.Floor(math.Log10(lo)))
	p.X.Max = math.Pow(10, math.Ceil(math.Log10(hi)))
	if p.X.Max <= p.X.Min {
		p.X.Max = p.X.Min * 10
	}
	lo, hi = p.X.Min, p.X.Max
	for _, share := range []float64{0.5, 0.99} {
		marker, err := plotter.NewLine(plotter.XYs{{X: lo, Y: share}, {X: hi, Y: share}})
		if err != nil {
			return nil, err
		}
		marker.Color = colorMarker
		marker.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
		p.Add(marker)
	}
	return p, nil
}

// minLatency keeps samples of zero on the logarithmic axis.
const minLatency = 1e-4

// cumulative is the step function of the samples' cumulative distribution,
// starting at share 0 at the smallest sample.
func cumulative(samples []float64) plotter.XYs {
	sorted := append([]float64(nil), samples...)
	sort.Float64s(sorted)
	points := plotter.XYs{{X: math.Max(sorted[0], minLatency), Y: 0}}
	for i, s := range sorted {
		points = append(points, plotter.XY{X: math.Max(s, minLatency), Y: float64(i+1) / float64(len(sorted))})
	}
	return points
}

// latencyTicks marks every decade, labelled in ms below a second and in s above.
type latencyTicks struct{}

// Ticks returns the decades between lo and hi seconds.
func (latencyTicks) Ticks(lo, hi float64) []plot.Tick {
	var ticks []plot.Tick
	for decade := math.Floor(math.Log10(lo)); decade <= math.Ceil(math.Log10(hi)); decade++ {
		ticks = append(ticks, plot.Tick{Value: math.Pow(10, decade), Label: decadeLabel(decade)})
	}
	return ticks
}

func decadeLabel(decade float64) string {
	if decade < 0 {
		return fmt.Sprintf("%g ms", math.Pow(10, decade+3))
	}
	return fmt.Sprintf("%g s", math.Pow(10, decade))
}
