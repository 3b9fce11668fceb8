package main

import (
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strings"
	"text/tabwriter"
	"time"
)

// measurement is one scenario run against one target: a JSON record.
type measurement struct {
	Scenario    string  `json:"scenario"`
	Target      string  `json:"target"`
	Run         int     `json:"run"`
	Rate        float64 `json:"rate_per_s"`
	P50us       float64 `json:"p50_us,omitempty"`
	P99us       float64 `json:"p99_us,omitempty"`
	BytesPerSec float64 `json:"bytes_per_s,omitempty"`
	CPUPer100k  float64 `json:"cpu_s_per_100k,omitempty"` // the router's (relay's) CPU seconds per 100k operations
	// The same for the load's client process, the backend, and all CPUs
	// (every process on the machine), and the CPUs' busy fraction: in a
	// window where they are all busy, the sum sets the rate.
	ClientCPUPer100k  float64 `json:"client_cpu_s_per_100k,omitempty"`
	BackendCPUPer100k float64 `json:"backend_cpu_s_per_100k,omitempty"`
	MachineCPUPer100k float64 `json:"machine_cpu_s_per_100k,omitempty"`
	MachineBusy       float64 `json:"machine_busy,omitempty"`
	RSSKB             int64   `json:"rss_kb,omitempty"`
	RSSPerSessionKB   float64 `json:"rss_per_session_kb,omitempty"`
	Ops               int64   `json:"ops"`
	Seconds           float64 `json:"seconds"`
	Load1             float64 `json:"load1"` // 1-minute load average when the measurement started
	Error             string  `json:"error,omitempty"`
	NotApplicable     bool    `json:"not_applicable,omitempty"`
	Note              string  `json:"note,omitempty"` // why not applicable
}

func (m *measurement) fill(r result, measured bool) {
	m.Ops, m.Seconds = r.ops, r.seconds
	if r.seconds > 0 {
		m.Rate = float64(r.ops) / r.seconds
		m.BytesPerSec = float64(r.bytes) / r.seconds
	}
	p50, p99 := r.p50, r.p99
	if r.hist != nil {
		p50, p99 = r.hist.quantile(0.50), r.hist.quantile(0.99)
	}
	m.P50us, m.P99us = us(p50), us(p99)
	per100k := func(d time.Duration) float64 { return d.Seconds() / float64(r.ops) * 1e5 }
	if r.ops > 0 && r.others.total > 0 {
		m.ClientCPUPer100k, m.BackendCPUPer100k = per100k(r.others.client), per100k(r.others.backend)
		m.MachineCPUPer100k = per100k(r.others.busy)
		m.MachineBusy = r.others.busy.Seconds() / r.others.total.Seconds()
	}
	if measured {
		if r.ops > 0 {
			m.CPUPer100k = per100k(r.cpu)
		}
		m.RSSKB = r.rssKB
		m.RSSPerSessionKB = r.perSess
	}
}

func us(d time.Duration) float64 { return float64(d) / float64(time.Microsecond) }

// line is the measurement in one line, for progress output.
func (m *measurement) line(sc scenario) string {
	switch {
	case m.Error != "":
		return "FAILED: " + firstLine(m.Error)
	case m.NotApplicable:
		return "n/a"
	}
	s := fmt.Sprintf("%s %s", num(m.Rate), sc.unit)
	if m.P50us > 0 {
		s += fmt.Sprintf("  p50 %s  p99 %s", dur(m.P50us), dur(m.P99us))
	}
	if m.RSSPerSessionKB != 0 {
		s += fmt.Sprintf("  %.2f KB/session", m.RSSPerSessionKB)
	}
	if m.CPUPer100k > 0 {
		s += fmt.Sprintf("  cpu %.3gs/100k", m.CPUPer100k)
	}
	return s + fmt.Sprintf("  (load %.2f)", m.Load1)
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i] + " …"
	}
	return s
}

