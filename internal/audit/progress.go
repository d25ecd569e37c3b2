package audit

import (
	"fmt"
	"strings"
)

func (a *auditor) tick(n int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.done += n
	a.progress()
}

const barWidth = 30

func (a *auditor) progress() {
	if a.opts.Progress == nil || a.total < 2 {
		return
	}
	done := min(a.done, a.total)
	filled := done * barWidth / a.total
	fmt.Fprintf(a.opts.Progress, "\r[%s%s] %d/%d", strings.Repeat("#", filled), strings.Repeat(".", barWidth-filled), done, a.total)
}

func (a *auditor) progressDone() {
	if a.opts.Progress != nil && a.total > 1 {
		fmt.Fprintln(a.opts.Progress)
	}
}
