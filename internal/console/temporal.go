package console

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"

	enumspb "go.temporal.io/api/enums/v1"

	"github.com/breachflow/breachflow/internal/engine"
	"github.com/breachflow/breachflow/workflows"
)

// What the console asks Temporal: the list (a visibility query), an incident's status, record
// and notice preview (queries), and the coordinator actions (signed Updates).

// listRow is one incident in the list.
type listRow = engine.IncidentRow

// listQuery is the visibility query of a filter: open (default), overdue, closed or all.
func listQuery(filter string) string {
	q := "WorkflowType = 'IncidentWorkflow'"
	status := workflows.SearchIncidentStatus.GetName()
	switch filter {
	case "overdue":
		q += fmt.Sprintf(" AND %s = '%s' AND %s > 0", status, workflows.IncidentOpen, workflows.SearchOverdueCount.GetName())
	case "closed":
		q += fmt.Sprintf(" AND %s = '%s'", status, workflows.IncidentClosed)
	case "all":
	default:
		q += fmt.Sprintf(" AND %s = '%s'", status, workflows.IncidentOpen)
	}
	return q
}

func (s *Server) listIncidents(ctx context.Context, query string) ([]listRow, error) {
	return engine.ListIncidents(ctx, s.cfg.Client, s.cfg.DataConverter, query, maxListed)
}

// maxListed bounds the list page; narrow it with a filter or a search.
const maxListed = 500

// incidentData is what the incident page shows: the status and the record this run holds.
type incidentData struct {
	Status workflows.Status
	Log    []workflows.LogEntry
	// Rules is the rule behind each obligation, by obligation (withRules); nil when not asked
	// for or when the worker is too old to answer.
	Rules map[string]workflows.Rule
}

// withRules adds the rules behind the incident's obligations (workflows.QueryRules). They come
// from the incident's playbook, which no action changes, so they are asked once per incident and
// kept (rulesCache). A worker that does not know the query leaves the page without the rules'
// words, not without the page.
func (s *Server) withRules(ctx context.Context, id string, d *incidentData) {
	if r, ok := s.rules.get(id); ok {
		d.Rules = r
		return
	}
	v, err := s.cfg.Client.QueryWorkflow(ctx, workflows.IncidentWorkflowID(id), "", workflows.QueryRules)
	if err != nil {
		return
	}
	var rules []workflows.Rule
	if v.Get(&rules) != nil {
		return
	}
	d.Rules = make(map[string]workflows.Rule, len(rules))
	for _, r := range rules {
		d.Rules[r.Obligation] = r
	}
	s.rules.put(id, d.Rules)
}

// rulesCacheSize bounds the incidents whose rules the console keeps.
const rulesCacheSize = 512

func (s *Server) status(ctx context.Context, id string) (workflows.Status, error) {
	var st workflows.Status
	if _, err := workflows.IncidentIDFromWorkflowID(id); err != nil {
		return st, err
	}
	v, err := s.cfg.Client.QueryWorkflow(ctx, workflows.IncidentWorkflowID(id), "", workflows.QueryStatus)
	if err != nil {
		return st, fmt.Errorf("querying %s: %w", id, err)
	}
	return st, v.Get(&st)
}

func (s *Server) incident(ctx context.Context, id string) (incidentData, error) {
	st, err := s.status(ctx, id)
	if err != nil {
		return incidentData{}, err
	}
	d := incidentData{Status: st}
	v, err := s.cfg.Client.QueryWorkflow(ctx, workflows.IncidentWorkflowID(id), "", workflows.QueryLog)
	if err != nil {
		return d, fmt.Errorf("reading the record of %s: %w", id, err)
	}
	return d, v.Get(&d.Log)
}

// version is a digest of what the page shows, without the time of the query: the page polls
// it and fetches the live part again only when it changed.
func version(d incidentData) string {
	st := d.Status
	st.AsOf = time.Time{}
	b, _ := json.Marshal(st)
	h := sha256.New()
	h.Write(b)
	fmt.Fprintf(h, "\x00%d", len(d.Log)+st.LogOffset)
	return hex.EncodeToString(h.Sum(nil)[:12])
}

func (s *Server) preview(ctx context.Context, id, obligation string) (workflows.Preview, error) {
	var p workflows.Preview
	if _, err := workflows.IncidentIDFromWorkflowID(id); err != nil {
		return p, err
	}
	v, err := s.cfg.Client.QueryWorkflow(ctx, workflows.IncidentWorkflowID(id), "", workflows.QueryPreview, obligation)
	if err != nil {
		return p, fmt.Errorf("previewing %s: %w", obligation, err)
	}
	return p, v.Get(&p)
}

// signedInput is an Update input the console can sign (every input embeds workflows.Signed).
type signedInput[In any] interface {
	*In
	workflows.Signable
}

// update signs an action on behalf of the signed-in person and sends it as an Update; the
// error is the validator's refusal, verbatim.
func update[In any, P signedInput[In]](ctx context.Context, s *Server, sess *Session, id string, u workflows.UpdateDef[In], in In) (workflows.Status, error) {
	var st workflows.Status
	// A fresh Update ID per action: engine.SendUpdate sends it under that ID, so the signature
	// cannot be sent again as another action.
	if err := workflows.SignAction(s.cfg.SigningKey, id, u.Name, uuid.NewString(), P(&in), sess.Subject, sess.Actor(), s.cfg.Now()); err != nil {
		return st, err
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	err := engine.SendUpdate(ctx, s.cfg.Client, workflows.IncidentWorkflowID(id), u.Name, in, &st)
	if err != nil {
		return st, s.explainEnded(ctx, id, err)
	}
	return st, nil
}

// explainEnded says an incident's workflow has ended rather than the server's terse message.
func (s *Server) explainEnded(ctx context.Context, id string, err error) error {
	d, derr := s.cfg.Client.DescribeWorkflowExecution(ctx, workflows.IncidentWorkflowID(id), "")
	if derr != nil || d.GetWorkflowExecutionInfo().GetStatus() == enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING {
		return err
	}
	return fmt.Errorf("the incident's workflow has ended (%s): no further actions are accepted",
		strings.ToLower(strings.TrimPrefix(d.GetWorkflowExecutionInfo().GetStatus().String(), "WORKFLOW_EXECUTION_STATUS_")))
}

// refusal is the validator's message without the SDK's wrapping.
func refusal(err error) string {
	msg := err.Error()
	for _, cut := range []string{" (type: ", ", retryable: "} {
		if i := strings.Index(msg, cut); i > 0 {
			msg = msg[:i]
		}
	}
	return msg
}
