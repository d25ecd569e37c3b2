package console

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"

	"github.com/breachflow/breachflow/internal/engine"
	"github.com/breachflow/breachflow/playbook"
)

// formServer is the console without a Temporal server behind it (a lazy client that never
// connects): enough for the form's pages and for every refusal, which happens before anything
// reaches Temporal. Starting an incident for real is TestStartFromForm's, on the test stack.
func formServer(t *testing.T, login string) *browser {
	t.Helper()
	c, err := client.NewLazyClient(client.Options{HostPort: "127.0.0.1:1"})
	require.NoError(t, err)
	t.Cleanup(c.Close)
	_, key, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	users, err := LoadUsers(filepath.Join(t.TempDir(), "users.json"))
	require.NoError(t, err)
	for _, u := range testUsers {
		require.NoError(t, users.Put(u, testPassword))
	}
	set, err := engine.Templates("")
	require.NoError(t, err)
	s, err := New(context.Background(), Config{Client: c, SigningKey: key, Users: users, Templates: set,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Now:    func() time.Time { return time.Date(2026, 11, 30, 15, 0, 0, 0, time.UTC) }})
	require.NoError(t, err)
	h := httptest.NewServer(s.Handler())
	t.Cleanup(h.Close)
	jar, _ := cookiejar.New(nil)
	b := &browser{t: t, base: h.URL, c: &http.Client{Jar: jar, Timeout: 30 * time.Second}}
	// Signed in straight to the form: the list would ask Temporal.
	b.get("/login")
	code, body := b.post("/login", url.Values{"login": {login}, "password": {testPassword}, "next": {"/new"}})
	require.Equal(t, http.StatusOK, code, body)
	require.Contains(t, body, "Sign out")
	return b
}

// tagOf finds the opening tag of the element with an ID.
func tagOf(t *testing.T, page, id string) string {
	t.Helper()
	m := regexp.MustCompile(`<(?:input|select|textarea)[^>]*\bid="` + regexp.QuoteMeta(id) + `"[^>]*>`).FindString(page)
	require.NotEmpty(t, m, "no input #%s in the page", id)
	return m
}

// errorOf returns the message shown under an input, after checking the input points at it.
func errorOf(t *testing.T, page, id string) string {
	t.Helper()
	tag := tagOf(t, page, id)
	require.Contains(t, tag, `aria-invalid="true"`, "input #%s is marked invalid", id)
	require.Regexp(t, `aria-describedby="`+regexp.QuoteMeta(id)+`-err[ "]`, tag, "input #%s is described by its message", id)
	m := regexp.MustCompile(`<p class="field-error" id="` + regexp.QuoteMeta(id) + `-err">([^<]*)</p>`).FindStringSubmatch(page)
	require.NotNil(t, m, "no message under #%s", id)
	return m[1]
}

// goodForm is a complete start on us-federal-breach; tests spoil one field at a time.
func goodForm() url.Values {
	v := url.Values{
		"via": {"form"}, "op": {"start"}, "playbook": {"us-federal-breach"}, "shown": {"us-federal-breach"},
		"title":         {"Laptop with case files stolen"},
		"summary":       {"A laptop was stolen from a car.\r\nIt held case files."},
		"discovered":    {"at"},
		"discovered_at": {"2026-11-28T09:30"}, "discovered_zone": {"America/New_York"},
		"fact.affected_count": {"1,200"}, "fact.pii_involved": {"true"},
		"fact.contractor_discovered_at": {"2026-11-27T18:00"},
		"fact.data_types":               {"Names & case numbers <b>"},
	}
	for _, role := range []string{"incident_coordinator", "incident_response_team", "ciso", "cio", "privacy_officer",
		"chief_privacy_officer", "cisa", "omb", "congress_committees", "judiciary_committees", "inspector_general",
		"general_counsel", "law_enforcement", "opr", "it_operations", "contracting_officer", "cor", "soc",
		"public_affairs", "affected_individuals"} {
		v.Set("contact."+role+".0.name", "Desk "+role)
		v.Set("contact."+role+".0.email", strings.ReplaceAll(role, "_", "-")+"@agency.example")
	}
	return v
}

