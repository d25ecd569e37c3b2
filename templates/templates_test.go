package templates

import (
	"html"
	"io/fs"
	"regexp"
	"strings"
	"testing"
	"testing/fstest"
	"time"
	_ "time/tzdata" // the examples use America/New_York; don't depend on the machine's zoneinfo

	"github.com/stretchr/testify/require"

	"github.com/breachflow/breachflow/playbook"
)

// noticeNames are the templates the default playbooks and the engine need: one per obligation of
// us-federal-breach, plus the generic reminder and escalation used for every obligation.
var noticeNames = []string{
	"triage", "cisa-report", "risk-assessment", "major-incident-determination", "omb-report",
	"congress-notice", "congress-breach-report", "law-enforcement", "opr-referral",
	"equipment-removal", "subcontractor-monitoring", "dark-web-monitoring", "public-statement",
	"individual-notice", "after-action", "reminder", "escalation", "hold-expiring",
	"cisa-major-incident", "congress-supplement", "ig-gc-notice",
}

// publicNames go to the public or to affected people: they carry no internal details (roles,
// citations, playbook, obligation titles, the vendor's name).
var publicNames = map[string]bool{"public-statement": true, "individual-notice": true}

// exampleObligations mirror us-federal-breach.yaml for the CBP 2019 case: a deadline in hours
// after discovery, or zero with a note for obligations without a fixed deadline.
var exampleObligations = map[string]struct {
	title, citation string
	hours           int
	note            string
}{
	"triage":                       {"Discovery and triage", "DHS Privacy Incident Handling Guidance (2017); internal target", 24, ""},
	"cisa-report":                  {"Report the incident to CISA", "CISA Federal Incident Notification Guidelines (2017); 44 U.S.C. 3554(b)(7)(C)(ii)", 1, ""},
	"risk-assessment":              {"Assess and document the risk of harm to individuals", "OMB M-17-12 (Preparing for and Responding to a Breach of PII)", 0, "promptly; no fixed deadline"},
	"major-incident-determination": {"Decide whether this is a major incident", "OMB M-23-03", 0, "promptly; the OMB and Congress clocks start at the determination"},
	"omb-report":                   {"Report the major incident to OMB and CISA", "OMB annual FISMA guidance (M-23-03)", 1, ""},
	"cisa-major-incident":          {"Report the major incident to CISA (DHS then notifies OMB)", "OMB M-17-05", 1, ""},
	"congress-supplement":          {"Supplement the notice to Congress as information is found", "44 U.S.C. 3554(b)(7)(C)(iii)(III)(bb)", 0, "within a reasonable period after additional information is found; continuing"},
	"ig-gc-notice":                 {"Inform the Inspector General and the General Counsel", "OMB M-17-12 (breach response plan)", 0, "promptly; no rule read sets a number"},
	"congress-notice":              {"Notify Congress of the major incident", "44 U.S.C. 3554(b)(7)(C)(iii)", 7 * 24, ""},
	"congress-breach-report":       {"Report the breach to Congress", "FISMA 2014 (Pub. L. 113-283) sec. 2(d)(1)(A), note to 44 U.S.C. 3553", 30 * 24, ""},
	"law-enforcement":              {"Coordinate with law enforcement and cybersecurity entities", "DHS Privacy Incident Handling Guidance (2017); internal target", 24, ""},
	"opr-referral":                 {"Refer the matter to the Office of Professional Responsibility", "DHS Privacy Incident Handling Guidance (2017); internal target", 72, ""},
	"equipment-removal":            {"Remove compromised equipment from service", "Contract security and privacy requirements; internal target", 48, ""},
	"subcontractor-monitoring":     {"Monitor all work by the subcontractor", "Contract security and privacy requirements; internal target", 0, "continuing until the incident is closed"},
	"dark-web-monitoring":          {"Monitor the dark web and internet for disclosure of the data", "OMB M-17-12; internal target", 0, "continuing until the incident is closed"},
	"public-statement":             {"Issue a public statement", "OMB M-17-12 (breach communications); internal target", 0, "as soon as facts allow; update as they develop"},
	"individual-notice":            {"Notify affected individuals", "FISMA 2014 (Pub. L. 113-283) sec. 2(b); OMB M-17-12", 0, "as expeditiously as practicable and without unreasonable delay"},
	"after-action":                 {"After-action report", "OMB M-17-12 (annual breach response review); internal target", 30 * 24, ""},
	// The generic templates are shown here for the CISA report, the tightest clock.
	"reminder":      {"Report the incident to CISA", "CISA Federal Incident Notification Guidelines (2017)", 1, ""},
	"escalation":    {"Report the incident to CISA", "CISA Federal Incident Notification Guidelines (2017)", 1, ""},
	"hold-expiring": {"Notify affected individuals", "FISMA 2014 (Pub. L. 113-283) sec. 2(b); OMB M-17-12", 0, "as expeditiously as practicable and without unreasonable delay"},
}

