package console

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/breachflow/breachflow/internal/engine"
	"github.com/breachflow/breachflow/internal/incidentfile"
	"github.com/breachflow/breachflow/playbook"
	"github.com/breachflow/breachflow/templates"
)

// formView is the form as the page shows it: the inputs with what was typed and, next to each,
// the problems that name it; problems that name no input are listed in the summary only.
type formView struct {
	Library []pbChoice
	// Shown lists the playbooks the fields are for, comma-separated: a start for another
	// choice is refused until its fields have been shown.
	Shown string
	// Playbooks holds the problems with the choice of playbooks (the checkboxes' fieldset).
	Playbooks                          *input
	Title, Summary, DiscoveredAt, Zone *input
	DiscoveredNow                      bool
	Facts                              []inputGroup
	Roles                              []roleGroup
	// Zones are suggestions for the zone: the chosen playbooks' zones, then UTC.
	Zones []string
	// Dropped lists the facts and roles typed for playbooks no longer chosen: their values are
	// not kept (the names only are shown, so the person knows).
	Dropped []string
	// Errors is the summary at the top: every problem, linked to its input when it has one.
	Errors []summaryError
	inputs map[string]*input
}

// pbChoice is one playbook checkbox.
type pbChoice struct {
	Name, Title string
	Checked     bool
}

// input is one form control with its label, hint, value and problems.
type input struct {
	ID, Name, Label, Hint, Type, Value string
	// Context completes the label for screen readers and the summary (a contact row's role).
	Context string
	// List names a datalist of suggestions.
	List string
	// FactID is the fact's ID, shown as a hint for people who know the playbook.
	FactID string
	// Options are a select's choices.
	Options []option
	Errors  []string
}

type option struct {
	Value, Label string
	Selected     bool
}

// inputGroup is a fieldset of fact inputs: one per playbook, in the playbook's order.
type inputGroup struct {
	Legend string
	Inputs []*input
}

// roleGroup is a fieldset of roles: one per playbook.
type roleGroup struct {
	Legend string
	Roles  []*roleView
}

// roleView is a role's contact rows: those typed, then one blank to add another.
type roleView struct {
	ID, Title string
	// Defaults are the playbook's own contacts for the role: always notified, whatever the rows say.
	Defaults []playbook.Contact
	Rows     []contactRow
}

type contactRow struct{ Name, Email *input }

// summaryError is one line of the summary; Href links to the input when there is one.
type summaryError struct{ Href, Label, Msg string }

