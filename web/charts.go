package web

import (
	"fmt"
	"strings"
	"time"
)

// ScorePoint is one scorecard on the score-over-time chart.
type ScorePoint struct {
	At    time.Time
	Score int
	Grade string
}

// LineChart is a score-over-time chart laid out for SVG: 0-100 on the y
// axis, one point per scorecard, evenly spaced so bursts of re-scoring do
// not squash the line.
type LineChart struct {
	Width, Height int
	Path          string
	Points        []ChartDot
	GridLines     []ChartTick
	FirstLabel    string
	LastLabel     string
}

// ChartDot is one drawn point with its tooltip.
type ChartDot struct {
	X, Y  float64
	Title string
}

// ChartTick is one horizontal grid line with its label.
type ChartTick struct {
	Y     float64
	Label string
}

const (
	chartPadLeft   = 36.0
	chartPadRight  = 12.0
	chartPadTop    = 10.0
	chartPadBottom = 24.0
)

// NewScoreChart lays out points (oldest first) in a width × height box.
func NewScoreChart(points []ScorePoint, width, height int) LineChart {
	c := LineChart{Width: width, Height: height}
	plotW := float64(width) - chartPadLeft - chartPadRight
	plotH := float64(height) - chartPadTop - chartPadBottom
	y := func(score int) float64 { return chartPadTop + plotH*(1-float64(score)/100) }
	for _, g := range []int{0, 60, 70, 80, 90, 100} {
		c.GridLines = append(c.GridLines, ChartTick{Y: y(g), Label: fmt.Sprint(g)})
	}
	var b strings.Builder
	for i, p := range points {
		x := chartPadLeft + plotW/2
		if len(points) > 1 {
			x = chartPadLeft + plotW*float64(i)/float64(len(points)-1)
		}
		cmd := "L"
		if i == 0 {
			cmd = "M"
		}
		fmt.Fprintf(&b, "%s%.1f %.1f ", cmd, x, y(p.Score))
		c.Points = append(c.Points, ChartDot{X: x, Y: y(p.Score), Title: fmt.Sprintf("%s: %d (%s)", p.At.UTC().Format("2 Jan 2006 15:04"), p.Score, p.Grade)})
	}
	c.Path = strings.TrimSpace(b.String())
	if len(points) > 0 {
		c.FirstLabel = points[0].At.UTC().Format("2 Jan")
		c.LastLabel = points[len(points)-1].At.UTC().Format("2 Jan")
	}
	return c
}

func f1(v float64) string { return fmt.Sprintf("%.1f", v) }

// barWidth is the width of a 0-100 bar in a box of width w.
func barWidth(score int, w int) string { return f1(float64(w) * float64(score) / 100) }

// SparkPoint is one value of a figure over time (a day's snapshot).
type SparkPoint struct {
	At    time.Time
	Value float64
	Label string // the value as the page shows it, for the tooltip
}

// Sparkline is a small trend line laid out for SVG: no axes, the last
// point marked.
type Sparkline struct {
	Width, Height int
	Path          string
	Dots          []ChartDot
	Last          ChartDot
	// Points is how many values the line joins; a single one is only a dot.
	Points int
}

// sparkPad keeps the line and its end dot inside the box.
const sparkPad = 3.0

// NewSparkline lays out points (oldest first) in a width × height box
// between lo and hi; when hi is not above lo the values' own range, from
// zero, is used.
func NewSparkline(points []SparkPoint, width, height int, lo, hi float64) Sparkline {
	c := Sparkline{Width: width, Height: height, Points: len(points)}
	if len(points) == 0 {
		return c
	}
	if hi <= lo {
		lo, hi = 0, 0
		for _, p := range points {
			hi = max(hi, p.Value)
		}
		hi = niceMax(hi)
	}
	plotW := float64(width) - 2*sparkPad
	plotH := float64(height) - 2*sparkPad
	y := func(v float64) float64 {
		v = min(max(v, lo), hi)
		return sparkPad + plotH*(1-(v-lo)/(hi-lo))
	}
	var b strings.Builder
	for i, p := range points {
		x := sparkPad + plotW
		if len(points) > 1 {
			x = sparkPad + plotW*float64(i)/float64(len(points)-1)
		}
		cmd := "L"
		if i == 0 {
			cmd = "M"
		}
		fmt.Fprintf(&b, "%s%.1f %.1f ", cmd, x, y(p.Value))
		c.Dots = append(c.Dots, ChartDot{X: x, Y: y(p.Value), Title: p.At.UTC().Format("2 Jan 2006") + ": " + p.Label})
	}
	c.Path = strings.TrimSpace(b.String())
	c.Last = c.Dots[len(c.Dots)-1]
	return c
}