func cbpFacts() map[string]string {
	return map[string]string{
		"summary":                    "A subcontractor copied traveler and license-plate images to its own network without authorization; that network was compromised by a malicious cyber-attack.",
		"occurred_at":                "2019-05-13T00:00:00Z",
		"detected_how":               "Reported to the agency by the subcontractor",
		"data_types":                 "Images of travelers in vehicles and of license plates",
		"affected_count":             "184000",
		"pii_involved":               "true",
		"location":                   "A few lanes at a single land border port of entry",
		"vendor_involved":            "true",
		"vendor_name":                "Perceptics",
		"attack_vector":              "Malicious cyber-attack on the subcontractor's network",
		"systems_affected":           "Subcontractor's company network; no agency system",
		"agency_systems_compromised": "false",
		"dark_web_exposure":          "false",
		"point_of_contact":           "Privacy Office, privacy-incidents@example.gov, 202-555-0100",
		"occurred_period":            "August 2018 to January 2019",
		"affected_count_stated":      "fewer than 100,000",
		"encrypted":                  "false",
		"contractor_discovered_at":   "2019-05-13T00:00:00-04:00",
		"functional_impact":          "none (no agency system affected)",
		"information_impact":         "privacy",
		"recoverability":             "not recoverable (data copied)",
		"indicators":                 "to be shared by the subcontractor's investigators",
		"mitigation":                 "equipment related to the breach removed from service",
		"organization_name":          "U.S. Customs and Border Protection",
		"signing_official":           "Chief Privacy Officer, U.S. Customs and Border Protection",
		"toll_free_number":           "1-800-555-0100",
		"contact_email":              "privacy-incidents@example.gov",
		"postal_address":             "Privacy Office, 1300 Example Avenue NW, Washington, DC 20000",
		"services_offered":           "none at this time",
		"notice_delay_reason":        "none: notice is not delayed",
		"individual_notice_plan":     "the agency assessed the risk of harm as low and decided not to notify",
	}
}

// exampleData is a CBP-2019-like notice for the named template.
func exampleData(t *testing.T, name string) Data {
	t.Helper()
	loc, err := time.LoadLocation("America/New_York")
	require.NoError(t, err)
	discovered := time.Date(2019, 5, 31, 9, 0, 0, 0, loc)
	o, ok := exampleObligations[name]
	require.True(t, ok, "no example obligation for %q", name)
	d := Data{
		Kind: KindNotice,
		Incident: IncidentData{
			ID:              "INC-6f1c2a4e-0b7d-4c8e-9a55-3d2e1f0a9b71",
			Title:           "Subcontractor breach of traveler images",
			Summary:         "Traveler and license-plate images exposed at a subcontractor.",
			DiscoveredAt:    discovered,
			PlaybookName:    "us-federal-breach",
			PlaybookVersion: "2026.1",
		},
		Obligation: ObligationData{
			ID:           name,
			Title:        o.title,
			Citation:     o.citation,
			DeadlineNote: o.note,
			AnchorAt:     discovered,
		},
		Facts:       cbpFacts(),
		To:          []string{"CISA Central (federal incident reporting)", "Chief Information Security Officer"},
		GeneratedAt: discovered.Add(20 * time.Minute),
		TimeZone:    "America/New_York",
	}
	if o.hours > 0 {
		d.Obligation.Deadline = discovered.Add(time.Duration(o.hours) * time.Hour)
	}
	switch name {
	case "reminder":
		d.Kind = KindReminder
		d.Obligation.ID = "cisa-report"
		d.Obligation.Left = 30 * time.Minute
	case "escalation":
		d.Kind = KindEscalation
		d.Obligation.ID = "cisa-report"
		d.Obligation.Overdue = 26 * time.Hour
		d.To = []string{"Incident coordinator", "Chief Information Security Officer"}
	case "hold-expiring":
		d.Kind = KindHoldExpiring
		d.Obligation.ID = "individual-notice"
		d.Obligation.Hold = &HoldData{RequestedBy: "FBI Cyber Division", Authority: "request of the Attorney General",
			From: discovered.Add(24 * time.Hour), Until: discovered.Add(31 * 24 * time.Hour)}
	}
	return d
}