// cell is the median of one scenario and target over the runs, or why
// there is none.
type cell struct {
	Scenario      string      `json:"scenario"`
	Target        string      `json:"target"`
	Runs          int         `json:"runs"`
	Refused       bool        `json:"refused,omitempty"` // some run failed: no numbers are reported
	Errors        []string    `json:"errors,omitempty"`
	NotApplicable bool        `json:"not_applicable,omitempty"`
	Note          string      `json:"note,omitempty"`
	Median        measurement `json:"median"`
	RateMin       float64     `json:"rate_min,omitempty"` // the spread over the runs
	RateMax       float64     `json:"rate_max,omitempty"`
}

// ratio compares one floe target with another target in one scenario.
// Each is the median of the ratios within each run (paired).
type ratio struct {
	Scenario string  `json:"scenario"`
	Target   string  `json:"target"`
	Versus   string  `json:"versus"`
	Runs     int     `json:"runs"` // runs in which both were measured
	Rate     float64 `json:"rate"`
	P50      float64 `json:"p50,omitempty"`
	P99      float64 `json:"p99,omitempty"`
	// AddedP50 compares the p50 latency each adds over direct calls.
	AddedP50      float64 `json:"added_p50,omitempty"`
	CPU           float64 `json:"cpu,omitempty"`
	RSS           float64 `json:"rss,omitempty"`
	RSSPerSession float64 `json:"rss_per_session,omitempty"`
}

// report is everything one bench run measured.
type report struct {
	Commit       string            `json:"commit"`
	Started      time.Time         `json:"started"`
	Finished     time.Time         `json:"finished"`
	GoVersion    string            `json:"go_version"`
	CPUs         int               `json:"cpus"`
	LoadStart    string            `json:"loadavg_start"`
	LoadEnd      string            `json:"loadavg_end"`
	Settings     map[string]any    `json:"settings"`
	Targets      map[string]string `json:"targets"`
	Scenarios    map[string]string `json:"scenarios"`
	Measurements []measurement     `json:"measurements"`
	Cells        []cell            `json:"results"`
	Ratios       []ratio           `json:"ratios"`

	targets []target
	scens   []scenario
}

func newReport(cfg settings, targets []target, scens []scenario, routerProps map[string]string) *report {
	r := &report{Commit: gitCommit(), Started: time.Now(), GoVersion: runtime.Version(), CPUs: runtime.NumCPU(),
		LoadStart: loadavgLine(), targets: targets, scens: scens,
		Targets: map[string]string{}, Scenarios: map[string]string{},
		Settings: map[string]any{"runs": cfg.runs, "duration": cfg.duration.String(), "warmup": cfg.warmup.String(),
			"idle_sessions": cfg.idle, "echo_size": cfg.echoSize, "setup_concurrency": cfg.setupConc,
			"backend_threads": cfg.backendThreads, "router_properties": routerProps}}
	for _, t := range targets {
		r.Targets[t.name] = t.about
	}
	for _, s := range scens {
		r.Scenarios[s.name] = s.about(cfg)
	}
	return r
}

func (r *report) add(m measurement) { r.Measurements = append(r.Measurements, m) }

// finish computes the medians and ratios.
func (r *report) finish() {
	r.Finished = time.Now()
	r.LoadEnd = loadavgLine()
	for _, sc := range r.scens {
		byTarget := map[string]cell{}
		for _, t := range r.targets {
			c := r.cell(sc.name, t.name)
			byTarget[t.name] = c
			r.Cells = append(r.Cells, c)
		}
		// Each floe target against each glacier2router variant and the relay,
		// floe against the baseline build, and floe-2conns and floe-cpus
		// against floe.
		for _, t := range r.targets {
			if !strings.HasPrefix(t.name, "floe") {
				continue
			}
			for _, vs := range r.targets {
				ab := (t.name == "floe" && vs.name == "floe-baseline") || ((t.name == "floe-2conns" || t.name == "floe-cpus") && vs.name == "floe")
				if !strings.HasPrefix(vs.name, "glacier2") && vs.name != "relay" && !ab {
					continue
				}
				if rt, ok := r.compare(byTarget[t.name], byTarget[vs.name], byTarget["direct"]); ok {
					r.Ratios = append(r.Ratios, rt)
				}
			}
		}
	}
}

