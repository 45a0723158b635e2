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

// isTerminal reports whether w is a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// bar adapts progressbar to the progress interfaces of export and importer.
// It draws only on a terminal; elsewhere it is silent. Its ETA knows the rate
// limit: remaining items × requests per item ÷ rate, which is what bounds a run.
type bar struct {
	mu      sync.Mutex
	pb      *progressbar.ProgressBar
	w       io.Writer
	label   string
	perItem float64 // requests per item
	rate    tenant.Rate
	total   int
	done    int
	failed  int
	start   time.Time
	enabled bool
}

func newBar(w io.Writer, enabled bool, label string, perItem float64, rate tenant.Rate) *bar {
	return &bar{w: w, label: label, perItem: perItem, rate: rate, enabled: enabled && isTerminal(w), start: time.Now()}
}

// SetTotal sets how many items the run has.
func (b *bar) SetTotal(n int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.total = n
	if !b.enabled {
		return
	}
	if b.pb == nil {
		b.pb = progressbar.NewOptions(n,
			progressbar.OptionSetWriter(b.w),
			progressbar.OptionSetDescription(b.label),
			progressbar.OptionShowCount(),
			progressbar.OptionSetPredictTime(false),
			progressbar.OptionClearOnFinish(),
			progressbar.OptionThrottle(100*time.Millisecond),
		)
		return
	}
	b.pb.ChangeMax(n)
	b.pb.Describe(fmt.Sprintf("%s (%s)", b.label, b.eta()))
}

// Done records one finished item.
func (b *bar) Done(name string, err error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.done++
	if err != nil {
		b.failed++
	}
	if b.pb == nil {
		return
	}
	_ = b.pb.Add(1)
	b.pb.Describe(fmt.Sprintf("%s (%s)", b.label, b.eta()))
}

// eta estimates the remaining time. Under a rate limit the limiter sets the
// pace, so the estimate is the requests left ÷ the rate, whatever the
// concurrency; without one, it is the observed pace of completions.
func (b *bar) eta() string {
	remaining := b.total - b.done
	if remaining <= 0 {
		return "done"
	}
	var byRate time.Duration
	if b.rate.Requests > 0 {
		byRate = time.Duration(float64(remaining) * b.perItem / float64(b.rate.Requests) * float64(b.rate.Per))
	}
	eta := byRate
	if b.rate.Requests <= 0 && b.done > 0 {
		eta = time.Since(b.start) / time.Duration(b.done) * time.Duration(remaining)
	}
	s := "ETA " + eta.Round(time.Second).String()
	if b.failed > 0 {
		s += fmt.Sprintf(", %d failed", b.failed)
	}
	return s
}

// Finish clears the bar.
func (b *bar) Finish() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.pb != nil {
		_ = b.pb.Finish()
	}
}