func loadEmbedded(t *testing.T) *Set {
	t.Helper()
	s, err := Load(Embedded())
	require.NoError(t, err)
	return s
}

var (
	hexHash      = regexp.MustCompile(`^[0-9a-f]{64}$`)
	eventHandler = regexp.MustCompile(`(?i)<[^>]*\son[a-z]+\s*=`)
)

func TestLoadEmbeddedHasEveryTemplate(t *testing.T) {
	s := loadEmbedded(t)
	for _, name := range noticeNames {
		require.True(t, s.Has(name), "missing notice template %q (needs notices/%s.subject.tmpl, .txt.tmpl and .html.tmpl)", name, name)
		require.Contains(t, s.Names(), name)
	}
}

// Every template a default playbook names must exist, or the playbook would fail validation.
func TestPlaybookTemplatesExist(t *testing.T) {
	s := loadEmbedded(t)
	paths, err := fs.Glob(Embedded(), "playbooks/*.yaml")
	require.NoError(t, err)
	require.NotEmpty(t, paths)
	re := regexp.MustCompile(`(?m)^\s+template:\s*(\S+)\s*$`)
	for _, p := range paths {
		src, err := fs.ReadFile(Embedded(), p)
		require.NoError(t, err)
		matches := re.FindAllStringSubmatch(string(src), -1)
		require.NotEmpty(t, matches, "%s names no templates", p)
		for _, m := range matches {
			require.True(t, s.Has(m[1]), "%s names template %q, which does not exist", p, m[1])
		}
	}
}

func TestRenderEveryTemplate(t *testing.T) {
	s := loadEmbedded(t)
	for _, name := range noticeNames {
		t.Run(name, func(t *testing.T) {
			data := exampleData(t, name)
			r, err := s.Render(name, data)
			require.NoError(t, err)

			require.NotEmpty(t, r.Subject)
			require.NotContains(t, r.Subject, "\n")
			if publicNames[name] {
				// A subject meant for the public carries no internal ID.
				require.NotContains(t, r.Subject, data.Incident.ID)
			} else {
				require.True(t, strings.HasPrefix(r.Subject, "["+data.Incident.ID+"]"), "subject %q does not start with the incident ID", r.Subject)
			}

			if !publicNames[name] {
				require.Contains(t, r.Text, data.Obligation.Title)
				require.Contains(t, r.HTML, html.EscapeString(data.Obligation.Title))
			}
			for _, part := range []string{r.Subject, r.Text, r.HTML} {
				// Every fact is known and every time is set, so none of the placeholders may show.
				require.NotContains(t, part, "not yet known")
				require.NotContains(t, part, "not set")
				require.NotContains(t, part, "<no value>")
				require.NotContains(t, part, "0001")
			}

			require.True(t, strings.HasPrefix(r.HTML, "<!DOCTYPE html>"), "HTML must start with the doctype")
			require.Contains(t, r.HTML, "<body>")
			require.True(t, strings.HasSuffix(strings.TrimSpace(r.HTML), "</html>"))
			for _, bad := range []string{"<script", "src=", "href=", "http:", "https:", "url("} {
				require.NotContains(t, strings.ToLower(r.HTML), bad)
			}
			require.NotRegexp(t, eventHandler, r.HTML)

			require.Regexp(t, hexHash, r.ContentHash)
			require.Equal(t, Hash(r.Subject, r.Text, r.HTML), r.ContentHash)
			again, err := s.Render(name, exampleData(t, name))
			require.NoError(t, err)
			require.Equal(t, r.ContentHash, again.ContentHash, "rendering must be deterministic")
		})
	}
}