// runs are the successful measurements of one scenario and target, by run.
func (r *report) runs(scenario, target string) map[int]measurement {
	out := map[int]measurement{}
	for _, m := range r.Measurements {
		if m.Scenario == scenario && m.Target == target && m.Error == "" && !m.NotApplicable {
			out[m.Run] = m
		}
	}
	return out
}

func (r *report) cell(scenario, target string) cell {
	c := cell{Scenario: scenario, Target: target}
	for _, m := range r.Measurements {
		if m.Scenario != scenario || m.Target != target {
			continue
		}
		c.Runs++
		switch {
		case m.Error != "":
			c.Refused = true
			c.Errors = append(c.Errors, fmt.Sprintf("run %d: %s", m.Run, m.Error))
		case m.NotApplicable:
			c.NotApplicable = true
			c.Note = m.Note
		}
	}
	ms := slices.Collect(maps.Values(r.runs(scenario, target)))
	if c.Refused || len(ms) == 0 {
		return c
	}
	med := func(f func(measurement) float64) float64 {
		xs := make([]float64, len(ms))
		for i, m := range ms {
			xs[i] = f(m)
		}
		return median(xs)
	}
	c.Median = measurement{Scenario: scenario, Target: target,
		Rate:              med(func(m measurement) float64 { return m.Rate }),
		P50us:             med(func(m measurement) float64 { return m.P50us }),
		P99us:             med(func(m measurement) float64 { return m.P99us }),
		BytesPerSec:       med(func(m measurement) float64 { return m.BytesPerSec }),
		CPUPer100k:        med(func(m measurement) float64 { return m.CPUPer100k }),
		ClientCPUPer100k:  med(func(m measurement) float64 { return m.ClientCPUPer100k }),
		BackendCPUPer100k: med(func(m measurement) float64 { return m.BackendCPUPer100k }),
		MachineCPUPer100k: med(func(m measurement) float64 { return m.MachineCPUPer100k }),
		MachineBusy:       med(func(m measurement) float64 { return m.MachineBusy }),
		RSSKB:             int64(med(func(m measurement) float64 { return float64(m.RSSKB) })),
		RSSPerSessionKB:   med(func(m measurement) float64 { return m.RSSPerSessionKB }),
		Ops:               int64(med(func(m measurement) float64 { return float64(m.Ops) })),
		Seconds:           med(func(m measurement) float64 { return m.Seconds }),
		Load1:             med(func(m measurement) float64 { return m.Load1 }),
	}
	c.RateMin = slices.MinFunc(ms, func(a, b measurement) int { return cmp.Compare(a.Rate, b.Rate) }).Rate
	c.RateMax = slices.MaxFunc(ms, func(a, b measurement) int { return cmp.Compare(a.Rate, b.Rate) }).Rate
	return c
}

// compare is f's ratio to vs: the median over the runs of the ratio within
// each run, where the two were measured one after the other, so that the
// load of a shared machine drifting between runs cancels out. direct, when
// measured, gives the latency each adds.
func (r *report) compare(f, vs, direct cell) (ratio, bool) {
	if f.Refused || vs.Refused || f.NotApplicable || vs.NotApplicable {
		return ratio{}, false
	}
	fr, vr, dr := r.runs(f.Scenario, f.Target), r.runs(vs.Scenario, vs.Target), r.runs(direct.Scenario, "direct")
	var rate, p50, p99, added, cpu, rss, perSess []float64
	for run, a := range fr {
		b, ok := vr[run]
		if !ok {
			continue
		}
		rate = append(rate, div(a.Rate, b.Rate))
		p50 = append(p50, div(a.P50us, b.P50us))
		p99 = append(p99, div(a.P99us, b.P99us))
		cpu = append(cpu, div(a.CPUPer100k, b.CPUPer100k))
		rss = append(rss, div(float64(a.RSSKB), float64(b.RSSKB)))
		perSess = append(perSess, div(a.RSSPerSessionKB, b.RSSPerSessionKB))
		// Under a saturating load a hop may show a lower p50 than direct
		// calls, which queue at the backend instead: then neither added
		// anything to compare.
		if d, ok := dr[run]; ok && d.P50us > 0 && !direct.Refused && a.P50us > d.P50us && b.P50us > d.P50us {
			added = append(added, div(a.P50us-d.P50us, b.P50us-d.P50us))
		}
	}
	if len(rate) == 0 {
		return ratio{}, false
	}
	return ratio{Scenario: f.Scenario, Target: f.Target, Versus: vs.Target, Runs: len(rate), Rate: median(rate),
		P50: median(p50), P99: median(p99), AddedP50: median(added), CPU: median(cpu), RSS: median(rss),
		RSSPerSession: median(perSess)}, true
}