func TestFormPage(t *testing.T) {
	b := formServer(t, "coordinator")
	code, page := b.get("/new")
	require.Equal(t, http.StatusOK, code)
	// us-federal-breach is ticked; its facts and roles have inputs of their types, labelled.
	require.Contains(t, tagOf(t, page, "pb-us-federal-breach"), "checked")
	require.NotContains(t, tagOf(t, page, "pb-eu-gdpr"), "checked")
	require.Contains(t, tagOf(t, page, "fact-affected_count"), `inputmode="decimal"`)
	require.Contains(t, tagOf(t, page, "fact-contractor_discovered_at"), `type="datetime-local"`)
	require.Contains(t, tagOf(t, page, "fact-pii_involved"), "<select")
	require.Contains(t, tagOf(t, page, "fact-data_types"), `type="text"`)
	require.Contains(t, tagOf(t, page, "c-cisa-0-email"), `type="email"`)
	require.Contains(t, page, `<label for="fact-affected_count">Number of people affected (people, never records or images)</label>`)
	require.Contains(t, tagOf(t, page, "f-zone"), `value="America/New_York"`, "the playbook's zone is the default")
	require.Contains(t, tagOf(t, page, "f-discovered-now"), "checked")
	// Every input has a label.
	// Every input has a label: one naming it, or one around it (checkboxes and radios).
	for _, m := range regexp.MustCompile(`(<label class="check">)?<(?:input|select|textarea)[^>]*\bid="([^"]+)"`).FindAllStringSubmatch(page, -1) {
		if m[1] == "" {
			require.Contains(t, page, `<label for="`+m[2]+`">`, "input #%s has a label", m[2])
		}
	}
	require.Contains(t, page, "<legend>Facts: US federal agency data breach</legend>")
	require.Contains(t, page, "<legend>Contacts: US federal agency data breach</legend>")
	require.NotContains(t, page, "<script>", "no inline script (CSP)")
	// The file section is still there.
	require.Contains(t, page, `id="form-new"`)
	require.Contains(t, page, "Traveler and license-plate images")

	// Other playbooks, without JavaScript: a GET naming them.
	code, page = b.get("/new?playbook=us-federal-breach&playbook=eu-gdpr")
	require.Equal(t, http.StatusOK, code)
	require.Contains(t, tagOf(t, page, "pb-eu-gdpr"), "checked")
	require.Contains(t, page, "<legend>Facts: ")
	require.Regexp(t, `<legend>Facts: [^<]*GDPR[^<]*</legend>`, page)
	require.Less(t, strings.Index(page, "<legend>Facts: US federal"), strings.Index(page, "<legend>Facts: EU GDPR"), "the playbooks in their order")
	require.Contains(t, page, `<datalist id="zones"><option value="America/New_York"></option><option value="Europe/Brussels"></option><option value="UTC"></option></datalist>`)
	require.Contains(t, tagOf(t, page, "f-zone"), `list="zones"`)
	// A playbook outside the library is refused by name, never read as a path.
	code, page = b.get("/new?playbook=../../etc/passwd&playbook=nope")
	require.Equal(t, http.StatusOK, code)
	require.Contains(t, page, "&#34;../../etc/passwd&#34; is not a built-in playbook")
	require.Contains(t, page, "&#34;nope&#34; is not a built-in playbook")
	require.NotContains(t, page, "root:")
}

// TestFormShowKeepsValues: "Show the fields for these playbooks" (a POST) re-renders for the new
// choice and keeps what was typed; values of facts no chosen playbook declares are named as dropped.
func TestFormShowKeepsValues(t *testing.T) {
	b := formServer(t, "coordinator")
	b.get("/new")
	v := goodForm()
	v.Set("op", "show")
	v["playbook"] = []string{"eu-gdpr"}
	code, page := b.post("/new", v)
	require.Equal(t, http.StatusOK, code)
	require.NotContains(t, page, `id="form-errors"`)
	require.Contains(t, tagOf(t, page, "f-title"), `value="Laptop with case files stolen"`)
	require.Contains(t, page, ">A laptop was stolen from a car.\nIt held case files.</textarea>")
	require.Contains(t, tagOf(t, page, "pb-eu-gdpr"), "checked")
	require.NotContains(t, tagOf(t, page, "pb-us-federal-breach"), "checked")
	require.Contains(t, tagOf(t, page, "fact-affected_count"), `value="1,200"`, "a fact both playbooks declare keeps its value")
	require.Regexp(t, `id="dropped">[^<]*contacts of cisa`, page)
}

