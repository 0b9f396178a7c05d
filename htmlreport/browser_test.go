package htmlreport_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

// browserNames are the commands tried for a headless browser, after
// $CHROMIUM: Debian's chromium package first.
var browserNames = []string{"chromium", "chromium-browser", "google-chrome", "chrome", "headless-shell"}

// findBrowser returns the path of a Chromium to drive, or "".
func findBrowser() string {
	for _, name := range append([]string{os.Getenv("CHROMIUM")}, browserNames...) {
		if name == "" {
			continue
		}
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// browser is one headless Chromium shared by the specs of this suite.
type browser struct {
	ctx    context.Context
	cancel func()
	dir    string // its profile and temporary files, removed after the suite
}

var (
	browserOnce sync.Once
	shared      *browser
	browserErr  error
)

// startBrowser starts the suite's Chromium, or skips the spec, saying why,
// when none is installed.
func startBrowser() *browser {
	path := findBrowser()
	if path == "" {
		Skip("no headless browser found: install Debian's chromium package (apt-get install -y chromium; .ci/run does) or set CHROMIUM to its path")
	}
	browserOnce.Do(func() {
		dir, err := os.MkdirTemp("", "otnsim-htmlreport-")
		if err != nil {
			browserErr = err
			return
		}
		opts := append(chromedp.DefaultExecAllocatorOptions[:],
			chromedp.ExecPath(path), chromedp.NoSandbox, chromedp.DisableGPU,
			chromedp.UserDataDir(filepath.Join(dir, "profile")), chromedp.Env("TMPDIR="+dir),
			chromedp.WindowSize(1280, 900), chromedp.Flag("hide-scrollbars", true))
		actx, acancel := chromedp.NewExecAllocator(context.Background(), opts...)
		ctx, cancel := chromedp.NewContext(actx)
		if err := chromedp.Do(ctx); err != nil {
			cancel()
			acancel()
			_ = os.RemoveAll(dir)
			browserErr = fmt.Errorf("start %s: %w", path, err)
			return
		}
		shared = &browser{ctx: ctx, cancel: func() { cancel(); acancel() }, dir: dir}
	})
	Expect(browserErr).NotTo(HaveOccurred())
	return shared
}

var _ = AfterSuite(func() {
	if shared != nil {
		shared.cancel()
		Expect(os.RemoveAll(shared.dir)).To(Succeed())
	}
})

// loaded is a page as the browser loaded it.
type loaded struct {
	url      string
	requests []string // every URL the page asked for, the page itself included
	// renderMS is the navigation's load event, from its start, in
	// milliseconds of the browser's clock.
	renderMS float64
	tab      context.Context
	close    func()
}

// open loads the HTML file at path in a new tab, recording every request.
func (b *browser) open(path string) *loaded {
	abs, err := filepath.Abs(path)
	Expect(err).NotTo(HaveOccurred())
	tab, cancel := chromedp.NewContext(b.ctx)
	l := &loaded{url: "file://" + abs, close: cancel}
	var mu sync.Mutex
	Expect(chromedp.Listen(tab, func(ev any) {
		if e, ok := ev.(*network.EventRequestWillBeSent); ok && e.Request != nil {
			mu.Lock()
			l.requests = append(l.requests, e.Request.URL)
			mu.Unlock()
		}
	})).To(Succeed())
	// The tab is open: later calls may have a deadline of their own.
	act, cancelAct := context.WithTimeout(tab, 60*time.Second)
	l.tab, l.close = act, func() { cancelAct(); cancel() }
	_, err = chromedp.Call(act, network.Enable, network.EnableParams{})
	Expect(err).NotTo(HaveOccurred())
	Expect(chromedp.Do(act, chromedp.Navigate(l.url), chromedp.WaitReady(chromedp.CSS("body")))).To(Succeed())
	l.renderMS, err = chromedp.Run(act, chromedp.Evaluate[float64](`performance.getEntriesByType("navigation")[0].loadEventEnd`))
	Expect(err).NotTo(HaveOccurred())
	mu.Lock()
	defer mu.Unlock()
	l.requests = append([]string(nil), l.requests...)
	return l
}

// count returns how many elements match the CSS selector.
func (l *loaded) count(selector string) int {
	n, err := chromedp.Run(l.tab, chromedp.Evaluate[int](fmt.Sprintf("document.querySelectorAll(%q).length", selector)))
	Expect(err).NotTo(HaveOccurred())
	return n
}

// text returns the text of the first element that matches the CSS selector.
func (l *loaded) text(selector string) string {
	s, err := chromedp.Run(l.tab, chromedp.Text(chromedp.CSS(selector)))
	Expect(err).NotTo(HaveOccurred())
	return s
}

// offline asserts that the page asked for nothing but itself.
func (l *loaded) offline() {
	for _, u := range l.requests {
		Expect(u == l.url || strings.HasPrefix(u, "data:")).To(BeTrue(), "the page fetched %s", u)
	}
	Expect(l.requests).To(ContainElement(l.url))
}

// screenshot writes a PNG of what the window shows (of the first element
// matching the CSS selector, when given) to dir/name.
func (l *loaded) screenshot(dir, name, selector string) string {
	var png []byte
	var err error
	if selector == "" {
		png, err = chromedp.Run(l.tab, chromedp.CaptureScreenshot())
	} else {
		png, err = chromedp.Run(l.tab, chromedp.Screenshot(chromedp.CSS(selector)))
	}
	Expect(err).NotTo(HaveOccurred())
	Expect(png[:8]).To(Equal([]byte("\x89PNG\r\n\x1a\n")), "a PNG")
	out := filepath.Join(dir, name)
	Expect(os.WriteFile(out, png, 0o644)).To(Succeed())
	return out
}