// An obligation template may be rendered for any kind without failing.
func TestRenderEveryKind(t *testing.T) {
	s := loadEmbedded(t)
	for _, name := range noticeNames {
		for _, kind := range []string{KindNotice, KindReminder, KindEscalation} {
			data := exampleData(t, name)
			data.Kind = kind
			_, err := s.Render(name, data)
			require.NoError(t, err, "%s as %s", name, kind)
		}
	}
}

func TestContentHashFollowsFacts(t *testing.T) {
	s := loadEmbedded(t)
	for _, name := range noticeNames {
		data := exampleData(t, name)
		before, err := s.Render(name, data)
		require.NoError(t, err)
		if name == "reminder" || name == "escalation" {
			// The generic notices show no facts; their clock is what changes.
			data.Obligation.Left += time.Hour
			data.Obligation.Overdue += time.Hour
		} else {
			data.Facts = cbpFacts()
			data.Facts["point_of_contact"] = "Office of Public Affairs, 202-555-0199"
			data.Facts["affected_count"] = "184001"
		}
		after, err := s.Render(name, data)
		require.NoError(t, err)
		require.NotEqual(t, before.ContentHash, after.ContentHash, name)
	}

	// The number of people affected changed from "fewer than 100,000" to about 184,000 in 2019.
	data := exampleData(t, "congress-breach-report")
	data.Facts["affected_count"] = "99000"
	before, err := s.Render("congress-breach-report", data)
	require.NoError(t, err)
	data.Facts["affected_count"] = "184000"
	after, err := s.Render("congress-breach-report", data)
	require.NoError(t, err)
	require.NotEqual(t, before.ContentHash, after.ContentHash)
	require.Contains(t, after.Text, "184000 (approximate")
}

func TestHTMLEscaping(t *testing.T) {
	s := loadEmbedded(t)
	const script = `<script>alert(1)</script>`
	const title = `Breach "A&B" <x>`
	for _, name := range noticeNames {
		data := exampleData(t, name)
		data.Incident.Title = title
		for k := range data.Facts {
			if k != "pii_involved" && k != "vendor_involved" && k != "agency_systems_compromised" && k != "dark_web_exposure" {
				data.Facts[k] = script
			}
		}
		data.Facts["vendor_name"] = script
		r, err := s.Render(name, data)
		require.NoError(t, err, name)
		require.NotContains(t, r.HTML, "<script", name)
		require.NotContains(t, r.HTML, "<x>", name)
		require.NotContains(t, r.HTML, `"A&B"`, name)
	}

	data := exampleData(t, "cisa-report")
	data.Incident.Title = title
	data.Facts["summary"] = script
	r, err := s.Render("cisa-report", data)
	require.NoError(t, err)
	require.Contains(t, r.HTML, "&lt;script&gt;alert(1)&lt;/script&gt;")
	require.Contains(t, r.HTML, "Breach &#34;A&amp;B&#34; &lt;x&gt;")
	require.Contains(t, r.Text, script)
	require.Contains(t, r.Text, title)
	require.Contains(t, r.Subject, title)
}

func TestMissingFactsRenderNotYetKnown(t *testing.T) {
	s := loadEmbedded(t)
	for _, facts := range []map[string]string{nil, {}, {"pii_involved": "true"}} {
		for _, name := range noticeNames {
			data := exampleData(t, name)
			data.Facts = facts
			r, err := s.Render(name, data)
			require.NoError(t, err, name)
			require.NotContains(t, r.Text, "<no value>", name)
			if name != "reminder" && name != "escalation" {
				require.Contains(t, r.Text, "not yet known", name)
				require.Contains(t, r.HTML, "not yet known", name)
			}
		}
	}

	data := exampleData(t, "cisa-report")
	data.Facts = map[string]string{"pii_involved": "true"}
	r, err := s.Render("cisa-report", data)
	require.NoError(t, err)
	require.Contains(t, r.Text, "Point of contact: not yet known")
	require.Contains(t, r.Text, "Agency systems compromised: not yet known")
	require.Contains(t, r.Text, "Personal information involved: yes")
	require.Contains(t, r.Text, "Third party involved: not yet known\n")
}

