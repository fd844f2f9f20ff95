package app

import (
	"strconv"
	"strings"

	"github.com/corkboard/corkboard/app/planning"
	"github.com/corkboard/corkboard/app/planning/cyclereport"
)

// The cycle page's burn-up chart, drawn on the server as SVG (CSP-clean:
// no styles or scripts, classes from static/css/cycle.css). static/js/cycle.js
// redraws it from the report JSON with the same geometry: keep the two in
// step (the constants and niceMax).

const (
	chartW, chartH                  = 640, 260
	chartLeft, chartRight, chartTop = 44, 16, 14
	chartBottom                     = 30
)

// burnup is the chart as the template draws it.
type burnup struct {
	W, H                     int
	Left, Right, Top, Bottom int // the plot area's edges
	YLabelX, XLabelY         int // where the axes' labels sit
	DaysTotal                int
	YMax                     int
	YMid                     float64 // where the middle gridline is
	YMidLabel                string
	StartsOn, EndsOn         string
	Series                   []burnupSeries
}

// burnupSeries is one line: its values (data-values, for tests and
// extensions) and its points in the SVG's coordinates.
type burnupSeries struct {
	Name, Label    string
	Values, Points string
	LastX, LastY   string // the dot at its latest value ("" without one)
}

// niceMax rounds a chart's top up to 1, 2 or 5 times a power of ten (at
// least 1), so gridlines fall on round numbers.
func niceMax(v int) int {
	if v <= 1 {
		return 1
	}
	for p := 1; ; p *= 10 {
		for _, m := range []int{1, 2, 5} {
			if m*p >= v {
				return m * p
			}
		}
	}
}

func coord(f float64) string { return strconv.FormatFloat(f, 'f', 1, 64) }

// burnupChart lays out r's days over the cycle's whole length: day i is
// drawn at the end of that day, the ideal line runs from 0 at the first
// morning to the scope at the end of the last day (as docs/HEALTH.md reads
// it).
func burnupChart(r cyclereport.Report) burnup {
	days := planning.Period{StartsOn: r.Cycle.StartsOn, EndsOn: r.Cycle.EndsOn}.Days()
	b := burnup{W: chartW, H: chartH, Left: chartLeft, Right: chartW - chartRight, Top: chartTop,
		Bottom: chartH - chartBottom, YLabelX: chartLeft - 6, XLabelY: chartH - 8, DaysTotal: max(days, 1), StartsOn: r.Cycle.StartsOn, EndsOn: r.Cycle.EndsOn}
	top := r.Totals.Scope
	for _, d := range r.Days {
		top = max(top, d.Scope, d.Completed)
	}
	b.YMax = niceMax(top)
	b.YMid = float64(b.Top+b.Bottom) / 2
	b.YMidLabel = strconv.FormatFloat(float64(b.YMax)/2, 'f', -1, 64)
	x := func(i int) float64 {
		return float64(b.Left) + float64(b.Right-b.Left)*float64(i)/float64(b.DaysTotal)
	}
	y := func(v int) float64 {
		return float64(b.Bottom) - float64(b.Bottom-b.Top)*float64(v)/float64(b.YMax)
	}
	line := func(name, label string, xs []int, vs []int) burnupSeries {
		s := burnupSeries{Name: name, Label: label}
		vals, pts := make([]string, len(vs)), make([]string, len(vs))
		for i, v := range vs {
			vals[i] = strconv.Itoa(v)
			pts[i] = coord(x(xs[i])) + "," + coord(y(v))
		}
		s.Values, s.Points = strings.Join(vals, ","), strings.Join(pts, " ")
		if n := len(vs); n > 0 && name != "ideal" {
			s.LastX, s.LastY = coord(x(xs[n-1])), coord(y(vs[n-1]))
		}
		return s
	}
	var xs, scope, done []int
	for i, d := range r.Days {
		xs, scope, done = append(xs, i+1), append(scope, d.Scope), append(done, d.Completed)
	}
	b.Series = []burnupSeries{
		line("ideal", "Ideal", []int{0, b.DaysTotal}, []int{0, r.Totals.Scope}),
		line("scope", "Scope", xs, scope),
		line("completed", "Completed", xs, done),
	}
	return b
}

// healthBadge is the daisyUI badge class of a health status.
func healthBadge(status string) string {
	switch status {
	case planning.OnTrack:
		return "badge-success"
	case planning.AtRisk:
		return "badge-warning"
	}
	return "badge-error"
}

// reportBars are the cycle's members' loads as capacity bars (the board's
// markup and hooks).
func reportBars(r cyclereport.Report) []capacityBar {
	out := make([]capacityBar, len(r.Members))
	for i, m := range r.Members {
		out[i] = capacityBar{UserID: m.UserID, Name: m.DisplayName, Load: m.Load, Capacity: m.Capacity}
	}
	return out
}