// TestFormRefusals: each problem is shown next to its input (aria-invalid, aria-describedby to
// the message) and in the summary with a link; everything typed is kept; nothing is started.
func TestFormRefusals(t *testing.T) {
	b := formServer(t, "coordinator")
	b.get("/new")

	v := goodForm()
	v.Set("fact.affected_count", "lots")
	v.Set("contact.cisa.0.email", "not-an-address")
	v.Set("title", "")
	v.Set("discovered_zone", "Mars/Olympus")
	code, page := b.post("/new", v)
	require.Equal(t, http.StatusUnprocessableEntity, code)
	require.Contains(t, errorOf(t, page, "fact-affected_count"), `&#34;lots&#34; is not a number`)
	require.Contains(t, errorOf(t, page, "c-cisa-0-email"), "not-an-address")
	require.Contains(t, errorOf(t, page, "f-title"), "missing")
	require.Contains(t, errorOf(t, page, "f-zone"), "not a time zone")
	// The other inputs are not marked.
	require.NotContains(t, tagOf(t, page, "fact-pii_involved"), "aria-invalid")
	require.NotContains(t, tagOf(t, page, "c-cio-0-email"), "aria-invalid")
	// The summary links to each.
	for _, id := range []string{"fact-affected_count", "c-cisa-0-email", "f-title", "f-zone"} {
		require.Contains(t, page, `<li><a href="#`+id+`">`, "the summary links to #%s", id)
	}
	// What was typed is kept, escaped.
	require.Contains(t, tagOf(t, page, "fact-affected_count"), `value="lots"`)
	require.Contains(t, tagOf(t, page, "c-cisa-0-email"), `value="not-an-address"`)
	require.Contains(t, tagOf(t, page, "c-cisa-0-name"), `value="Desk cisa"`)
	require.Contains(t, tagOf(t, page, "f-discovered-at"), `value="2026-11-28T09:30"`)
	require.Contains(t, tagOf(t, page, "f-discovered-then"), "checked")
	require.Contains(t, tagOf(t, page, "fact-data_types"), `value="Names &amp; case numbers &lt;b&gt;"`)
	require.Contains(t, page, `<option value="true" selected>yes</option>`)
	require.Contains(t, tagOf(t, page, "fact-contractor_discovered_at"), `value="2026-11-27T18:00"`)
	// A blank row follows the typed one, for another contact.
	require.Contains(t, tagOf(t, page, "c-cisa-1-email"), `value=""`)

	// Blank rows are left out: a second contact typed in a later row is the role's contact 2,
	// and its problem is shown where it is shown again.
	v = goodForm()
	v.Set("contact.cisa.1.name", "")
	v.Set("contact.cisa.1.email", "")
	v.Set("contact.cisa.4.name", "Night desk")
	v.Set("contact.cisa.4.email", "night desk@cisa.example")
	code, page = b.post("/new", v)
	require.Equal(t, http.StatusUnprocessableEntity, code)
	require.Contains(t, errorOf(t, page, "c-cisa-1-email"), "night desk@cisa.example")
	require.Contains(t, tagOf(t, page, "c-cisa-1-name"), `value="Night desk"`)
	require.Contains(t, tagOf(t, page, "c-cisa-0-email"), `value="cisa@agency.example"`)
	require.NotContains(t, tagOf(t, page, "c-cisa-0-email"), "aria-invalid")
	require.Contains(t, tagOf(t, page, "c-cisa-2-email"), `value=""`)

	// A role left without any address: the validator names it; the message is at its first row.
	v = goodForm()
	v.Del("contact.cio.0.name")
	v.Del("contact.cio.0.email")
	code, page = b.post("/new", v)
	require.Equal(t, http.StatusUnprocessableEntity, code)
	require.Contains(t, errorOf(t, page, "c-cio-0-email"), "no address for this role")
	require.NotContains(t, tagOf(t, page, "c-ciso-0-email"), "aria-invalid")

	// A discovery time that is not one: the form's own message, not also the validator's
	// "missing" that follows from it.
	v = goodForm()
	v.Set("discovered_at", "yesterday")
	code, page = b.post("/new", v)
	require.Equal(t, http.StatusUnprocessableEntity, code)
	msg := errorOf(t, page, "f-discovered-at")
	require.Contains(t, msg, "is not a date and time")
	require.NotContains(t, msg, "missing")

	// A discovery in the future; a date fact that is not one.
	v = goodForm()
	v.Set("discovered_at", "2027-06-01T09:00")
	code, page = b.post("/new", v)
	require.Equal(t, http.StatusUnprocessableEntity, code)
	require.Contains(t, errorOf(t, page, "f-discovered-at"), "in the future")
	v = goodForm()
	v.Set("fact.contractor_discovered_at", "yesterday")
	code, page = b.post("/new", v)
	require.Equal(t, http.StatusUnprocessableEntity, code)
	require.Contains(t, errorOf(t, page, "fact-contractor_discovered_at"), "not a date")

	// Boxes changed and Start pressed without showing their fields (no script): not started;
	// the fields for the new choice are shown, the typed values kept.
	v = goodForm()
	v["playbook"] = []string{"us-federal-breach", "sec-8k"}
	code, page = b.post("/new", v)
	require.Equal(t, http.StatusUnprocessableEntity, code)
	require.Contains(t, page, `<li><a href="#f-playbooks">Playbooks</a>: <span class="msg">the choice changed since these fields were shown`)
	require.Contains(t, page, `id="f-playbooks-err"`)
	require.Contains(t, tagOf(t, page, "c-sec_counsel-0-email"), `value=""`)
	require.Contains(t, tagOf(t, page, "c-cisa-0-email"), `value="cisa@agency.example"`)
	require.Contains(t, page, `name="shown" value="us-federal-breach,sec-8k"`)

	// No playbook at all.
	v = goodForm()
	v.Del("playbook")
	code, page = b.post("/new", v)
	require.Equal(t, http.StatusUnprocessableEntity, code)
	require.Contains(t, page, "none chosen")
	require.Contains(t, tagOf(t, page, "f-title"), `value="Laptop with case files stolen"`)

	// An auditor may not start one.
	aud := formServer(t, "auditor")
	aud.get("/new")
	code, page = aud.post("/new", goodForm())
	require.Equal(t, http.StatusForbidden, code)
	require.Contains(t, page, "read-only (auditor)")
}

