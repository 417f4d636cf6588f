package main

import (
	"image/png"
	"math"
	"os"
	"path/filepath"
	"testing"

	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/vgimg"
)

func TestPercentileIsTheNearestRank(t *testing.T) {
	samples := []float64{5, 1, 4, 2, 3, 6, 7, 8, 9, 10}
	cases := []struct {
		q    float64
		want float64
	}{
		{0.5, 5}, {0.99, 10}, {1, 10}, {0, 1}, {0.1, 1}, {0.11, 2},
	}
	for _, tc := range cases {
		if got := percentile(samples, tc.q); got != tc.want {
			t.Errorf("percentile(q=%v) = %v, want %v", tc.q, got, tc.want)
		}
	}
	if got := percentile(nil, 0.5); !math.IsNaN(got) {
		t.Errorf("percentile of no samples = %v, want NaN", got)
	}
}

func TestRatioOfAZeroFloorIsNotANumber(t *testing.T) {
	if r := (figure{Value: 3, Floor: 1.5}).ratio(); r != 2 {
		t.Errorf("ratio = %v, want 2", r)
	}
	if r := (figure{Value: 3}).ratio(); !math.IsNaN(r) {
		t.Errorf("ratio with a zero floor = %v, want NaN", r)
	}
}

func TestChartDrawsOnePanelPerScenario(t *testing.T) {
	path := filepath.Join(t.TempDir(), "latency.png")
	distributions := []distribution{
		{Scenario: "drift", Name: "reverted", Samples: []float64{0.1, 0.2, 0.15}},
		{Scenario: "drift", Name: "informer", Floor: true, Samples: []float64{0.005, 0.007}},
		{Scenario: "read", Name: "kubectl", Samples: []float64{0.3}},
		{Scenario: "commit", Name: "nothing measured"},
	}
	if err := writeChart(path, distributions); err != nil {
		t.Fatal(err)
	}
	file, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer file.Close()
	img, err := png.Decode(file)
	if err != nil {
		t.Fatal(err)
	}
	// Two panels, at vgimg's resolution (a pixel of rounding either way).
	want := 2 * float64(panelHeight/vg.Inch) * vgimg.DefaultDPI
	if got := float64(img.Bounds().Dy()); math.Abs(got-want) > 1 {
		t.Errorf("chart height = %.0f px, want %.0f (two scenarios with samples)", got, want)
	}
}
