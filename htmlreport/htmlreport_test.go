package htmlreport_test

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/otnsim/otnsim/compliance"
	"github.com/otnsim/otnsim/compliance/testdata/bots/minibot"
	"github.com/otnsim/otnsim/fakegraph"
	"github.com/otnsim/otnsim/htmlreport"
	"github.com/otnsim/otnsim/lifeline"
	"github.com/otnsim/otnsim/load/report"
	"github.com/otnsim/otnsim/rules"
	"github.com/otnsim/otnsim/scenarios"
)

// runReport plays the scenarios under paths and returns the run's JSON
// report.
func runReport(paths ...string) (scenarios.Report, []byte) {
	scs, err := scenarios.Load(paths...)
	Expect(err).NotTo(HaveOccurred())
	began := time.Now()
	rep := scenarios.Report{Tool: "otnsim test", Started: began, Results: scenarios.RunAll(scs, scenarios.RunOptions{}, nil)}
	rep.Elapsed = time.Since(began)
	var buf bytes.Buffer
	Expect(rep.WriteJSON(&buf)).To(Succeed())
	return rep, buf.Bytes()
}

// render renders src to a file in dir and returns its path and text.
func render(src []byte, dir, name string) (string, string) {
	var out bytes.Buffer
	Expect(htmlreport.Render(&out, src)).To(Succeed())
	path := filepath.Join(dir, name)
	Expect(os.WriteFile(path, out.Bytes(), 0o644)).To(Succeed())
	return path, out.String()
}

// shotDir is where screenshots go: $SCREENSHOT_DIR (make docs-screenshot
// sets it to docs/), else a temporary folder.
func shotDir() string {
	if d := os.Getenv("SCREENSHOT_DIR"); d != "" {
		Expect(os.MkdirAll(d, 0o755)).To(Succeed())
		return d
	}
	return GinkgoT().TempDir()
}

// drawn counts what the lifelines of a run report hold.
type drawn struct{ lifelines, tokens, marks, findings int }

func countDrawn(ls []lifeline.Lifeline) drawn {
	var d drawn
	for _, l := range ls {
		d.lifelines++
		d.tokens += len(l.Tokens)
		d.marks += len(l.Sends) + len(l.Actions)
		d.findings += len(l.Findings)
	}
	return d
}

// external matches an attribute that would make a browser fetch something.
var external = regexp.MustCompile(`(?i)(src|href|xlink:href)\s*=\s*"(https?:)?//|@import|url\(\s*['"]?https?:`)

var _ = Describe("the HTML report", func() {
	It("draws a failed run's verdicts and every subscriber's lifeline, with nothing to fetch", func() {
		rep, src := runReport("testdata")
		_, page := render(src, GinkgoT().TempDir(), "run.html")
		var ls []lifeline.Lifeline
		for _, r := range rep.Results {
			Expect(r.Passed).To(BeFalse(), r.Name)
			ls = append(ls, r.Lifelines...)
		}
		d := countDrawn(ls)
		Expect(d.lifelines).To(Equal(3), "dan and eve, then ana")
		Expect(d.tokens).To(BeNumerically(">=", 3))
		Expect(strings.Count(page, `<svg class="lifeline"`)).To(Equal(d.lifelines))
		Expect(strings.Count(page, `<rect class="bar `)).To(Equal(d.tokens))
		Expect(strings.Count(page, `<g class="mark `)).To(Equal(d.marks))
		Expect(strings.Count(page, `<a class="finding"`)).To(Equal(d.findings))
		Expect(page).To(ContainSubstring(`<span class="verdict FAIL">FAIL</span>`))
		Expect(page).To(ContainSubstring(`href="testdata/reused-token.yaml#L24"`), "the failed step's file and line")
		Expect(page).To(ContainSubstring(`href="#rule-`+rules.TokenOnce+`"`), "the refusal links to its rule")
		Expect(page).To(ContainSubstring("@page { size: A4 landscape"))
		Expect(external.FindAllString(page, -1)).To(BeEmpty())
	})

	It("refuses JSON that is no otnsim report", func() {
		var out bytes.Buffer
		Expect(htmlreport.Render(&out, []byte(`{"schema":"something-else"}`))).To(MatchError(htmlreport.ErrUnknownReport))
		Expect(htmlreport.Render(&out, []byte(`not json`))).To(MatchError(ContainSubstring("read report")))
	})

	It("keeps the report of a million-subscriber load run under 5 MB: aggregates, and capped lifelines", func() {
		// 10 shards of 100,000 subscribers, each with findings of every
		// rule and a full share of violations, every one with a full
		// lifeline.
		var shards []*report.Report
		for i := range 10 {
			shards = append(shards, bigShard(i, 10))
		}
		merged, err := report.Merge(shards...)
		Expect(err).NotTo(HaveOccurred())
		Expect(merged.Subscribers).To(Equal(1_000_000))
		src, err := merged.MarshalIndent()
		Expect(err).NotTo(HaveOccurred())
		var out bytes.Buffer
		Expect(htmlreport.Render(&out, src)).To(Succeed())
		GinkgoWriter.Printf("synthetic 1,000,000-subscriber load report: JSON %d bytes, HTML %d bytes\n", len(src), out.Len())
		Expect(len(src)).To(BeNumerically("<", 5<<20))
		Expect(out.Len()).To(BeNumerically("<", 5<<20))
		Expect(strings.Count(out.String(), `<svg class="lifeline"`)).To(Equal(2 * report.MaxLifelines))
	})
})

