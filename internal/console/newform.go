package console

import (
	"fmt"
	"io/fs"
	"maps"
	"net/url"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/breachflow/breachflow/internal/incidentfile"
	"github.com/breachflow/breachflow/playbook"
	"github.com/breachflow/breachflow/templates"
)

// The "start an incident" form: one input per fact and contact rows per role of the chosen
// playbooks. What the person typed becomes an incidentfile.File and goes through the same checks
// as an uploaded file (File.Check, File.Input, workflows.ValidateStart); their errors, which name
// their field ("facts.affected_count: …"), are shown next to the matching input.

// libraryEntry is one playbook of the built-in library as the form offers it.
type libraryEntry struct {
	Name, Title string
	// zone is the playbook's time zone (defaults.time_zone).
	zone string
	// facts and roles are IDs in the order the playbook's file declares them: the form shows
	// them in the author's order, not the alphabet's.
	facts, roles []string
}

// library lists the built-in playbooks (templates/playbooks), DefaultPlaybook first.
var library = sync.OnceValues(func() ([]libraryEntry, error) {
	fsys := templates.Embedded()
	files, err := fs.Glob(fsys, "playbooks/*.yaml")
	if err != nil {
		return nil, err
	}
	var out []libraryEntry
	for _, f := range files {
		data, err := fs.ReadFile(fsys, f)
		if err != nil {
			return nil, err
		}
		var head struct {
			Title    string `yaml:"title"`
			Defaults struct {
				TimeZone string `yaml:"time_zone"`
			} `yaml:"defaults"`
			Facts yaml.Node `yaml:"facts"`
			Roles yaml.Node `yaml:"roles"`
		}
		if err := yaml.Unmarshal(data, &head); err != nil {
			return nil, fmt.Errorf("playbook %s: %w", f, err)
		}
		name := strings.TrimSuffix(path.Base(f), ".yaml")
		out = append(out, libraryEntry{Name: name, Title: head.Title, zone: head.Defaults.TimeZone, facts: mappingKeys(&head.Facts), roles: mappingKeys(&head.Roles)})
	}
	slices.SortStableFunc(out, func(a, b libraryEntry) int {
		if (a.Name == incidentfile.DefaultPlaybook) != (b.Name == incidentfile.DefaultPlaybook) {
			if a.Name == incidentfile.DefaultPlaybook {
				return -1
			}
			return 1
		}
		return strings.Compare(a.Name, b.Name)
	})
	return out, nil
})

// mappingKeys lists a YAML mapping's keys in order.
func mappingKeys(n *yaml.Node) []string {
	var keys []string
	for i := 0; n.Kind == yaml.MappingNode && i+1 < len(n.Content); i += 2 {
		keys = append(keys, n.Content[i].Value)
	}
	return keys
}

// startForm is what the person typed, kept through every re-render.
type startForm struct {
	Playbooks          []string
	Title, Summary     string
	DiscoveredNow      bool
	DiscoveredAt, Zone string
	// Facts are values as typed, by fact ID.
	Facts map[string]string
	// Contacts are the filled rows by role, blank rows left out.
	Contacts map[string][]playbook.Contact
}

// Names of the form's fields.
const (
	fieldPlaybook      = "playbook"
	fieldFactPrefix    = "fact."
	fieldContactPrefix = "contact."
)

// readStartForm reads the form from a request's values (a POST, or a GET naming playbooks).
func readStartForm(v url.Values) startForm {
	f := startForm{
		Title: v.Get("title"), Summary: strings.ReplaceAll(v.Get("summary"), "\r\n", "\n"),
		DiscoveredNow: v.Get("discovered") == "now", DiscoveredAt: strings.TrimSpace(v.Get("discovered_at")),
		Zone: strings.TrimSpace(v.Get("discovered_zone")), Facts: map[string]string{}, Contacts: map[string][]playbook.Contact{},
	}
	for _, p := range v[fieldPlaybook] {
		if p = strings.TrimSpace(p); p != "" && !slices.Contains(f.Playbooks, p) {
			f.Playbooks = append(f.Playbooks, p)
		}
	}
	// In the library's order, as the checkboxes send them: one choice, however a link orders it.
	slices.SortStableFunc(f.Playbooks, func(a, b string) int { return libraryIndex(a) - libraryIndex(b) })
	rows := map[string]map[int]*playbook.Contact{}
	for k, vals := range v {
		if id, ok := strings.CutPrefix(k, fieldFactPrefix); ok && len(vals) > 0 {
			f.Facts[id] = vals[0]
		}
		// contact.<role>.<row>.name|email
		rest, ok := strings.CutPrefix(k, fieldContactPrefix)
		parts := strings.Split(rest, ".")
		if !ok || len(parts) != 3 || len(vals) == 0 {
			continue
		}
		i, err := strconv.Atoi(parts[1])
		// Rows past one more than a role may have are not read: the form never offers them, and
		// the one extra row lets File.Check say there are too many.
		if err != nil || i < 0 || i > playbook.MaxContactsPerRole {
			continue
		}
		if rows[parts[0]] == nil {
			rows[parts[0]] = map[int]*playbook.Contact{}
		}
		c := rows[parts[0]][i]
		if c == nil {
			c = &playbook.Contact{}
			rows[parts[0]][i] = c
		}
		switch parts[2] {
		case "name":
			c.Name = strings.TrimSpace(vals[0])
		case "email":
			c.Email = strings.TrimSpace(vals[0])
		}
	}
	for role, byRow := range rows {
		for _, i := range slices.Sorted(maps.Keys(byRow)) {
			if c := byRow[i]; c.Name != "" || c.Email != "" {
				f.Contacts[role] = append(f.Contacts[role], *c)
			}
		}
	}
	return f
}