// TestFileRefusals: the incident file's problems are listed by the field they name, in its own
// section (opened), with the text kept; the form beside it is untouched.
func TestFileRefusals(t *testing.T) {
	b := formServer(t, "coordinator")
	b.get("/new")
	file := "title: Lost tape\ndiscovered_at: 2026-11-01T09:00:00Z\nplaybook: us-federal-breach\nfacts:\n  affected_count: lots\ncontacts:\n  cisa: [{name: CISA, email: nobody}]\n"
	code, page := b.post("/new", url.Values{"file": {file}})
	require.Equal(t, http.StatusUnprocessableEntity, code)
	require.Contains(t, page, `<details id="from-file" open>`)
	require.Regexp(t, `<li><strong>facts.affected_count</strong>: <span class="msg">&#34;lots&#34; is not a number`, page)
	require.Contains(t, page, `<li><strong>contacts.cisa[0].email</strong>: `)
	require.True(t, strings.Contains(page, "  cisa: [{name: CISA, email: nobody}]\n</textarea>"), "the text is kept")
	require.NotContains(t, page, `id="form-errors"`, "the form has no problem of its own")

	code, page = b.post("/new", url.Values{"file": {"title: " + strings.Repeat("x", 300) + "\n"}})
	require.Equal(t, http.StatusUnprocessableEntity, code)
	require.Contains(t, page, `<li><strong>title</strong>: `, "the file's label is not taken for the field")
}

