package main

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"sort"
	"time"
)

// figure is one measured value next to its floor.
type figure struct {
	Scenario string  `json:"scenario"`
	Name     string  `json:"name"`
	Unit     string  `json:"unit"`
	Value    float64 `json:"value"`
	// Floor is what the same end state costs without Capstan, measured in
	// the same run (or, for the idle figures, the ideal: zero).
	Floor     float64 `json:"floor"`
	FloorNote string  `json:"floorNote,omitempty"`
	// Reached says what was reached when the end state was not, e.g.
	// "812/1000 Synced, 790 Healthy at limit 20m".
	Reached string `json:"reached,omitempty"`
}

// noFloor is the FloorNote of figures reported for information, without a floor.
const noFloor = "n/a"

// ratio is Value/Floor, or NaN when the floor is zero.
func (f figure) ratio() float64 {
	if f.Floor == 0 {
		return math.NaN()
	}
	return f.Value / f.Floor
}

// distribution is a set of latency samples in seconds, for the chart.
type distribution struct {
	Scenario string    `json:"scenario"`
	Name     string    `json:"name"`
	Floor    bool      `json:"floor"`
	Samples  []float64 `json:"samples"`
}

// report collects the figures of a run.
type report struct {
	Apps          int            `json:"apps"`
	Objects       int            `json:"objects"`
	Started       time.Time      `json:"started"`
	Duration      float64        `json:"durationSeconds"`
	Figures       []figure       `json:"figures"`
	Distributions []distribution `json:"distributions"`
	Details       map[string]any `json:"details,omitempty"`
	Failures      []string       `json:"failures,omitempty"`
}

func (r *report) add(f figure) {
	r.Figures = append(r.Figures, f)
	logf("%s", formatFigure(f))
}

func (r *report) addDistribution(scenario, name string, floor bool, samples []float64) {
	r.Distributions = append(r.Distributions, distribution{Scenario: scenario, Name: name, Floor: floor, Samples: samples})
}

func (r *report) detail(key string, value any) {
	if r.Details == nil {
		r.Details = map[string]any{}
	}
	r.Details[key] = value
}

// addLatencies adds p50 and p99 figures of samples against floorSamples, and
// both distributions for the chart.
func (r *report) addLatencies(scenario, name, floorName string, samples, floorSamples []float64, reached string) {
	r.addDistribution(scenario, name, false, samples)
	r.addDistribution(scenario, floorName, true, floorSamples)
	for _, q := range []float64{0.50, 0.99} {
		r.add(figure{
			Scenario: scenario, Name: fmt.Sprintf("%s p%.0f", name, q*100), Unit: "s",
			Value: percentile(samples, q), Floor: percentile(floorSamples, q),
			FloorNote: floorName, Reached: reached,
		})
	}
}

func formatFigure(f figure) string {
	ratio := "n/a"
	if r := f.ratio(); !math.IsNaN(r) {
		ratio = fmt.Sprintf("%.1fx", r)
	}
	floor := formatValue(f.Floor, f.Unit)
	if f.FloorNote == noFloor {
		floor = "-"
	}
	line := fmt.Sprintf("%-10s %-44s %12s   floor %12s   ratio %7s", f.Scenario, f.Name,
		formatValue(f.Value, f.Unit), floor, ratio)
	if f.FloorNote != "" && f.FloorNote != noFloor {
		line += "   (floor: " + f.FloorNote + ")"
	}
	if f.Reached != "" {
		line += "   NOT REACHED: " + f.Reached
	}
	return line
}

func formatValue(v float64, unit string) string {
	switch {
	case math.IsNaN(v):
		return "-"
	case unit == "s" && v < 1:
		return fmt.Sprintf("%.0f ms", v*1000)
	case unit == "s":
		return fmt.Sprintf("%.2f s", v)
	case v == math.Trunc(v):
		return fmt.Sprintf("%.0f %s", v, unit)
	default:
		return fmt.Sprintf("%.1f %s", v, unit)
	}
}

func (r *report) print(w io.Writer) {
	fmt.Fprintf(w, "\n=== capstan bench: W(apps=%d, objects=%d), %s ===\n", r.Apps, r.Objects,
		(time.Duration(r.Duration) * time.Second).String())
	for _, f := range r.Figures {
		fmt.Fprintln(w, formatFigure(f))
	}
	for _, failure := range r.Failures {
		fmt.Fprintf(w, "FAILED %s\n", failure)
	}
}

func (r *report) writeJSON(path string) error {
	data, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(data, '\n'), 0o644)
}

// percentile returns the q-quantile of samples (nearest rank), NaN for none.
func percentile(samples []float64, q float64) float64 {
	if len(samples) == 0 {
		return math.NaN()
	}
	sorted := append([]float64(nil), samples...)
	sort.Float64s(sorted)
	rank := int(math.Ceil(q*float64(len(sorted)))) - 1
	return sorted[max(0, min(rank, len(sorted)-1))]
}

// seconds turns durations into seconds.
func seconds(durations []time.Duration) []float64 {
	out := make([]float64, len(durations))
	for i, d := range durations {
		out[i] = d.Seconds()
	}
	return out
}