// zone is the form's time zone: the one typed, else def (the first playbook's), else UTC.
func (f *startForm) zone(def string) (*time.Location, error) {
	name := f.Zone
	if name == "" {
		name = def
	}
	if name == "" {
		return time.UTC, nil
	}
	loc, err := time.LoadLocation(name)
	if err != nil || name == "Local" {
		return nil, fmt.Errorf("discovered_zone: %q is not a time zone: write an IANA zone such as America/New_York, Europe/Paris or UTC", name)
	}
	return loc, nil
}

// file turns the form into an incident file for the playbooks pb combines (facts and roles
// they do not declare are left out: the form offers none). Problems only the form has (a zone
// that does not exist, a time that does not parse) are returned with the field they name; the
// rest is for File.Check and File.Input to find.
func (f *startForm) file(pb *playbook.Playbook) (*incidentfile.File, []error) {
	var errs []error
	out := &incidentfile.File{Title: f.Title, Summary: f.Summary, Playbooks: f.Playbooks, Facts: map[string]incidentfile.Scalar{}, Contacts: map[string][]playbook.Contact{}}
	if len(f.Playbooks) == 0 {
		errs = append(errs, fmt.Errorf("playbooks: none chosen: tick at least one playbook (e.g. %s)", incidentfile.DefaultPlaybook))
	}
	loc, err := f.zone(pb.Defaults.TimeZone)
	if err != nil {
		errs = append(errs, err)
		loc = time.UTC
	}
	switch {
	case f.DiscoveredNow:
		out.DiscoveredAt = "now"
	case f.DiscoveredAt != "":
		if t, err := parseLocal(f.DiscoveredAt, loc, "discovered_at"); err != nil {
			errs = append(errs, fmt.Errorf("discovered_at: %q is not a date and time: give one such as 2019-05-31T09:00, in the time zone below", f.DiscoveredAt))
		} else {
			out.DiscoveredAt = t.Format(time.RFC3339)
		}
	}
	for id, v := range f.Facts {
		def, ok := pb.Facts[id]
		if v = strings.TrimSpace(v); !ok || v == "" {
			continue
		}
		if def.Type == playbook.FactDate {
			// A datetime-local value is in the form's zone; anything else (a bare date, RFC
			// 3339) is left for the fact check, whose message says what to write.
			switch t, ok, err := parseWallClock(v, loc); {
			case err != nil:
				errs = append(errs, fmt.Errorf("facts.%s: %q: %w", id, v, err))
				continue
			case ok:
				v = t.Format(time.RFC3339)
			}
		}
		out.Facts[id] = incidentfile.Scalar(v)
	}
	for role, cs := range f.Contacts {
		if _, ok := pb.Roles[role]; ok && len(cs) > 0 {
			out.Contacts[role] = slices.Clone(cs)
		}
	}
	return out, errs
}

// fieldPattern reads the field an error line starts with: title, discovered_at, facts.<id>,
// facts[<i>], contacts, contacts.<role>, contacts.<role>[<i>].email, playbooks[<i>], …
var fieldPattern = regexp.MustCompile(`^([a-z_]+(?:\.[A-Za-z0-9][A-Za-z0-9_-]*)?(?:\[[0-9]+\])?(?:\.[a-z_]+)?): `)

// fileLabel names the pasted or uploaded file in its errors ("incident: title: …").
const fileLabel = "incident"

// fieldOf splits an error message into the field it names and the rest; a message naming no
// field returns "" and the whole message.
func fieldOf(msg string) (field, rest string) {
	msg = strings.TrimSpace(msg)
	m := fieldPattern.FindStringSubmatch(msg)
	if m == nil {
		return "", msg
	}
	field, rest = m[1], msg[len(m[0]):]
	if field == fileLabel {
		if f, r := fieldOf(rest); f != "" {
			return f, r
		}
	}
	return field, rest
}

// noAddress reads ValidateStart's "no address for role(s) a, b: …" and "no address for the
// approver role(s) a, b of X: …": the roles it names.
var noAddress = regexp.MustCompile(`^no address for (?:the approver )?role\(s\) ([A-Za-z0-9_, -]+?)(?: of [^:]+)?: `)

// contactField reads contacts.<role>, contacts.<role>[<i>] and contacts.<role>[<i>].<part>.
var contactField = regexp.MustCompile(`^contacts\.([A-Za-z0-9][A-Za-z0-9_-]*)(?:\[([0-9]+)\](?:\.(name|email))?)?$`)

// libraryIndex is a playbook's place in the library; a name not in it sorts last (it is refused
// by name later).
func libraryIndex(name string) int {
	lib, _ := library()
	for i, e := range lib {
		if e.Name == name {
			return i
		}
	}
	return len(lib)
}
