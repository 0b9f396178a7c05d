package scenarios

import (
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"

	"github.com/otnsim/otnsim/internal/junit"
)

// family names the suite a scenario file belongs to: its folder.
func family(file string) string {
	dir := path.Base(path.Dir(filepath.ToSlash(file)))
	if dir == "." || dir == "/" || dir == "" {
		return "scenarios"
	}
	return dir
}

// WriteJUnit writes the report as JUnit XML: one testcase per scenario,
// grouped in one testsuite per folder; a failure carries the problems and
// the subscriber's timeline. A report with an Error gets a testsuite
// "otnsim.run" whose one testcase carries it as <error>.
func (r Report) WriteJUnit(w io.Writer) error {
	host, _ := os.Hostname()
	if host == "" {
		host = "localhost"
	}
	passed, failed := r.Counts()
	out := junit.Suites{Name: "otnsim", Tests: passed + failed, Failures: failed, Time: junit.Seconds(r.Elapsed)}
	index := map[string]int{}
	for _, res := range r.Results {
		fam := family(res.File)
		i, ok := index[fam]
		if !ok {
			i = len(out.Suites)
			index[fam] = i
			props := []junit.Property{{Name: "tool", Value: r.Tool}}
			if r.Seed != 0 {
				props = append(props, junit.Property{Name: "seed", Value: fmt.Sprint(r.Seed)})
			}
			out.Suites = append(out.Suites, junit.Suite{
				Name: "otnsim." + fam, Timestamp: r.Started.UTC().Format("2006-01-02T15:04:05"),
				Hostname: host, Properties: props,
			})
		}
		s := &out.Suites[i]
		s.Tests++
		c := junit.Case{Name: res.Name, Classname: "otnsim." + fam, File: res.File, Time: junit.Seconds(res.Elapsed)}
		if f := res.Failure; f != nil {
			s.Failures++
			c.Line = f.Pos.Line
			c.Failure = &junit.Failure{Message: failureMessage(f), Type: "ScenarioFailure", Text: failureText(f)}
		}
		if len(res.Findings) > 0 {
			var lines []string
			for _, fd := range res.Findings {
				lines = append(lines, fd.At.UTC().Format(timelineFormat)+"  "+fd.String())
			}
			c.SystemOut = "findings:\n" + strings.Join(lines, "\n")
		}
		s.Cases = append(s.Cases, c)
	}
	var total time.Duration
	for i := range out.Suites {
		total = 0
		for _, res := range r.Results {
			if "otnsim."+family(res.File) == out.Suites[i].Name {
				total += res.Elapsed
			}
		}
		out.Suites[i].Time = junit.Seconds(total)
	}
	if e := r.Error; e != nil {
		out.Tests++
		out.Errors++
		out.Suites = append(out.Suites, junit.Suite{
			Name: "otnsim.run", Tests: 1, Errors: 1, Time: junit.Seconds(r.Elapsed),
			Timestamp: r.Started.UTC().Format("2006-01-02T15:04:05"), Hostname: host,
			Properties: []junit.Property{{Name: "tool", Value: r.Tool}},
			Cases:      []junit.Case{e.Case("otnsim run", "otnsim.run", r.Elapsed)},
		})
	}
	return junit.Write(w, out)
}

func failureMessage(f *Failure) string {
	msg := fmt.Sprintf("step %d", f.Step)
	if f.StepName != "" {
		msg += " (" + f.StepName + ")"
	}
	msg += " at " + f.Pos.String()
	if len(f.Problems) > 0 {
		msg += ": " + f.Problems[0]
	}
	return msg
}

// failureText renders a failure for people: problems, then the timeline.
func failureText(f *Failure) string {
	var b strings.Builder
	fmt.Fprintf(&b, "step %d (%s) at %s\n", f.Step, f.StepName, f.Pos)
	for _, p := range f.Problems {
		fmt.Fprintf(&b, "  %s\n", p)
	}
	if len(f.Timeline) > 0 {
		fmt.Fprintf(&b, "timeline of %s:\n", f.Who)
		for _, l := range f.Timeline {
			fmt.Fprintf(&b, "  %s\n", l)
		}
	}
	return b.String()
}