func TestFieldOf(t *testing.T) {
	for _, c := range []struct{ msg, field, rest string }{
		{"title: missing: give the incident a short title", "title", "missing: give the incident a short title"},
		{"incident: title: too long (300 characters): shorten it", "title", "too long (300 characters): shorten it"},
		{`facts.affected_count: "lots" is not a number: write digits`, "facts.affected_count", `"lots" is not a number: write digits`},
		{"facts[3]: unknown fact", "facts[3]", "unknown fact"},
		{"facts[3].at: 1900 is before", "facts[3].at", "1900 is before"},
		{`contacts.cisa[0].email: "x" is not an address`, "contacts.cisa[0].email", `"x" is not an address`},
		{"contacts.general-counsel[12].name: holds a tab", "contacts.general-counsel[12].name", "holds a tab"},
		{"contacts: no address for role(s) cio, omb: add them", "contacts", "no address for role(s) cio, omb: add them"},
		{"playbooks[1]: unknown", "playbooks[1]", "unknown"},
		{`discovered_at "x": write RFC 3339`, "", `discovered_at "x": write RFC 3339`},
		{"starting the incident's workflow: context deadline exceeded", "", "starting the incident's workflow: context deadline exceeded"},
		{"Incident: title: x", "", "Incident: title: x"},
		{"incident: a playbook and playbooks are both given", "incident", "a playbook and playbooks are both given"},
	} {
		f, r := fieldOf(c.msg)
		require.Equal(t, c.field, f, c.msg)
		require.Equal(t, c.rest, r, c.msg)
	}
	m := noAddress.FindStringSubmatch("no address for the approver role(s) cio, general_counsel of congress-notice: a signed approval")
	require.Equal(t, "cio, general_counsel", m[1])
	m = noAddress.FindStringSubmatch("no address for role(s) omb: notices go to them")
	require.Equal(t, "omb", m[1])
}

// TestStartFromForm starts an incident from the form against a real Temporal server: the
// workflow's input is what was typed (times in the zone given, the count as written, contacts by
// role); the file path still works beside it.
func TestStartFromForm(t *testing.T) {
	if testing.Short() {
		t.Skip("embedded Temporal server: not in -short")
	}
	s := startTestStack(t, nil)
	b := s.browser(t)
	b.login("coordinator")
	b.get("/new")
	resp, err := b.c.PostForm(b.base+"/new", withCSRF(goodForm(), b.csrf))
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	m := incidentPath.FindStringSubmatch(resp.Request.URL.Path)
	require.NotNil(t, m, "redirected to %s", resp.Request.URL)
	require.Equal(t, "done=started", resp.Request.URL.RawQuery)
	st := s.status(t, m[1])
	require.Equal(t, "Laptop with case files stolen", st.Title)
	ny, err := time.LoadLocation("America/New_York")
	require.NoError(t, err)
	require.True(t, time.Date(2026, 11, 28, 9, 30, 0, 0, ny).Equal(st.DiscoveredAt), "discovered at %s", st.DiscoveredAt)
	require.Equal(t, "1200", st.Facts["affected_count"])
	require.Equal(t, "true", st.Facts["pii_involved"])
	require.Equal(t, "2026-11-27T18:00:00-05:00", st.Facts["contractor_discovered_at"])
	require.Equal(t, "Names & case numbers <b>", st.Facts["data_types"])
	require.Empty(t, st.Facts["vendor_name"], "a blank fact is not recorded")

	// The file path beside it.
	id := b.startCBP()
	require.Equal(t, "Traveler and license-plate images copied to a subcontractor network and stolen", s.status(t, id).Title)
}

func withCSRF(v url.Values, csrf string) url.Values {
	v.Set("csrf", csrf)
	return v
}