func div(a, b float64) float64 {
	if b == 0 {
		return 0
	}
	return a / b
}

// refused reports whether some scenario could not be reported.
func (r *report) refused() bool {
	for _, c := range r.Cells {
		if c.Refused {
			return true
		}
	}
	return false
}

// print writes the results table.
func (r *report) print(w io.Writer) {
	fmt.Fprintf(w, "\nfloe-bench %s  commit %s  %d CPUs  %s\n", r.Started.Format("2006-01-02 15:04"), r.Commit, r.CPUs, r.GoVersion)
	fmt.Fprintf(w, "load average (1/5/15 min): %s at start, %s at end\n", r.LoadStart, r.LoadEnd)
	fmt.Fprintf(w, "medians of %v runs of %v after %v warm-up; CPU = router (relay) CPU seconds per 100k operations\n",
		r.Settings["runs"], r.Settings["duration"], r.Settings["warmup"])
	for _, sc := range r.scens {
		fmt.Fprintf(w, "\n%s: %s\n", sc.name, r.Scenarios[sc.name])
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintf(tw, "target\t%s\truns' range\tp50\tp99\tMB/s\tCPU s/100k\tRSS MB\tKB/session\tload\t\n", sc.unit)
		var refused, notes []cell
		for _, c := range r.Cells {
			if c.Scenario != sc.name {
				continue
			}
			m := c.Median
			switch {
			case c.Refused:
				fmt.Fprintf(tw, "%s\tFAILED\t\t\t\t\t\t\t\t\t\n", c.Target)
				refused = append(refused, c)
			case c.NotApplicable:
				fmt.Fprintf(tw, "%s\tn/a\t\t\t\t\t\t\t\t\t\n", c.Target)
				notes = append(notes, c)
			default:
				fmt.Fprintf(tw, "%s\t%s\t%s–%s\t%s\t%s\t%s\t%s\t%s\t%s\t%.2f\t\n", c.Target, num(m.Rate),
					num(c.RateMin), num(c.RateMax), dur(m.P50us), dur(m.P99us),
					opt(m.BytesPerSec/1e6, "%.1f"), opt(m.CPUPer100k, "%.3g"), opt(float64(m.RSSKB)/1024, "%.1f"),
					opt(m.RSSPerSessionKB, "%.2f"), m.Load1)
			}
		}
		tw.Flush()
		for _, rt := range r.Ratios {
			if rt.Scenario != sc.name {
				continue
			}
			s := fmt.Sprintf("  %s ÷ %s (median of %d paired runs): %s %s", rt.Target, rt.Versus, rt.Runs, sc.unit, x(rt.Rate))
			if rt.P50 > 0 {
				s += "  p50 " + x(rt.P50) + "  p99 " + x(rt.P99)
			}
			if rt.AddedP50 != 0 {
				s += "  added p50 over direct " + x(rt.AddedP50)
			}
			if rt.CPU > 0 {
				s += "  CPU " + x(rt.CPU)
			}
			if rt.RSSPerSession != 0 {
				s += "  KB/session " + x(rt.RSSPerSession)
			} else if rt.RSS > 0 {
				s += "  RSS " + x(rt.RSS)
			}
			fmt.Fprintln(w, s)
		}
		r.printCPU(w, sc)
		for _, c := range notes {
			fmt.Fprintf(w, "  n/a: %s: %s\n", c.Target, c.Note)
		}
		for _, c := range refused {
			fmt.Fprintf(w, "  NOT REPORTED: %s on %s: a request failed:\n", c.Target, c.Scenario)
			for _, e := range c.Errors {
				fmt.Fprintf(w, "    %s\n", strings.ReplaceAll(e, "\n", "\n      "))
			}
		}
	}
	r.printGoals(w)
}

