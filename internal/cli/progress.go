package cli

import (
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"github.com/connvault/connvault/tenant"
)

// isTerminal reports whether w (or the stdout a stdoutWriter wraps) is a
// terminal.
func isTerminal(w io.Writer) bool {
	if s, ok := w.(*stdoutWriter); ok {
		w = s.Writer
	}
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// statusLine is stderr shared by log lines and the progress bar: a log line
// first clears the bar, and the bar is drawn again after it, so logs never
// break the bar. Every write to the terminal goes through its mutex.
type statusLine struct {
	mu  sync.Mutex
	w   io.Writer
	bar *progressbar.ProgressBar // the bar on the line, if any
}

// Write writes a log record above the bar.
func (s *statusLine) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.bar != nil {
		_ = s.bar.Clear()
	}
	n, err := s.w.Write(p)
	if s.bar != nil {
		_ = s.bar.RenderBlank()
	}
	return n, err
}

// barRefresh is how often the bar recomputes its rate and ETA.
const barRefresh = time.Second

// bar adapts progressbar to the progress interfaces of export and importer.
// It counts what bounds a run under a rate limit: HTTP requests. It shows
// requests done of an estimated total, the connectors finished, the request
// rate and an ETA, recomputed every second: remaining requests ÷ the
// governor's rate (or the observed rate when that is lower, or when there is
// no limit). It draws only on a terminal; elsewhere it is silent.
type bar struct {
	line     *statusLine
	label    string
	perItem  float64      // requests one item is expected to take
	rate     tenant.Rate  // the governor's rate
	requests func() int64 // requests sent so far by the run's client
	enabled  bool

	// guarded by line.mu
	pb      *progressbar.ProgressBar
	base    int64 // requests before the bar started
	items   int
	done    int
	failed  int
	samples []sample // requests over the last 10 s, for the observed rate
	stop    chan struct{}
	stopped sync.WaitGroup
}

type sample struct {
	at       time.Time
	requests int64
}

// newBar returns a bar drawn on line when enabled and line is a terminal.
// requests counts the run's requests (a tenant.Client's Stats().Requests).
func newBar(line *statusLine, enabled bool, label string, perItem float64, rate tenant.Rate, requests func() int64) *bar {
	return &bar{line: line, label: label, perItem: perItem, rate: rate, requests: requests,
		enabled: enabled && isTerminal(line.w), base: requests()}
}

// SetTotal sets how many items the run has and starts drawing.
func (b *bar) SetTotal(n int) {
	b.line.mu.Lock()
	defer b.line.mu.Unlock()
	b.items = n
	if !b.enabled || b.pb != nil {
		return
	}
	b.pb = progressbar.NewOptions64(1,
		progressbar.OptionSetWriter(b.line.w),
		progressbar.OptionSetDescription(b.label),
		progressbar.OptionShowCount(),
		progressbar.OptionSetItsString("req"),
		progressbar.OptionSetPredictTime(false),
		progressbar.OptionSetElapsedTime(false),
		progressbar.OptionClearOnFinish(),
		progressbar.OptionSetWidth(20),
	)
	b.line.bar = b.pb
	b.refreshLocked(time.Now())
	b.stop = make(chan struct{})
	b.stopped.Add(1)
	go b.tick(b.stop)
}

// tick refreshes the bar every second until Finish.
func (b *bar) tick(stop <-chan struct{}) {
	defer b.stopped.Done()
	t := time.NewTicker(barRefresh)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case now := <-t.C:
			b.line.mu.Lock()
			b.refreshLocked(now)
			b.line.mu.Unlock()
		}
	}
}

// Done records one finished item.
func (b *bar) Done(_ string, err error) {
	b.line.mu.Lock()
	defer b.line.mu.Unlock()
	b.done++
	if err != nil {
		b.failed++
	}
	if b.pb != nil {
		b.refreshLocked(time.Now())
	}
}

// refreshLocked redraws the bar from the request count. It draws at most
// once per Done and once a second, so it needs no throttle.
func (b *bar) refreshLocked(now time.Time) {
	done := b.requests() - b.base
	b.samples = append(b.samples, sample{now, done})
	for len(b.samples) > 2 && now.Sub(b.samples[0].at) > 10*time.Second {
		b.samples = b.samples[1:]
	}
	total := b.estimateTotal(done)
	b.pb.ChangeMax64(total)
	_ = b.pb.Set64(done)
	b.pb.Describe(b.describe(done, total, now))
}

// estimateTotal is the requests done plus those the remaining items are
// expected to take: perItem each until three items finished, then the
// average so far.
func (b *bar) estimateTotal(done int64) int64 {
	per := b.perItem
	if b.done >= 3 {
		per = float64(done) / float64(b.done)
	}
	total := done + int64(float64(max(b.items-b.done, 0))*per+0.5)
	// Below done+1 progressbar would take the bar as finished and stop
	// drawing it; Finish fills it.
	return max(total, done+1)
}

// describe is the text before the bar: label, items, rate and ETA.
func (b *bar) describe(done, total int64, now time.Time) string {
	s := fmt.Sprintf("%s %d/%d connectors", b.label, b.done, b.items)
	if b.failed > 0 {
		s += fmt.Sprintf(" (%d failed)", b.failed)
	}
	perSec := b.observedRate()
	limit := 0.0
	if !b.rate.IsUnlimited() {
		limit = float64(b.rate.Requests) / b.rate.Per.Seconds()
	}
	pace := limit
	if pace == 0 || perSec > 0 && perSec < pace && now.Sub(b.samples[0].at) >= 3*time.Second {
		pace = perSec
	}
	s += fmt.Sprintf(", %.1f req/s", perSec)
	if pace > 0 {
		eta := time.Duration(float64(total-done) / pace * float64(time.Second))
		s += ", ETA " + eta.Round(time.Second).String()
	}
	return s
}

// observedRate is requests per second over the samples kept (up to 10 s).
func (b *bar) observedRate() float64 {
	first, last := b.samples[0], b.samples[len(b.samples)-1]
	secs := last.at.Sub(first.at).Seconds()
	if secs <= 0 {
		return 0
	}
	return float64(last.requests-first.requests) / secs
}

// Finish stops the refresh and clears the bar.
func (b *bar) Finish() {
	b.line.mu.Lock()
	stop := b.stop
	b.stop = nil
	b.line.mu.Unlock()
	if stop != nil {
		close(stop)
		b.stopped.Wait()
	}
	b.line.mu.Lock()
	defer b.line.mu.Unlock()
	if b.pb != nil {
		_ = b.pb.Finish()
		b.line.bar = nil
		b.pb = nil
	}
}