// BenchmarkNewPage renders the start form for us-federal-breach (31 facts, 20 roles) and for
// three playbooks at once, and refuses a start with a bad count: the playbooks are loaded and
// validated on every request.
//
//	go test ./internal/console -run '^$' -bench NewPage -benchtime 50x
func BenchmarkNewPage(b *testing.B) {
	c, err := client.NewLazyClient(client.Options{HostPort: "127.0.0.1:1"})
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	_, key, _ := ed25519.GenerateKey(rand.Reader)
	set, err := engine.Templates("")
	if err != nil {
		b.Fatal(err)
	}
	s, err := New(context.Background(), Config{Client: c, SigningKey: key, Templates: set, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		b.Fatal(err)
	}
	sess := &Session{Name: "C", Email: "coordinator@agency.example", CSRF: "t"}
	bad := goodForm()
	bad.Set("fact.affected_count", "lots")
	for _, bc := range []struct {
		name string
		req  func() *http.Request
	}{
		{"us-federal-breach", func() *http.Request { return httptest.NewRequest(http.MethodGet, "/new", nil) }},
		{"three-playbooks", func() *http.Request {
			return httptest.NewRequest(http.MethodGet, "/new?playbook=us-federal-breach&playbook=eu-gdpr&playbook=us-ca", nil)
		}},
		{"refused", func() *http.Request {
			r := httptest.NewRequest(http.MethodPost, "/new", strings.NewReader(bad.Encode()))
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			_ = r.ParseForm()
			return r
		}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			var size int
			for b.Loop() {
				r := bc.req()
				r = r.WithContext(context.WithValue(r.Context(), ctxKey{}, sess))
				w := httptest.NewRecorder()
				if r.Method == http.MethodGet {
					s.newPage(w, r)
				} else {
					s.startIncident(w, r)
				}
				if w.Code != http.StatusOK && w.Code != http.StatusUnprocessableEntity {
					b.Fatalf("status %d", w.Code)
				}
				size = w.Body.Len()
			}
			b.ReportMetric(float64(size)/1024, "KiB/page")
		})
	}
}

// TestFormReviewFixes: a link fills in nothing but the choice of playbooks (a crafted link must
// not put an attacker's address in front of a coordinator who then presses Start); a choice is
// one choice in whatever order a link names it; a role takes at most playbook.MaxContactsPerRole
// addresses, and rows far past that are not even read; a url-encoded form that is too large is
// a bad request, not a CSRF refusal.
func TestFormReviewFixes(t *testing.T) {
	b := formServer(t, "coordinator")
	code, page := b.get("/new?playbook=us-federal-breach&title=Crafted&contact.cisa.0.email=attacker%40evil.example&fact.affected_count=7")
	require.Equal(t, http.StatusOK, code)
	require.NotContains(t, page, "attacker@evil.example")
	require.NotContains(t, page, "Crafted")
	require.Contains(t, tagOf(t, page, "fact-affected_count"), `value=""`)

	require.Equal(t, []string{"us-federal-breach", "hipaa"}, readStartForm(url.Values{fieldPlaybook: {"hipaa", "us-federal-breach"}}).Playbooks)

	v := goodForm()
	for i := range playbook.MaxContactsPerRole + 1 {
		v.Set(fmt.Sprintf("contact.cisa.%d.name", i), fmt.Sprintf("Desk %d", i))
		v.Set(fmt.Sprintf("contact.cisa.%d.email", i), fmt.Sprintf("desk%d@cisa.example", i))
	}
	v.Set("contact.cisa.9999.email", "far@cisa.example")
	code, page = b.post("/new", v)
	require.Equal(t, http.StatusUnprocessableEntity, code)
	require.Contains(t, page, fmt.Sprintf("at most %d per role", playbook.MaxContactsPerRole))
	require.NotContains(t, page, "far@cisa.example", "a row far past the limit is not read")

	big := url.Values{}
	for i := range 11000 {
		big.Set(fmt.Sprintf("f%d", i), "x")
	}
	code, _ = b.post("/new", big)
	require.Equal(t, http.StatusBadRequest, code, "too many fields: a bad request")
}