func TestZeroDeadlineShowsNote(t *testing.T) {
	s := loadEmbedded(t)
	const note = "promptly; no fixed deadline"
	for _, name := range noticeNames {
		data := exampleData(t, name)
		data.Obligation.Deadline = time.Time{}
		data.Obligation.DeadlineNote = note
		r, err := s.Render(name, data)
		require.NoError(t, err, name)
		for _, part := range []string{r.Subject, r.Text, r.HTML} {
			require.NotContains(t, part, "0001", name)
			require.NotContains(t, part, "not set", name)
		}
		if !publicNames[name] {
			require.Contains(t, r.Text, "No fixed deadline: "+note, name)
			require.Contains(t, r.HTML, "No fixed deadline: "+note, name)
		}
	}

	data := exampleData(t, "reminder")
	data.Obligation.Deadline = time.Time{}
	data.Obligation.DeadlineNote = note
	data.Obligation.Left = 0
	data.Obligation.OpenFor = 9 * 24 * time.Hour
	r, err := s.Render("reminder", data)
	require.NoError(t, err)
	require.Contains(t, r.Subject, "(no fixed deadline, open for 9 days)")
	require.Contains(t, r.Text, "Time left: no fixed deadline; open for 9 days")
}

func TestDeadlinesInTheIncidentZone(t *testing.T) {
	s := loadEmbedded(t)
	r, err := s.Render("cisa-report", exampleData(t, "cisa-report"))
	require.NoError(t, err)
	require.Contains(t, r.Text, "Reporting deadline: Friday, May 31, 2019, 10:00 AM EDT", "US date order for a US recipient")
	require.Contains(t, r.Text, "Report type: Initial")

	// Without a zone, dates are shown in UTC; an unknown zone is an error, not a wrong date.
	data := exampleData(t, "cisa-report")
	data.TimeZone = ""
	r, err = s.Render("cisa-report", data)
	require.NoError(t, err)
	require.Contains(t, r.Text, "Reporting deadline: Friday, May 31, 2019, 2:00 PM UTC")
	data.TimeZone = "Mars/Olympus_Mons"
	_, err = s.Render("cisa-report", data)
	require.ErrorContains(t, err, "unknown time zone")

	r, err = s.Render("reminder", exampleData(t, "reminder"))
	require.NoError(t, err)
	require.Contains(t, r.Subject, "Reminder: Report the incident to CISA (due in 30 minutes)")
	require.Contains(t, r.Text, "starter complete INC-6f1c2a4e-0b7d-4c8e-9a55-3d2e1f0a9b71 cisa-report")
	require.Contains(t, r.Text, "starter waive INC-6f1c2a4e-0b7d-4c8e-9a55-3d2e1f0a9b71 cisa-report")

	r, err = s.Render("escalation", exampleData(t, "escalation"))
	require.NoError(t, err)
	require.Contains(t, r.Subject, "OVERDUE by 1 day 2 hours")
	require.Contains(t, r.Text, "Escalated to: Incident coordinator, Chief Information Security Officer")
}

// Notices to the public and to affected people carry what they need and nothing internal.
func TestPublicNoticesCarryNoInternalDetails(t *testing.T) {
	s := loadEmbedded(t)
	for name := range publicNames {
		data := exampleData(t, name)
		r, err := s.Render(name, data)
		require.NoError(t, err)
		for _, part := range []string{r.Subject, r.Text, r.HTML} {
			for _, internal := range []string{
				data.Facts["vendor_name"], data.Incident.PlaybookName, data.Obligation.Title,
				data.Obligation.Citation, data.To[0], "starter ",
			} {
				require.NotContains(t, part, internal, name)
			}
		}
		require.Contains(t, r.Text, data.Facts["data_types"], name)
		require.Contains(t, r.Text, data.Facts["point_of_contact"], name)
		require.Contains(t, r.Text, data.Incident.ID, name)
	}
}