// bigShard is shard i of n of a synthetic load run, as heavy as a report
// can be: every rule with findings and a sample with a lifeline of the most
// marks a load report keeps, and the most violations, each with one.
func bigShard(i, n int) *report.Report {
	per := 1_000_000 / n
	r := &report.Report{Version: report.FormatVersion, Engine: "in-process", Profile: "small-shop", Seed: 1,
		Population: 1_000_000, Subscribers: per, Days: 30, Shards: []string{fmt.Sprintf("%d/%d", i, n)},
		Findings: map[string]int64{}, Throughput: report.NewThroughput(30)}
	start := time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)
	for k := range r.Throughput.Events {
		r.Throughput.Events[k], r.Throughput.SendCalls[k] = int64(1000+k), int64(400+k)
	}
	r.Counters = report.Counters{Events: 5_000_000, SendCalls: 2_000_000, TokensIssued: 100_000, TokensSpent: 60_000, TokensExpired: 30_000, TokensActive: 10_000}
	for j, rule := range rules.All() {
		g := i*per + j
		r.Findings[rule.ID] = int64(100 + j)
		ll := fullLifeline(fmt.Sprintf("subscriber %d", g), start)
		r.AddSample(rule.ID, report.FindingSample{Subscriber: g, PSID: fmt.Sprint(g), At: start.Format(time.RFC3339), Detail: "synthetic", Replay: "otnsim load --subscriber " + fmt.Sprint(g), Lifeline: &ll})
	}
	var vs []report.Violation
	for j := range report.MaxViolations {
		ll := fullLifeline("subscriber", start)
		vs = append(vs, report.Violation{Invariant: "INV-WINDOW", Subscriber: i*per + j, At: start.Format(time.RFC3339), Detail: "synthetic", Lifeline: &ll})
	}
	r.AddViolations(int64(len(vs)), vs)
	h := report.NewHistogram()
	for k := range 2_000 {
		report.RecordDuration(h, time.Duration(50+k*k%90_000)*time.Microsecond)
	}
	r.Latency, _ = report.LatencyFrom(h)
	return r
}

// fullLifeline is a lifeline with report.LifelineMarks marks.
func fullLifeline(name string, at time.Time) lifeline.Lifeline {
	l := lifeline.Lifeline{Subscriber: name, PSID: "1", From: at, To: at.Add(30 * 24 * time.Hour)}
	for k := range report.LifelineMarks / 2 {
		t := at.Add(time.Duration(k) * 6 * time.Hour)
		l.Actions = append(l.Actions, lifeline.Action{Seq: k + 1, At: t, Kind: "message", Detail: `"a question about the silk scarf, in stock again?"`})
		l.Sends = append(l.Sends, lifeline.Send{Seq: k + 1, At: t, Kind: "message", Verdict: lifeline.VerdictRefused, Code: 10, Rule: rules.Win24h,
			Detail: `send message to id RESPONSE (window closed) -> refused 10/2018278 [WIN-24H]`})
		l.Windows = append(l.Windows, lifeline.Window{Open: t, Close: t.Add(24 * time.Hour)})
		l.Tokens = append(l.Tokens, lifeline.Token{Seq: k + 1, Topic: "restock:silk-scarf", Issued: t, End: t.Add(time.Hour), Fate: lifeline.FateSpent})
	}
	l.Findings = []lifeline.Finding{{Rule: rules.Win24h, Severity: "failure", At: at, Detail: "synthetic"}}
	return l
}

