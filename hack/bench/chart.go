package main

import (
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math"
	"os"
	"sort"
)

// The chart: one panel per scenario with latency distributions, each a
// cumulative distribution (share of samples at or below a latency) on a
// logarithmic time axis, Capstan's in blue and the floor's in orange, with
// the 50 % and 99 % lines marked. Drawn with image/png alone.

const (
	panelWidth   = 1000
	panelHeight  = 300
	marginLeft   = 80
	marginRight  = 50
	marginTop    = 40
	marginBottom = 90
)

var (
	colorBackground = color.RGBA{255, 255, 255, 255}
	colorAxis       = color.RGBA{60, 60, 60, 255}
	colorGrid       = color.RGBA{225, 225, 225, 255}
	colorMeasured   = color.RGBA{31, 119, 180, 255}
	colorFloor      = color.RGBA{255, 127, 14, 255}
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
	height := max(1, len(scenarios)) * panelHeight
	img := image.NewRGBA(image.Rect(0, 0, panelWidth, height))
	fillRect(img, 0, 0, panelWidth, height, colorBackground)
	if len(scenarios) == 0 {
		drawText(img, marginLeft, marginTop, "no latency samples", colorAxis)
	}
	for i, scenario := range scenarios {
		drawPanel(img, i*panelHeight, scenario, byScenario[scenario])
	}
	file, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := png.Encode(file, img); err != nil {
		file.Close()
		return err
	}
	return file.Close()
}

// logRange returns the decades [lo, hi] (powers of ten) covering every sample.
func logRange(distributions []distribution) (lo, hi float64) {
	minimum, maximum := math.Inf(1), math.Inf(-1)
	for _, d := range distributions {
		for _, s := range d.Samples {
			s = math.Max(s, 1e-4)
			minimum, maximum = math.Min(minimum, s), math.Max(maximum, s)
		}
	}
	lo = math.Floor(math.Log10(minimum))
	hi = math.Ceil(math.Log10(maximum))
	if hi <= lo {
		hi = lo + 1
	}
	return lo, hi
}

func drawPanel(img *image.RGBA, top int, scenario string, distributions []distribution) {
	left, right := marginLeft, panelWidth-marginRight
	plotTop, plotBottom := top+marginTop, top+panelHeight-marginBottom
	lo, hi := logRange(distributions)
	xOf := func(seconds float64) int {
		v := (math.Log10(math.Max(seconds, 1e-4)) - lo) / (hi - lo)
		return left + int(v*float64(right-left))
	}
	yOf := func(share float64) int { return plotBottom - int(share*float64(plotBottom-plotTop)) }

	drawText(img, left, top+12, scenario+": share of samples at or below a latency", colorAxis)
	// Decade grid lines and labels.
	for decade := lo; decade <= hi; decade++ {
		x := xOf(math.Pow(10, decade))
		fillRect(img, x, plotTop, 1, plotBottom-plotTop, colorGrid)
		label := decadeLabel(decade)
		drawText(img, x-textWidth(label)/2, plotBottom+8, label, colorAxis)
	}
	for _, share := range []float64{0.5, 0.99} {
		fillRect(img, left, yOf(share), right-left, 1, colorGrid)
		label := fmt.Sprintf("P%.0f", share*100)
		drawText(img, left-textWidth(label)-8, yOf(share)-textHeight/2, label, colorAxis)
	}
	// Axes.
	fillRect(img, left, plotTop, 2, plotBottom-plotTop, colorAxis)
	fillRect(img, left, plotBottom, right-left, 2, colorAxis)

	legendX, legendY := left, plotBottom+32
	for _, d := range distributions {
		c := colorMeasured
		if d.Floor {
			c = colorFloor
		}
		drawCDF(img, d.Samples, xOf, yOf, c)
		label := fmt.Sprintf("%s (n=%d)", d.Name, len(d.Samples))
		if legendX > left && legendX+18+textWidth(label) > panelWidth {
			legendX, legendY = left, legendY+textHeight+6 // no room: next row
		}
		fillRect(img, legendX, legendY+1, 12, 12, c)
		drawText(img, legendX+18, legendY, label, colorAxis)
		legendX += textWidth(label) + 50
	}
}

// drawCDF draws the step function of the samples' cumulative distribution.
func drawCDF(img *image.RGBA, samples []float64, xOf func(float64) int, yOf func(float64) int, c color.Color) {
	sorted := append([]float64(nil), samples...)
	sort.Float64s(sorted)
	n := float64(len(sorted))
	prevX, prevY := xOf(sorted[0]), yOf(0)
	for i, s := range sorted {
		x, y := xOf(s), yOf(float64(i+1)/n)
		fillRect(img, prevX, prevY-1, x-prevX+2, 2, c) // horizontal run at the previous share
		fillRect(img, x, min(y, prevY), 2, abs(prevY-y)+1, c)
		prevX, prevY = x, y
	}
}

func decadeLabel(decade float64) string {
	switch {
	case decade < 0:
		return fmt.Sprintf("%g ms", math.Pow(10, decade+3))
	default:
		return fmt.Sprintf("%g s", math.Pow(10, decade))
	}
}

func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}