// formView builds the form for what was typed; refs are the chosen playbooks, nil when they do
// not load (the reason is in the view's errors).
func (s *Server) formView(sf startForm) (v *formView, refs []string) {
	v = &formView{inputs: map[string]*input{}, DiscoveredNow: sf.DiscoveredNow}
	lib, err := library()
	if err != nil {
		v.addErrors(fmt.Errorf("playbooks: the built-in library does not load: %w", err))
	}
	known := map[string]libraryEntry{}
	for _, e := range lib {
		known[e.Name] = e
		v.Library = append(v.Library, pbChoice{Name: e.Name, Title: e.Title, Checked: slices.Contains(sf.Playbooks, e.Name)})
	}
	v.Title = v.add(&input{ID: "f-title", Name: "title", Label: "Title", Hint: fmt.Sprintf("A short name for the incident, on one line (at most %d characters).", playbook.MaxTitleLen), Type: "text", Value: sf.Title})
	v.Summary = v.add(&input{ID: "f-summary", Name: "summary", Label: "Summary", Hint: "What happened, as far as it is known.", Type: "textarea", Value: sf.Summary})
	v.DiscoveredAt = v.add(&input{ID: "f-discovered-at", Name: "discovered_at", Label: "Discovered at", Hint: "When the organization became aware of it (date and time, in the zone below).", Type: "datetime-local", Value: sf.DiscoveredAt})
	v.Zone = v.add(&input{ID: "f-zone", Name: "discovered_zone", Label: "Time zone", Hint: "An IANA zone (e.g. America/New_York, Europe/Paris, UTC) for the discovery time and every date below.", Type: "text", Value: sf.Zone, List: "zones"})

	v.Playbooks = v.add(&input{ID: "f-playbooks", Label: "Playbooks"})
	var unknown []error
	for _, p := range sf.Playbooks {
		if _, ok := known[p]; !ok {
			unknown = append(unknown, fmt.Errorf("playbooks: %q is not a built-in playbook: choose from the list", p))
			continue
		}
		refs = append(refs, p)
	}
	v.addErrors(unknown...)
	if len(refs) == 0 && len(v.Playbooks.Errors) == 0 {
		v.addErrors(fmt.Errorf("playbooks: none chosen: tick at least one playbook (e.g. %s) and show its fields", incidentfile.DefaultPlaybook))
	}
	if len(v.Playbooks.Errors) > 0 {
		return v, nil
	}
	pb, err := formPlaybooks(refs, s.cfg.Templates)
	if err != nil {
		v.addErrors(fmt.Errorf("playbooks: %w", err))
		return v, nil
	}
	v.Shown = strings.Join(refs, ",")
	if sf.Zone == "" && pb.Defaults.TimeZone != "" {
		v.Zone.Value = pb.Defaults.TimeZone
	}

	// Each playbook's facts and roles in its file's order; one shared by two is shown once.
	seenFact, seenRole := map[string]bool{}, map[string]bool{}
	unseen := func(ids []string, declared func(string) bool, seen map[string]bool) []string {
		var out []string
		for _, id := range ids {
			if declared(id) && !seen[id] {
				seen[id] = true
				out = append(out, id)
			}
		}
		return out
	}
	isFact := func(id string) bool { _, ok := pb.Facts[id]; return ok }
	isRole := func(id string) bool { _, ok := pb.Roles[id]; return ok }
	for _, ref := range refs {
		if z := known[ref].zone; z != "" && !slices.Contains(v.Zones, z) {
			v.Zones = append(v.Zones, z)
		}
	}
	if !slices.Contains(v.Zones, "UTC") {
		v.Zones = append(v.Zones, "UTC")
	}
	for _, ref := range refs {
		e := known[ref]
		legend := e.Title
		if legend == "" {
			legend = e.Name
		}
		if ids := unseen(e.facts, isFact, seenFact); len(ids) > 0 {
			g := inputGroup{Legend: legend}
			for _, id := range ids {
				g.Inputs = append(g.Inputs, v.add(factInput(id, pb.Facts[id], sf.Facts[id])))
			}
			v.Facts = append(v.Facts, g)
		}
		if ids := unseen(e.roles, isRole, seenRole); len(ids) > 0 {
			g := roleGroup{Legend: legend}
			for _, id := range ids {
				g.Roles = append(g.Roles, v.role(id, pb.Roles[id], sf.Contacts[id]))
			}
			v.Roles = append(v.Roles, g)
		}
	}
	// Anything the files' order missed (none in the built-in library) still gets its input.
	var restF []*input
	for _, id := range slices.Sorted(maps.Keys(pb.Facts)) {
		if !seenFact[id] {
			restF = append(restF, v.add(factInput(id, pb.Facts[id], sf.Facts[id])))
		}
	}
	if len(restF) > 0 {
		v.Facts = append(v.Facts, inputGroup{Legend: "Other facts", Inputs: restF})
	}
	var restR []*roleView
	for _, id := range slices.Sorted(maps.Keys(pb.Roles)) {
		if !seenRole[id] {
			restR = append(restR, v.role(id, pb.Roles[id], sf.Contacts[id]))
		}
	}
	if len(restR) > 0 {
		v.Roles = append(v.Roles, roleGroup{Legend: "Other roles", Roles: restR})
	}
	for _, id := range slices.Sorted(maps.Keys(sf.Facts)) {
		if _, ok := pb.Facts[id]; !ok && strings.TrimSpace(sf.Facts[id]) != "" {
			v.Dropped = append(v.Dropped, "fact "+id)
		}
	}
	for _, id := range slices.Sorted(maps.Keys(sf.Contacts)) {
		if _, ok := pb.Roles[id]; !ok {
			v.Dropped = append(v.Dropped, "contacts of "+id)
		}
	}
	return v, refs
}

// formPlaybooks are the combined playbooks the form shows the fields of, loaded once per choice
// (loading validates every notice template: some 20 ms): read only, never an incident's input,
// which startFromForm loads afresh as the file path does.
func formPlaybooks(refs []string, set *templates.Set) (*playbook.Playbook, error) {
	key := formKey{set: set, refs: strings.Join(refs, ",")}
	if pb, ok := formCache.get(key); ok {
		return pb, nil
	}
	pb, err := engine.LoadPlaybooks(refs, set)
	if err != nil {
		return nil, err
	}
	formCache.put(key, pb)
	return pb, nil
}

type formKey struct {
	set  *templates.Set
	refs string
}

// maxFormCache bounds the choices of playbooks whose fields are kept (a choice is any subset of
// the library, and a GET names it; the newest are kept).
const maxFormCache = 64

var formCache = newFIFOCache[formKey, *playbook.Playbook](maxFormCache)

// add registers an input under its ID, for addErrors.
func (v *formView) add(in *input) *input {
	v.inputs[in.ID] = in
	return in
}

