package workflows

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/breachflow/breachflow/playbook"
	"github.com/breachflow/breachflow/templates"
)

// rung is one scheduled reminder, escalation or cadence reminder of an obligation.
type rung struct {
	key  string
	at   time.Time
	kind string
	// label is shown in the record, e.g. "1 day before the deadline".
	label string
	// series and k place a rung of a repeating series (escalations, cadence reminders): its
	// k-th rung. Empty for the rungs of the reminder ladder.
	series string
	k      int
	// skipped counts the earlier rungs of its series that fell due with it and are superseded
	// by it; firstSkipped labels the earliest of them.
	skipped      int
	firstSkipped string
}

// handled reports whether a rung was already sent or skipped.
func handled(o *ObligationState, r rung) bool {
	if r.series != "" {
		return r.k <= o.Repeats[r.series]
	}
	_, done := o.Sent[r.key]
	return done
}

// markHandled records a rung as handled; for a series, every earlier rung with it.
func markHandled(o *ObligationState, r rung, now time.Time) {
	if r.series != "" {
		if o.Repeats == nil {
			o.Repeats = map[string]int{}
		}
		o.Repeats[r.series] = max(o.Repeats[r.series], r.k)
		return
	}
	if o.Sent == nil {
		o.Sent = map[string]time.Time{}
	}
	o.Sent[r.key] = now
}

// migrateSent moves the handled rungs of repeating series, which runs before Repeats existed kept
// one key each in Sent ("escalation/<deadline>/<k>"), into Repeats. The two say the same: every
// rung of a series up to the latest handled one was handled.
func migrateSent(o *ObligationState) {
	for key := range o.Sent {
		head, rest, _ := strings.Cut(key, "/")
		if head != "escalation" && head != "cadence" {
			continue
		}
		i := strings.LastIndex(rest, "/")
		if i < 0 {
			continue
		}
		k, err := strconv.Atoi(rest[i+1:])
		if err != nil {
			continue
		}
		if o.Repeats == nil {
			o.Repeats = map[string]int{}
		}
		series := head + "/" + rest[:i]
		o.Repeats[series] = max(o.Repeats[series], k)
		delete(o.Sent, key)
	}
}

// seriesRungs lists what matters now of a repeating series whose k-th rung (k from 1) falls at
// first + (k-1)·every: the latest rung due and not yet handled (rungs up to done were), carrying
// how many earlier unhandled ones it supersedes, and the first rung still to come. Rungs at or
// before after are never meaningful and left out. It computes rather than walks, so an incident
// opened years after discovery costs the same as a new one.
func seriesRungs(series, kind string, first time.Time, every time.Duration, after time.Time, done int, now time.Time, label func(time.Time) string) []rung {
	if every <= 0 {
		return nil
	}
	at := func(k int) time.Time { return first.Add(time.Duration(k-1) * every) }
	mk := func(k int) rung {
		r := rung{key: fmt.Sprintf("%s/%d", series, k), at: at(k), kind: kind, series: series, k: k}
		if label != nil {
			r.label = label(r.at)
		} else {
			r.label = fmt.Sprintf("%s %d", kind, k)
		}
		return r
	}
	k0 := done + 1
	if after.Compare(first) >= 0 {
		k0 = max(k0, int(after.Sub(first)/every)+2)
	}
	kNow := 0
	if !now.Before(first) {
		kNow = min(int(now.Sub(first)/every)+1, maxRepeats)
	}
	return dueAndNext(k0, kNow, maxRepeats, mk)
}

// maxRepeats bounds repeating rungs; a year of daily escalations is well inside it.
const maxRepeats = 10000

// pace is one stretch of an escalation: from start (since the deadline) on, every interval.
type pace struct{ start, every time.Duration }

// pacedRungs is seriesRungs for an escalation that slows down (Then) or stops (Max): its k-th
// rung falls where the paces put it, counted across them, so keys and firing times are the same
// whichever run computes them. It computes rather than walks, like seriesRungs.
func pacedRungs(series string, deadline time.Time, esc *playbook.Escalation, done int, now time.Time) []rung {
	paces := []pace{{0, esc.Every.Std()}}
	for _, st := range esc.Then {
		paces = append(paces, pace{st.After.Std(), st.Every.Std()})
	}
	limit := maxRepeats
	if esc.Max > 0 {
		limit = min(esc.Max, maxRepeats)
	}
	// at returns the k-th rung's time (k from 1).
	at := func(k int) time.Time {
		for i, p := range paces {
			n := -1 // rungs in this pace; -1: the last pace has no end
			if i+1 < len(paces) {
				n = int((paces[i+1].start - p.start + p.every - 1) / p.every)
			}
			if n < 0 || k <= n {
				return deadline.Add(p.start + time.Duration(k-1)*p.every)
			}
			k -= n
		}
		return time.Time{}
	}
	// count returns how many rungs fall at or before t.
	count := func(t time.Time) int {
		if t.Before(deadline) {
			return 0
		}
		since, total := t.Sub(deadline), 0
		for i, p := range paces {
			end := time.Duration(-1)
			if i+1 < len(paces) {
				end = paces[i+1].start
			}
			if since < p.start {
				break
			}
			if end >= 0 && since >= end {
				total += int((end - p.start + p.every - 1) / p.every)
				continue
			}
			total += int((since-p.start)/p.every) + 1
			break
		}
		return total
	}
	mk := func(k int) rung {
		return rung{key: fmt.Sprintf("%s/%d", series, k), at: at(k), kind: templates.KindEscalation, series: series, k: k,
			label: fmt.Sprintf("%s %d", templates.KindEscalation, k)}
	}
	k0, kNow := done+1, min(count(now), limit)
	return dueAndNext(k0, kNow, limit, mk)
}

// dueAndNext lists what matters now of a series whose rungs up to k0-1 were handled and up to
// kNow are due: the latest due one, carrying how many earlier unhandled ones it supersedes, and
// the first still to come, if the series (at most limit rungs) has one.
func dueAndNext(k0, kNow, limit int, mk func(k int) rung) []rung {
	var rs []rung
	if kNow >= k0 {
		r := mk(kNow)
		if r.skipped = kNow - k0; r.skipped > 0 {
			r.firstSkipped = mk(k0).label
		}
		rs = append(rs, r)
	}
	if next := max(k0, kNow+1); next <= limit {
		rs = append(rs, mk(next))
	}
	return rs
}