func TestRenderRefusesMultiLineSubject(t *testing.T) {
	fsys := fstest.MapFS{
		"notices/evil.subject.tmpl": {Data: []byte("[{{.Incident.ID}}] hello\nBcc: victim@example.com")},
		"notices/evil.txt.tmpl":     {Data: []byte("body")},
		"notices/evil.html.tmpl":    {Data: []byte("<!DOCTYPE html><html><body>body</body></html>")},
	}
	s, err := Load(fsys)
	require.NoError(t, err)
	_, err = s.Render("evil", exampleData(t, "triage"))
	require.ErrorContains(t, err, "one line")

	// A title that smuggles a header in through a value is refused too.
	s = loadEmbedded(t)
	data := exampleData(t, "cisa-report")
	data.Incident.Title = "Breach\r\nBcc: victim@example.com"
	_, err = s.Render("cisa-report", data)
	require.ErrorContains(t, err, "one line")
}

func TestLoadRefusesIncompleteTemplate(t *testing.T) {
	fsys := fstest.MapFS{
		"notices/half.subject.tmpl": {Data: []byte("[{{.Incident.ID}}] half")},
		"notices/half.txt.tmpl":     {Data: []byte("body")},
	}
	_, err := Load(fsys)
	require.ErrorContains(t, err, `"half"`)
	require.ErrorContains(t, err, ".html.tmpl")

	_, err = Load(fstest.MapFS{"notices/x.pdf.tmpl": {Data: []byte("x")}})
	require.ErrorContains(t, err, "unknown part")

	_, err = Load(fstest.MapFS{"notices/x.txt.tmpl": {Data: []byte("{{.Incident.ID")}})
	require.ErrorContains(t, err, "parsing template notices/x.txt.tmpl")

	_, err = loadEmbedded(t).Render("no-such-template", Data{})
	require.ErrorContains(t, err, "unknown notice template")
}

func TestHumanDuration(t *testing.T) {
	for _, tc := range []struct {
		d    time.Duration
		want string
	}{
		{0, "less than a minute"},
		{20 * time.Second, "less than a minute"},
		{time.Minute, "1 minute"},
		{45 * time.Minute, "45 minutes"},
		{time.Hour, "1 hour"},
		{90 * time.Minute, "1 hour 30 minutes"},
		{-90 * time.Minute, "1 hour 30 minutes"},
		{24 * time.Hour, "1 day"},
		{49 * time.Hour, "2 days 1 hour"},
		{24*time.Hour + 30*time.Minute, "1 day"},
		{6*24*time.Hour + 23*time.Hour, "6 days 23 hours"},
	} {
		require.Equal(t, tc.want, HumanDuration(tc.d), "HumanDuration(%v)", tc.d)
	}
}

// A notice says that something was done only when the record says it is done: containment, law
// enforcement and monitoring sentences follow Data.Done, never the template's hopes.
func TestNoticesSayOnlyWhatWasDone(t *testing.T) {
	s := loadEmbedded(t)
	claims := map[string]string{
		"law-enforcement":          "working with law-enforcement and cybersecurity partners",
		"equipment-removal":        "removed the equipment involved from service",
		"dark-web-monitoring":      "monitoring the internet and the dark web",
		"subcontractor-monitoring": "monitoring all work by the contractor",
	}
	for _, name := range []string{"public-statement", "individual-notice"} {
		data := exampleData(t, name)
		r, err := s.Render(name, data)
		require.NoError(t, err)
		for _, claim := range claims {
			require.NotContains(t, r.Text, claim, "%s: nothing is done yet", name)
		}
		for id, claim := range claims {
			data.Done = map[string]bool{id: true}
			r, err := s.Render(name, data)
			require.NoError(t, err)
			require.Contains(t, r.Text, claim, "%s once %s is done", name, id)
			require.Contains(t, r.HTML, claim, "%s once %s is done", name, id)
		}
	}
	data := exampleData(t, "congress-notice")
	r, err := s.Render("congress-notice", data)
	require.NoError(t, err)
	require.NotContains(t, r.Text, "law-enforcement and cybersecurity partners")
	data.Done = map[string]bool{"law-enforcement": true}
	r, err = s.Render("congress-notice", data)
	require.NoError(t, err)
	require.Contains(t, r.Text, "working with law-enforcement and cybersecurity partners")
}