func x(v float64) string { return fmt.Sprintf("%.2f×", v) }

func opt(v float64, format string) string {
	if v == 0 {
		return "-"
	}
	return fmt.Sprintf(format, v)
}

// num formats a rate with thousands separators.
func num(v float64) string {
	s := fmt.Sprintf("%.0f", v)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// dur formats microseconds.
func dur(us float64) string {
	switch {
	case us == 0:
		return "-"
	case us < 1000:
		return fmt.Sprintf("%.0fµs", us)
	default:
		return fmt.Sprintf("%.2fms", us/1000)
	}
}

func (r *report) writeJSON(path string) error {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}

// readReport reads the JSON of an earlier run and recomputes its results
// from the measurements (so a newer bench prints an older run its way).
func readReport(path string) (*report, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	r := &report{}
	if err := json.Unmarshal(b, r); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	seen := map[string]bool{}
	for _, m := range r.Measurements {
		if !seen["t "+m.Target] {
			seen["t "+m.Target] = true
			r.targets = append(r.targets, target{name: m.Target})
		}
		if !seen["s "+m.Scenario] {
			seen["s "+m.Scenario] = true
			sc := scenario{name: m.Scenario, unit: "per s"}
			if i := slices.IndexFunc(allScenarios, func(s scenario) bool { return s.name == m.Scenario }); i >= 0 {
				sc.unit = allScenarios[i].unit
			}
			r.scens = append(r.scens, sc)
		}
	}
	finished, loadEnd := r.Finished, r.LoadEnd
	r.Cells, r.Ratios = nil, nil
	r.finish()
	r.Finished, r.LoadEnd = finished, loadEnd
	return r, nil
}

func loadavgLine() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}

// gitCommit is the commit of the working directory's checkout, with
// "-dirty" when it has changes ("" outside git).
func gitCommit() string {
	out, err := exec.Command("git", "rev-parse", "--short=12", "HEAD").Output()
	if err != nil {
		return ""
	}
	c := strings.TrimSpace(string(out))
	if st, err := exec.Command("git", "status", "--porcelain", "--untracked-files=no").Output(); err == nil && len(st) > 0 {
		c += "-dirty"
	}
	return c
}

// printCPU lists where the machine's CPU went per 100k operations, for the
// scenarios that measured it: when the CPUs are all busy, the client's and
// the backend's share bound what any router can reach.
func (r *report) printCPU(w io.Writer, sc scenario) {
	var cells []cell
	for _, c := range r.Cells {
		if c.Scenario == sc.name && !c.Refused && !c.NotApplicable && c.Median.MachineCPUPer100k > 0 {
			cells = append(cells, c)
		}
	}
	if len(cells) == 0 {
		return
	}
	fmt.Fprintln(w, "  CPU s per 100k operations, by process (rest: everything else on the machine) and CPUs busy:")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "  \ttarget\tclient\tbackend\trouter\trest\tall\tbusy\t\n")
	for _, c := range cells {
		m := c.Median
		rest := max(0, m.MachineCPUPer100k-m.ClientCPUPer100k-m.BackendCPUPer100k-m.CPUPer100k)
		fmt.Fprintf(tw, "  \t%s\t%.3g\t%.3g\t%s\t%.3g\t%.3g\t%.0f%%\t\n", c.Target, m.ClientCPUPer100k, m.BackendCPUPer100k,
			opt(m.CPUPer100k, "%.3g"), rest, m.MachineCPUPer100k, 100*m.MachineBusy)
	}
	tw.Flush()
}
