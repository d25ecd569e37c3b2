package audit

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/breachflow/breachflow/templates"
	"github.com/breachflow/breachflow/workflows"
)

// join says which line of the workflow's record reports the act an entry was built from.
type join struct {
	actor      string
	actions    []workflows.Action
	obligation string
	// updateID and notice are the exact keys: the Update that wrote the line, the notice the
	// line is about. Lines that carry one join by it alone.
	updateID string
	notice   workflows.NoticeKey
	// prefix and exact constrain the line's detail, for the fallback join of lines recorded
	// before lines carried Update IDs and notice keys.
	prefix string
	exact  *string
	// record: the line's detail adds to the event and is kept as the entry's Record.
	record bool
	// adopt: the entry takes the line's action, which says what the act turned out to be (a
	// notice sent at once or put up for approval; a hold or its extension).
	adopt bool
}

// matcher pairs an entry built from an event with the line of the workflow's record that
// reports the same act.
type matcher struct {
	join
	entry *Entry
	used  bool
}

// expect registers the record line an entry expects, under its exact keys and for the fallback.
func (b *builder) expect(e *Entry, j join) *matcher {
	m := &matcher{join: j, entry: e}
	k := matchKey(j.actor, j.obligation)
	b.matchers[k] = append(b.matchers[k], m)
	if j.updateID != "" {
		b.byUpdate[j.updateID] = m
	}
	if j.notice != "" {
		b.byNotice[j.notice] = append(b.byNotice[j.notice], m)
	}
	return m
}

// expectNotice registers the line that reports a delivery round's outcome; sep ends the notice
// key at the start of the line's detail, for the fallback join.
func (b *builder) expectNotice(e *Entry, nd *NoticeDetail, action workflows.Action, sep string, record bool) {
	if nd.Key == "" {
		return
	}
	b.expect(e, join{actor: actorEngine, actions: []workflows.Action{action}, obligation: e.Obligation,
		notice: nd.key(), prefix: nd.Key + sep, record: record})
}

// mergeRecord merges the workflow's record into the timeline: a line that reports an act the
// history holds confirms that entry (and moves it to the workflow's clock); any other line — the
// engine's clock starts, overdue marks, reminders, skips — becomes an entry of its own.
func (b *builder) mergeRecord(log []workflows.LogEntry) {
	for i, l := range log {
		if m := b.match(l); m != nil {
			m.used = true
			e := m.entry
			if e.rank >= eventOnlyRank {
				e.rank = i
				e.At = l.At.UTC()
			}
			if m.adopt {
				e.Action = string(l.Action)
			}
			if m.record && l.Detail != "" && !strings.Contains(e.Details, l.Detail) && !strings.Contains(e.Record, l.Detail) {
				e.Record = joinNonEmpty("; ", e.Record, l.Detail)
			}
			continue
		}
		b.entries = append(b.entries, &Entry{
			At: l.At.UTC(), Actor: l.Actor, Action: string(l.Action), Obligation: l.Obligation, Details: l.Detail,
			Source: sourceRecord, rank: i,
		})
	}
}

func matchKey(actor, obligation string) string { return actor + "\x00" + obligation }

// match finds the entry a line of the record reports. A line written by an Update joins that
// Update's entry; a line about a notice joins the first unused entry of that notice with its
// action (delivery rounds come in order). Either join is exact: a line that carries a key and
// matches nothing under it is an entry of its own. Lines without keys (recorded by builds before
// the record carried them, and the incident's opening lines) fall back to actor, obligation,
// action and the detail's start.
func (b *builder) match(l workflows.LogEntry) *matcher {
	switch {
	case l.UpdateID != "":
		if m := b.byUpdate[l.UpdateID]; m != nil && !m.used && slices.Contains(m.actions, l.Action) {
			b.joined.byUpdate++
			return m
		}
		return nil
	case l.NoticeKey != "":
		for _, m := range b.byNotice[l.NoticeKey] {
			if !m.used && slices.Contains(m.actions, l.Action) {
				b.joined.byNotice++
				return m
			}
		}
		return nil
	}
	m := b.matchFallback(l)
	if m != nil {
		b.joined.fallback++
	}
	return m
}

// matchFallback finds the first unused matcher for a line without keys. Lines and events mostly
// come in the same order, so skipping the used prefix keeps this near linear on long histories.
func (b *builder) matchFallback(l workflows.LogEntry) *matcher {
	k := matchKey(l.Actor, l.Obligation)
	ms := b.matchers[k]
	for b.next[k] < len(ms) && ms[b.next[k]].used {
		b.next[k]++
	}
	for _, m := range ms[b.next[k]:] {
		if m.used || !slices.Contains(m.actions, l.Action) {
			continue
		}
		if !strings.HasPrefix(l.Detail, m.prefix) || (m.exact != nil && *m.exact != l.Detail) {
			continue
		}
		return m
	}
	return nil
}

// timeline returns the entries in time order.
func (b *builder) timeline() []Entry {
	sort.SliceStable(b.entries, func(i, j int) bool {
		x, y := b.entries[i], b.entries[j]
		if !x.At.Equal(y.At) {
			return x.At.Before(y.At)
		}
		return x.rank < y.rank
	})
	out := make([]Entry, len(b.entries))
	for i, e := range b.entries {
		out[i] = *e
	}
	return out
}

// checkApprovals binds each notice sent after approvals to the approvals that released it: the
// content hash each approver read must be the content sent. It returns findings for any that is
// not (approvals lapse when the content changes, so this should never happen).
func checkApprovals(tl []Entry) []string {
	var findings []string
	approved := map[string][]*Entry{}
	noticeSent := string(workflows.SentAction(templates.KindNotice))
	for i := range tl {
		e := &tl[i]
		switch {
		case e.Action == string(workflows.ActionApprovalsLapsed):
			approved[e.Obligation] = nil
		case e.Update == workflows.UpdateApprove && e.Action == string(workflows.ActionApproved):
			approved[e.Obligation] = append(approved[e.Obligation], e)
		case e.Action == noticeSent && e.Notice != nil && len(approved[e.Obligation]) > 0:
			var who []string
			for _, a := range approved[e.Obligation] {
				who = append(who, a.Actor)
				in, ok := a.Input.(workflows.ApproveInput)
				if ok && !strings.HasPrefix(e.Notice.ContentHash, in.ContentHash) {
					findings = append(findings, fmt.Sprintf("finding: %s approved content %s of %s at %s, but content %s was sent",
						a.Actor, in.ContentHash, e.Obligation, stamp(a.At), e.Notice.ContentHash))
				}
			}
			e.Notice.ApprovedBy = who
			e.Details = joinNonEmpty("; ", e.Details, "approved by "+strings.Join(who, ", "))
			approved[e.Obligation] = nil
		}
	}
	return findings
}