// The breach report to Congress carries the four contents of FISMA 2014 sec. 2(d)(1)(A) itself.
func TestCongressBreachReportCarriesItsContents(t *testing.T) {
	s := loadEmbedded(t)
	data := exampleData(t, "congress-breach-report")
	data.Determinations = map[string]string{"individual_notice_required": "false"}
	data.Done = map[string]bool{"risk-assessment": true}
	r, err := s.Render("congress-breach-report", data)
	require.NoError(t, err)
	for _, want := range []string{
		"1. How the breach occurred", "When it occurred: August 2018 to January 2019",
		"2. Estimated number of people affected, and the risk of harm", "as stated: fewer than 100,000",
		"Risk-of-harm assessment: completed; notice to individuals required: no",
		"3. Circumstances delaying notice to individuals\nnone: notice is not delayed",
		"4. Whether and when individuals will be notified\nthe agency assessed the risk of harm as low",
	} {
		require.Contains(t, r.Text, want)
	}
	require.NotContains(t, r.Text, "documented in the agency's incident record", "Congress cannot read the record")
}

// The notice to individuals has the contents OMB M-17-12 lists; the public statement gives the
// agency's name and the count as the source states it, in US date order.
func TestPublicNoticesFollowM1712(t *testing.T) {
	s := loadEmbedded(t)
	r, err := s.Render("individual-notice", exampleData(t, "individual-notice"))
	require.NoError(t, err)
	for _, want := range []string{
		"U.S. Customs and Border Protection is writing", "It occurred: August 2018 to January 2019.",
		"We learned of it on May 31, 2019.", "The information was not encrypted.",
		"Services offered\nnone at this time", "Toll-free number: 1-800-555-0100",
		"E-mail: privacy-incidents@example.gov", "Postal address: Privacy Office",
		"Chief Privacy Officer, U.S. Customs and Border Protection",
	} {
		require.Contains(t, r.Text, want)
	}
	r, err = s.Render("public-statement", exampleData(t, "public-statement"))
	require.NoError(t, err)
	require.Equal(t, "U.S. Customs and Border Protection: statement on a data security incident", r.Subject)
	require.Contains(t, r.Text, "On May 31, 2019, U.S. Customs and Border Protection learned")
	require.Contains(t, r.Text, "People affected: fewer than 100,000\n", "the count as the source states it, not a number of its own")
	require.Contains(t, r.Text, "No disclosure of the information has been found so far.")
}

// Internal targets are never called legal deadlines.
func TestInternalTargetsSaySo(t *testing.T) {
	s := loadEmbedded(t)
	for _, name := range []string{"triage", "law-enforcement", "opr-referral", "equipment-removal", "after-action"} {
		data := exampleData(t, name)
		data.Obligation.Deadline = data.Incident.DiscoveredAt.Add(24 * time.Hour)
		r, err := s.Render(name, data)
		require.NoError(t, err)
		require.Contains(t, r.Text, "(internal target, not a legal deadline)", name)
		require.Contains(t, r.HTML, "(internal target, not a legal deadline)", name)
	}
}