// factInput is the input for one fact, of the fact's type.
func factInput(id string, def playbook.FactDef, value string) *input {
	in := &input{ID: "fact-" + id, Name: fieldFactPrefix + id, Label: def.Title, FactID: id, Value: value}
	if in.Label == "" {
		in.Label = id
	}
	switch def.Type {
	case playbook.FactNumber:
		// Text with a numeric keyboard, not type=number: a count may be written 184,000, and
		// the fact check, not the browser, says what is wrong with it.
		in.Type, in.Hint = "number", "A number in digits, e.g. 184000 (commas may group the digits)."
	case playbook.FactDate:
		in.Type, in.Hint = "datetime-local", "Date and time, in the time zone above."
	case playbook.FactBool:
		in.Type = "select"
		v := strings.ToLower(strings.TrimSpace(value))
		in.Options = []option{
			{Value: "", Label: "not known yet", Selected: v == ""},
			{Value: "true", Label: "yes", Selected: v == "true" || v == "yes"},
			{Value: "false", Label: "no", Selected: v == "false" || v == "no"},
		}
	default:
		in.Type = "text"
	}
	return in
}

// role is a role's rows: those typed, then a blank one.
func (v *formView) role(id string, r playbook.Role, typed []playbook.Contact) *roleView {
	rv := &roleView{ID: id, Title: r.Title, Defaults: r.Contacts}
	if rv.Title == "" {
		rv.Title = id
	}
	for i, c := range append(slices.Clone(typed), playbook.Contact{}) {
		base := fmt.Sprintf("%s%s.%d.", fieldContactPrefix, id, i)
		row := contactRow{
			Name:  v.add(&input{ID: fmt.Sprintf("c-%s-%d-name", id, i), Name: base + "name", Label: "Name", Type: "text", Value: c.Name}),
			Email: v.add(&input{ID: fmt.Sprintf("c-%s-%d-email", id, i), Name: base + "email", Label: "E-mail", Type: "email", Value: c.Email}),
		}
		row.Name.Context = fmt.Sprintf("%s, contact %d", rv.Title, i+1)
		row.Email.Context = row.Name.Context
		rv.Rows = append(rv.Rows, row)
	}
	return rv
}

// addErrors puts each problem of err next to the input its field names (see targets), and
// every problem in the summary. It is called once per stage of checks (the form's own, then
// File.Check, then File.Input): an input refused by an earlier stage keeps that stage's
// messages only, since a later one repeats or follows from them; the same message is never
// listed twice.
func (v *formView) addErrors(errs ...error) {
	earlier := map[*input]bool{}
	for _, in := range v.inputs {
		earlier[in] = len(in.Errors) > 0
	}
	listed := map[summaryError]bool{}
	for _, e := range v.Errors {
		listed[e] = true
	}
	for _, err := range errs {
		for _, fe := range splitErrors(err) {
			for _, t := range v.targets(fe) {
				e := summaryError{Label: fe.Field, Msg: t.msg}
				if t.in != nil {
					if earlier[t.in] {
						continue
					}
					e.Href, e.Label = "#"+t.in.ID, t.in.Label
					if t.in.Context != "" {
						e.Label += " (" + t.in.Context + ")"
					}
				}
				if listed[e] {
					continue
				}
				listed[e] = true
				if t.in != nil {
					t.in.Errors = append(t.in.Errors, t.msg)
				}
				v.Errors = append(v.Errors, e)
			}
		}
	}
}

type target struct {
	in  *input
	msg string
}

// targets finds the inputs a problem is about: the one its field names; for "contacts: no
// address for role(s) a, b: …" the first e-mail of each role; none when its field names no
// input of the form.
func (v *formView) targets(fe fieldError) []target {
	one := func(id string) []target { return []target{{in: v.inputs[id], msg: fe.Msg}} }
	switch f := fe.Field; {
	case f == "playbook", f == "playbooks", strings.HasPrefix(f, "playbooks["):
		return one("f-playbooks")
	case f == "title", f == "summary", f == "discovered_zone":
		return one(map[string]string{"title": "f-title", "summary": "f-summary", "discovered_zone": "f-zone"}[f])
	case f == "discovered_at":
		return one("f-discovered-at")
	case strings.HasPrefix(f, "facts."):
		if in := v.inputs["fact-"+strings.TrimPrefix(f, "facts.")]; in != nil {
			return []target{{in: in, msg: fe.Msg}}
		}
	case f == "contacts":
		if m := noAddress.FindStringSubmatch(fe.Msg); m != nil {
			var out []target
			for _, role := range strings.Split(m[1], ",") {
				role = strings.TrimSpace(role)
				if in := v.inputs["c-"+role+"-0-email"]; in != nil {
					out = append(out, target{in: in, msg: "no address for this role: " + fe.Msg[len(m[0]):]})
				}
			}
			if len(out) > 0 {
				return out
			}
		}
	case strings.HasPrefix(f, "contacts."):
		if m := contactField.FindStringSubmatch(f); m != nil {
			row, part := m[2], m[3]
			if row == "" {
				row = "0"
			}
			if part == "" {
				part = "email"
			}
			if in := v.inputs[fmt.Sprintf("c-%s-%s-%s", m[1], row, part)]; in != nil {
				return []target{{in: in, msg: fe.Msg}}
			}
		}
	}
	return []target{{msg: fe.Msg}}
}