var _ = Describe("the HTML report in a real browser", Ordered, func() {
	var b *browser
	BeforeAll(func() { b = startBrowser() })

	It("shows a failed run: the FAIL rows, one lifeline per subscriber, every bar and mark, and fetches nothing", func() {
		rep, src := runReport("testdata")
		path, _ := render(src, GinkgoT().TempDir(), "run.html")
		l := b.open(path)
		defer l.close()
		l.offline()
		var ls []lifeline.Lifeline
		for _, r := range rep.Results {
			ls = append(ls, r.Lifelines...)
		}
		d := countDrawn(ls)
		Expect(l.count("svg.lifeline")).To(Equal(d.lifelines))
		Expect(l.count("svg.lifeline rect.bar")).To(Equal(d.tokens))
		Expect(l.count("svg.lifeline .mark")).To(Equal(d.marks))
		Expect(l.count(`svg.lifeline .mark[tabindex="0"][aria-label]`)).To(Equal(d.marks), "every mark takes the keyboard focus and has a label")
		Expect(l.count("svg.lifeline a.finding")).To(Equal(d.findings))
		Expect(l.count("table.scenarios tr.fail")).To(Equal(2))
		charged, contract := map[string]bool{}, 0
		for _, r := range rep.Results {
			for _, id := range r.Verdict().Charged(rules.Info) {
				charged[id] = true
			}
			contract += len(r.Verdict().Contract())
		}
		Expect(charged).To(HaveKey(rules.TokenOnce))
		Expect(l.count("table.rules tr.fail")).To(Equal(len(charged)))
		Expect(l.count("#rule-"+rules.TokenOnce+".fail .evidence")).To(BeNumerically(">", 0), "with its evidence")
		Expect(contract).To(Equal(1), "the wrong expectation")
		Expect(l.count("h2#contract + p + table tr.fail")).To(Equal(contract))
		Expect(l.text("h1 .verdict")).To(Equal("FAIL"))

		dir := shotDir()
		l.screenshot(dir, "html-report-run.png", "")
		// Focus on a call: its details show under the lifeline.
		Expect(chromedp.Do(l.tab, chromedp.Focus(chromedp.CSS("svg.lifeline .mark.refused")))).To(Succeed())
		detail := l.text("figure:has(.mark.refused) .detail")
		Expect(detail).To(MatchRegexp(`call #\d+ +send message .* refused 100 .*\(step at testdata/reused-token.yaml:2[23]:5\)`))
		Expect(l.count("figure:has(.mark.refused) .detail a[href^='testdata/reused-token.yaml#L']")).To(Equal(1), "a link to the step")
		GinkgoWriter.Printf("failed run report (%d lifelines): rendered in %.1f ms\n", d.lifelines, l.renderMS)
		l.screenshot(dir, "html-report-lifeline.png", "section.group")
	})

	It("sees a page's requests: the check that the report fetches nothing can fail", func() {
		dir := GinkgoT().TempDir()
		Expect(os.WriteFile(filepath.Join(dir, "pixel.svg"), []byte(`<svg xmlns="http://www.w3.org/2000/svg"/>`), 0o644)).To(Succeed())
		page := filepath.Join(dir, "fetches.html")
		Expect(os.WriteFile(page, []byte(`<!DOCTYPE html><title>t</title><img src="pixel.svg">`), 0o644)).To(Succeed())
		l := b.open(page)
		defer l.close()
		Expect(l.requests).To(ContainElement(HaveSuffix("/pixel.svg")))
	})

	It("renders the report of the whole shipped suite in under a second", func() {
		_, src := runReport(scenarios.EmbeddedPrefix)
		path, _ := render(src, GinkgoT().TempDir(), "suite.html")
		l := b.open(path)
		defer l.close()
		l.offline()
		GinkgoWriter.Printf("shipped suite report: rendered in %.1f ms\n", l.renderMS)
		Expect(l.renderMS).To(BeNumerically("<", 1000))
		Expect(l.count("table.scenarios tbody tr")).To(BeNumerically(">", 100))
	})

	It("shows a check of a faulty bot: the failed rule's row, its evidence and the lifelines", func() {
		suite, err := scenarios.LoadFS(scenarios.Shipped(), "compliance")
		Expect(err).NotTo(HaveOccurred())
		var mine []*scenarios.Scenario
		for _, sc := range suite {
			if strings.Contains(sc.File, "token") {
				mine = append(mine, sc)
			}
		}
		Expect(mine).NotTo(BeEmpty())
		page := fakegraph.DefaultPage()
		bot := minibot.New(minibot.Faults{ReuseTokens: true}, minibot.Config{GraphURL: fakegraph.DefaultGraphURL,
			AccessToken: page.AccessToken, AppSecret: page.AppSecret, VerifyToken: page.VerifyToken,
			Logf: func(string, ...any) {}})
		ip, err := compliance.NewInProcess(bot, compliance.InProcessConfig{})
		Expect(err).NotTo(HaveOccurred())
		rep, err := compliance.CheckWith(ip, "minibot reuse-tokens", mine, compliance.Options{Only: rules.TokenOnce})
		ip.Close()
		Expect(err).NotTo(HaveOccurred())
		var src bytes.Buffer
		Expect(compliance.WriteJSON(&src, rep)).To(Succeed())
		var ls []lifeline.Lifeline
		for _, g := range rep.Lifelines {
			ls = append(ls, g.Lifelines...)
		}
		d := countDrawn(ls)
		Expect(d.lifelines).To(BeNumerically(">", 0))
		path, _ := render(src.Bytes(), GinkgoT().TempDir(), "check.html")
		l := b.open(path)
		defer l.close()
		l.offline()
		Expect(l.count("table.rules tr.fail")).To(Equal(1))
		Expect(l.count("#rule-" + rules.TokenOnce + ".fail .evidence")).To(BeNumerically(">", 0))
		Expect(l.count("svg.lifeline")).To(Equal(d.lifelines))
		Expect(l.count("svg.lifeline rect.bar")).To(Equal(d.tokens))
		Expect(l.count("svg.lifeline .mark")).To(Equal(d.marks))
		Expect(l.count("svg.lifeline a.finding")).To(Equal(d.findings))
		l.screenshot(shotDir(), "html-report-check.png", "")
	})

	It("shows a load report's charts, findings with their replay commands, and capped lifelines", func() {
		merged, err := report.Merge(bigShard(0, 10), bigShard(1, 10))
		Expect(err).NotTo(HaveOccurred())
		src, err := merged.MarshalIndent()
		Expect(err).NotTo(HaveOccurred())
		path, _ := render(src, GinkgoT().TempDir(), "load.html")
		l := b.open(path)
		defer l.close()
		l.offline()
		Expect(l.count("svg.chart")).To(Equal(3), "throughput, latency, tokens by fate")
		Expect(l.count("table.findings tbody tr")).To(Equal(len(rules.All())))
		Expect(l.count("table.findings pre")).To(Equal(len(rules.All())), "a replay command for each")
		Expect(l.count("table.violations tr.fail")).To(Equal(report.MaxViolations))
		Expect(l.count("svg.lifeline")).To(Equal(2 * report.MaxLifelines))
		Expect(l.count("svg.lifeline .mark")).To(Equal(2 * report.MaxLifelines * report.LifelineMarks))
	})

	It("prints on A4 landscape", func() {
		_, src := runReport("testdata")
		path, _ := render(src, GinkgoT().TempDir(), "run.html")
		l := b.open(path)
		defer l.close()
		pdf, err := chromedp.Run(l.tab, chromedp.PrintToPDF(chromedp.PDFPreferCSSPageSize()))
		Expect(err).NotTo(HaveOccurred())
		box := regexp.MustCompile(`/MediaBox \[0 0 ([0-9.]+) ([0-9.]+)\]`).FindSubmatch(pdf)
		Expect(box).NotTo(BeNil(), "a page size in the PDF")
		w, _ := strconv.ParseFloat(string(box[1]), 64)
		h, _ := strconv.ParseFloat(string(box[2]), 64)
		Expect(w).To(BeNumerically("~", 842, 2), "297 mm wide, in points")
		Expect(h).To(BeNumerically("~", 595, 2), "210 mm high")
	})

	It("reads without JavaScript: the verdict, the rules and the scenarios are plain HTML", func() {
		_, src := runReport("testdata")
		path, _ := render(src, GinkgoT().TempDir(), "run.html")
		tab, cancel := chromedp.NewContext(b.ctx)
		defer cancel()
		_, err := chromedp.Call(tab, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true})
		Expect(err).NotTo(HaveOccurred())
		abs, err := filepath.Abs(path)
		Expect(err).NotTo(HaveOccurred())
		Expect(chromedp.Do(tab, chromedp.Navigate("file://"+abs), chromedp.WaitReady(chromedp.CSS("body")))).To(Succeed())
		verdict, err := chromedp.Run(tab, chromedp.Text(chromedp.CSS("h1 .verdict")))
		Expect(err).NotTo(HaveOccurred())
		Expect(verdict).To(Equal("FAIL"))
		// With scripts off, the page's own script never ran: the
		// noscript class it removes is still there.
		classes, err := chromedp.Run(tab, chromedp.AttributeValue(chromedp.CSS("html"), "class"))
		Expect(err).NotTo(HaveOccurred())
		Expect(classes.Value).To(Equal("noscript"))
		// DevTools still evaluates, the page's scripts being off.
		rows, err := chromedp.Run(tab, chromedp.Evaluate[int](`document.querySelectorAll("table.scenarios tbody tr").length`))
		Expect(err).NotTo(HaveOccurred())
		Expect(rows).To(Equal(2))
	})
})