// companyFacts is a company breach (examples/company-2026.yaml) for the regime templates.
func companyFacts() map[string]string {
	return map[string]string{
		"organization_name":     "Example Retail Holdings, Inc.",
		"summary":               "An attacker used a stolen administrator credential to copy the customer database.",
		"occurred_period":       "9 to 12 March 2026",
		"occurred_at":           "2026-03-09T02:00:00Z",
		"data_types":            "names, e-mail and postal addresses, order histories; for some customers driver's license numbers",
		"detected_how":          "alert on an unusual database export",
		"attack_vector":         "stolen administrator credential",
		"vendor_involved":       "false",
		"encrypted":             "false",
		"affected_count":        "52000",
		"affected_count_stated": "about 52,000 customers",
		"mitigation":            "credential revoked, database access rotated, forensic firm engaged",
		"likely_consequences":   "phishing using order details; identity theft where license numbers were taken",
		"steps_individuals":     "watch for e-mails that mention your orders; consider a security freeze with the credit bureaus",
		"delay_reason":          "none",
		"point_of_contact":      "Data Protection Officer, privacy@retail.example, +1 555 0100",
		"toll_free_number":      "1-800-555-0199",
		"ssn_or_id_exposed":     "true",
		"law_enforcement_delay": "false",
		"systems_affected":      "customer database (production)",
		"material_impact":       "under assessment; the company expects remediation costs and possible regulatory fines",
	}
}

// The regime templates render with a company's facts, show "not yet known" without them, and the
// California notice follows the statute's title and headings.
func TestRenderRegimeTemplates(t *testing.T) {
	s := loadEmbedded(t)
	names := []string{"regulator-report", "us-regulator-report", "breach-notice", "ca-notice-of-data-breach", "sec-8k-item-105"}
	loc, err := time.LoadLocation("America/Los_Angeles")
	require.NoError(t, err)
	discovered := time.Date(2026, 3, 12, 8, 0, 0, 0, loc)
	for _, name := range names {
		data := Data{
			Kind:        KindNotice,
			Incident:    IncidentData{ID: "INC-5b0e8f3a-1c2d-4e5f-8a9b-0c1d2e3f4a5b", Title: "Customer database copied", DiscoveredAt: discovered, PlaybookName: "us-ca", PlaybookVersion: "2026.1"},
			Obligation:  ObligationData{ID: "resident-notice", Title: "Notify California residents", Citation: "Cal. Civ. Code 1798.82(a)", AnchorAt: discovered, Deadline: discovered.AddDate(0, 0, 30)},
			Facts:       companyFacts(),
			To:          []string{"Affected residents"},
			GeneratedAt: discovered.Add(48 * time.Hour),
			TimeZone:    "America/Los_Angeles",
		}
		r, err := s.Render(name, data)
		require.NoError(t, err, name)
		for _, part := range []string{r.Subject, r.Text, r.HTML} {
			require.NotContains(t, part, "not yet known", name)
			require.NotContains(t, part, "<no value>", name)
		}
		data.Facts = nil
		r, err = s.Render(name, data)
		require.NoError(t, err, name)
		require.Contains(t, r.Text, "not yet known", name)
	}
	r, err := s.Render("ca-notice-of-data-breach", Data{Kind: KindNotice, Facts: companyFacts(), TimeZone: "America/Los_Angeles",
		Incident: IncidentData{DiscoveredAt: discovered}, GeneratedAt: discovered.Add(48 * time.Hour)})
	require.NoError(t, err)
	require.Equal(t, "Notice of Data Breach from Example Retail Holdings, Inc.", r.Subject)
	headings := []string{"Notice of Data Breach", "What Happened", "What Information Was Involved", "What We Are Doing", "What You Can Do", "For More Information"}
	last := -1
	for _, h := range headings {
		i := strings.Index(r.Text, h+"\n")
		require.Greater(t, i, last, "heading %q in the statute's order", h)
		last = i
		require.Contains(t, r.HTML, ">"+h+"</h", "heading %q in the HTML", h)
	}
	require.Contains(t, r.Text, "Date of this notice: March 14, 2026")
	require.Contains(t, r.Text, "Equifax", "license numbers exposed: the credit reporting agencies are listed")
	require.NotContains(t, r.Subject, "INC-", "no internal ID in a subject meant for the public")
}

// The playbook package names the digest's template without importing this one.
func TestDigestTemplateName(t *testing.T) {
	require.Equal(t, KindDigest, playbook.DigestTemplate)
	s := loadEmbedded(t)
	require.NoError(t, s.DryRun(KindDigest, "America/New_York", nil, nil))
}
