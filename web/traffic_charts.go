package web

import (
	"fmt"
	"math"
	"strings"
	"time"
)

// DayTraffic is one day of a version's traffic for the charts.
type DayTraffic struct {
	Day                                           time.Time
	OK, Redirect, ClientError, ServerError, Other int64
	P50, P95                                      time.Duration // zero when no request was timed
}

// Total is the day's request count.
func (d DayTraffic) Total() int64 {
	return d.OK + d.Redirect + d.ClientError + d.ServerError + d.Other
}

// StackedBars is a requests-per-day chart laid out for SVG: one bar per
// day, stacked by status class.
type StackedBars struct {
	Width, Height int
	Bars          []StackedBar
	Ticks         []ChartTick
	Labels        []AxisLabel
}

// StackedBar is one day's bar, bottom segment first.
type StackedBar struct {
	X, W     float64
	Segments []BarSegment
	Title    string
}

// BarSegment is one status class within a bar.
type BarSegment struct {
	Y, H  float64
	Class string
}

// AxisLabel is a label under the x axis.
type AxisLabel struct {
	X     float64
	Label string
}

// niceMax rounds a maximum up to 1, 2 or 5 times a power of ten, so grid
// lines fall on round numbers.
func niceMax(v float64) float64 {
	if v <= 0 {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 5, 10} {
		if v <= m*p {
			return m * p
		}
	}
	return 10 * p
}

// NewRequestBars lays out days (oldest first) in a width × height box.
func NewRequestBars(days []DayTraffic, width, height int) StackedBars {
	c := StackedBars{Width: width, Height: height}
	plotW := float64(width) - chartPadLeft - chartPadRight
	plotH := float64(height) - chartPadTop - chartPadBottom
	var peak int64
	for _, d := range days {
		peak = max(peak, d.Total())
	}
	top := niceMax(float64(peak))
	y := func(v float64) float64 { return chartPadTop + plotH*(1-v/top) }
	for i := 0; i <= 4; i++ {
		v := top * float64(i) / 4
		c.Ticks = append(c.Ticks, ChartTick{Y: y(v), Label: compact(v)})
	}
	if len(days) == 0 {
		return c
	}
	slot := plotW / float64(len(days))
	for i, d := range days {
		x := chartPadLeft + slot*float64(i)
		bar := StackedBar{X: x + slot*0.15, W: slot * 0.7,
			Title: fmt.Sprintf("%s: %d requests (%d 2xx, %d 3xx, %d 4xx, %d 5xx)", d.Day.Format("2 Jan"), d.Total(), d.OK, d.Redirect, d.ClientError, d.ServerError)}
		var base float64
		for _, seg := range []struct {
			n     int64
			class string
		}{{d.OK, "s2xx"}, {d.Redirect, "s3xx"}, {d.ClientError, "s4xx"}, {d.ServerError, "s5xx"}, {d.Other, "sother"}} {
			if seg.n == 0 {
				continue
			}
			top, bottom := y(base+float64(seg.n)), y(base)
			bar.Segments = append(bar.Segments, BarSegment{Y: top, H: bottom - top, Class: seg.class})
			base += float64(seg.n)
		}
		c.Bars = append(c.Bars, bar)
		if len(days) <= 10 || i%(len(days)/7+1) == 0 {
			c.Labels = append(c.Labels, AxisLabel{X: x + slot/2, Label: d.Day.Format("2 Jan")})
		}
	}
	return c
}

// LatencyChart is p50 and p95 latency per day.
type LatencyChart struct {
	Width, Height int
	P50, P95      string // SVG paths
	Ticks         []ChartTick
	Labels        []AxisLabel
	Dots          []ChartDot
}

// NewLatencyChart lays out the days that have timed requests.
func NewLatencyChart(days []DayTraffic, width, height int) LatencyChart {
	c := LatencyChart{Width: width, Height: height}
	plotW := float64(width) - chartPadLeft - chartPadRight
	plotH := float64(height) - chartPadTop - chartPadBottom
	var peak time.Duration
	for _, d := range days {
		peak = max(peak, d.P95)
	}
	top := niceMax(float64(peak.Milliseconds()))
	y := func(ms float64) float64 { return chartPadTop + plotH*(1-ms/top) }
	for i := 0; i <= 4; i++ {
		v := top * float64(i) / 4
		c.Ticks = append(c.Ticks, ChartTick{Y: y(v), Label: compact(v) + " ms"})
	}
	if len(days) == 0 {
		return c
	}
	slot := plotW / float64(len(days))
	var p50, p95 strings.Builder
	for i, d := range days {
		x := chartPadLeft + slot*float64(i) + slot/2
		if len(days) <= 10 || i%(len(days)/7+1) == 0 {
			c.Labels = append(c.Labels, AxisLabel{X: x, Label: d.Day.Format("2 Jan")})
		}
		if d.P95 == 0 {
			continue
		}
		for _, l := range []struct {
			b *strings.Builder
			v time.Duration
		}{{&p50, d.P50}, {&p95, d.P95}} {
			cmd := "L"
			if l.b.Len() == 0 {
				cmd = "M"
			}
			fmt.Fprintf(l.b, "%s%.1f %.1f ", cmd, x, y(float64(l.v.Microseconds())/1000))
		}
		c.Dots = append(c.Dots, ChartDot{X: x, Y: y(float64(d.P95.Microseconds()) / 1000),
			Title: fmt.Sprintf("%s: p50 %s, p95 %s", d.Day.Format("2 Jan"), roundDur(d.P50), roundDur(d.P95))})
	}
	c.P50, c.P95 = strings.TrimSpace(p50.String()), strings.TrimSpace(p95.String())
	return c
}

func roundDur(d time.Duration) string {
	if d >= time.Second {
		return d.Round(10 * time.Millisecond).String()
	}
	return d.Round(100 * time.Microsecond).String()
}

// compact writes a count or value briefly: 950, 1.2k, 3.4M.
func compact(v float64) string {
	switch {
	case v >= 1e6:
		return strings.TrimSuffix(fmt.Sprintf("%.1f", v/1e6), ".0") + "M"
	case v >= 1e3:
		return strings.TrimSuffix(fmt.Sprintf("%.1f", v/1e3), ".0") + "k"
	}
	return strings.TrimSuffix(fmt.Sprintf("%.1f", v), ".0")
}

// pct writes a share as a whole percentage.
func pct(share float64) string { return fmt.Sprintf("%.0f%%", share*100) }
