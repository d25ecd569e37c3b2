package console

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/breachflow/breachflow/workflows"
)

// EnvScreenshots makes the browser test write PNGs of the main pages into docs/screenshots/.
const EnvScreenshots = "BREACHFLOW_SCREENSHOTS"

// chromium finds the browser; without one the test skips loudly, unless $CI is set: then a
// missing browser fails the run (.ci/run installs it).
func chromium(t testing.TB) string {
	t.Helper()
	for _, p := range []string{os.Getenv("BREACHFLOW_CHROMIUM"), "/usr/bin/chromium"} {
		if p != "" {
			if _, err := os.Stat(p); err == nil {
				return p
			}
		}
	}
	if p, err := exec.LookPath("chromium"); err == nil {
		return p
	}
	if os.Getenv("CI") != "" {
		t.Fatal("no Chromium at /usr/bin/chromium or on PATH, and CI is set: install it (apt-get install -y chromium)")
	}
	t.Skip("!!! SKIPPED: no Chromium found (apt-get install -y chromium); the console's browser tests did not run !!!")
	return ""
}

// newBrowser starts headless Chromium with a fresh profile and returns its context.
func newBrowser(t testing.TB) context.Context {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium(t)),
		chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1366, 900),
	)
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancelAlloc)
	ctx, cancel := chromedp.NewContext(alloc)
	t.Cleanup(cancel)
	ctx, cancelT := context.WithTimeout(ctx, 4*time.Minute)
	t.Cleanup(cancelT)
	require.NoError(t, chromedp.Do(ctx), "starting Chromium")
	return ctx
}

// shot writes a screenshot of the viewport (1366×900, a laptop screen) when EnvScreenshots is
// set. Not a full-page capture: that leaves out-of-process frames (the sandboxed notice) blank.
func shot(t *testing.T, name string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		if os.Getenv(EnvScreenshots) == "" {
			return nil
		}
		png, err := chromedp.CaptureScreenshot()(ctx, tg)
		if err != nil {
			return err
		}
		dir := filepath.Join("..", "..", "docs", "screenshots")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
		t.Logf("screenshot %s (%d bytes)", name, len(png))
		return os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644)
	})
}

func signIn(base, login string) chromedp.Action[chromedp.Void] {
	return chromedp.Steps(
		chromedp.Navigate(base+"/login"),
		chromedp.WaitVisible(chromedp.ID("login")),
		chromedp.SendKeys(chromedp.ID("login"), login),
		chromedp.SendKeys(chromedp.ID("password"), testPassword),
		submit("main form"),
		shows("form.who"),
	)
}

func signOut() chromedp.Action[chromedp.Void] {
	return chromedp.Steps(
		submit("form.who"),
		shows("#login"),
	)
}

// framesLoaded waits until the page's iframes have loaded (the sandboxed notice HTML).
func framesLoaded() chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := chromedp.Poll[bool](`performance.getEntriesByType("resource").some(e => e.initiatorType === "iframe" && e.responseEnd > 0)`, chromedp.WithPollingTimeout(10*time.Second))(ctx, tg)
		return err
	})
}

// landed waits until the tab shows the page a form redirected to, saying what was done.
func landed(done string) chromedp.Action[chromedp.Void] {
	return shows(`p.ok[data-done="` + done + `"]`)
}

// shows waits until the page after a form's submission shows an element. It polls with a short
// timeout per try: a query or evaluation caught by the navigation the form starts may never be
// answered, so chromedp's own waits are not used across it.
func shows(css string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		expr := `document.readyState === "complete" && !!document.querySelector(` + strconv.Quote(css) + `)`
		deadline := time.Now().Add(30 * time.Second)
		for {
			try, cancel := context.WithTimeout(ctx, 2*time.Second)
			ok, err := chromedp.Evaluate[bool](expr)(try, tg)
			cancel()
			if err == nil && ok {
				return nil
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("the page never showed %s (last error: %v)", css, err)
			}
			time.Sleep(100 * time.Millisecond)
		}
	})
}

// submit submits a form the way its button does (requestSubmit: validation and submit event),
// from a timer, so the evaluation returns before the navigation it starts.
func submit(css string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		try, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		_, err := chromedp.Evaluate[bool](`setTimeout(() => document.querySelector(`+strconv.Quote(css)+`).requestSubmit(), 0), true`)(try, tg)
		return err
	})
}

// within runs steps with a bound of its own, so a stuck step fails at its line in a minute.
func within(ctx context.Context, steps ...chromedp.Action[chromedp.Void]) error {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	return chromedp.Do(ctx, steps...)
}

// run runs one action that returns a value, failing the test on an error.
func run[T any](t *testing.T, ctx context.Context, a chromedp.Action[T]) T {
	t.Helper()
	v, err := chromedp.Run(ctx, a)
	require.NoError(t, err)
	return v
}

// TestBrowserLifecycle drives the console in real Chromium against a real Temporal server: sign
// in, start the CBP-2019 incident from the form, record a fact that crosses the major-incident
// threshold, request the notice to Congress, see a self-approval refused in the page, approve it
// as two other people, and see it delivered — the page updating itself, without a reload, when
// someone else acts. An auditor is offered no action.
func TestBrowserLifecycle(t *testing.T) {
	if testing.Short() {
		t.Skip("embedded Temporal server and Chromium: not in -short")
	}
	ctx := newBrowser(t)
	s := startTestStack(t, nil)
	base := s.http.URL

	require.NoError(t, within(ctx,
		signIn(base, "coordinator"),
		shot(t, "list-empty"),
	))
	startFromForm(t, ctx, s, base)

	// The CBP-2019 example, from the incident file (the page's second way).
	require.NoError(t, within(ctx,
		chromedp.Navigate(base+"/new"),
		chromedp.WaitVisible(chromedp.ID("form-start")),
		chromedp.Click(chromedp.CSS("#from-file > summary")),
		chromedp.WaitVisible(chromedp.ID("file")),
		submit("#form-new"),
		landed("started"),
	))
	incidentURL := run(t, ctx, chromedp.Location())
	m := incidentPath.FindStringSubmatch(incidentURL)
	require.NotNil(t, m, incidentURL)
	id := m[1]

	// A fact crossing the threshold: 184,000 people implies a major incident.
	require.NoError(t, within(ctx,
		chromedp.SendKeys(chromedp.ID("fact-name"), "affected_count"),
		chromedp.SendKeys(chromedp.ID("fact-value"), "184000"),
		chromedp.SendKeys(chromedp.ID("fact-note"), "OIG-20-71"),
		submit("#form-fact"),
		landed("fact"),
	))
	require.Contains(t, run(t, ctx, chromedp.Text(chromedp.ID("live"))), "affected_count = 184000")
	require.NotEmpty(t, s.status(t, id).Implied)

	// A refusal appears next to its form and changes nothing.
	require.NoError(t, within(ctx,
		chromedp.SetValue(chromedp.ID("waive-obligation"), "public-statement"),
		submit("#form-waive"),
		shows("#waive-err"),
	))
	text := run(t, ctx, chromedp.Text(chromedp.ID("waive-err")))
	require.Contains(t, text, "Refused:")
	require.Contains(t, strings.ToLower(text), "reason")

	require.NoError(t, within(ctx,
		chromedp.SetValue(chromedp.ID("send-obligation"), "congress-notice"),
		submit("#form-send"),
		landed("send"),
		shot(t, "incident"),
		chromedp.Navigate(base+"/incidents/"+id+"/notices/congress-notice"),
		chromedp.WaitVisible(chromedp.ID("approve-whynot")),
		framesLoaded(),
		shot(t, "preview"),
		chromedp.ScrollIntoView(chromedp.CSS("iframe")),
		shot(t, "preview-html"),
	))
	// The requester may not approve: the page says why (the validator's own rule) and offers no button.
	require.Contains(t, run(t, ctx, chromedp.Text(chromedp.ID("approve-whynot"))), "cannot approve")
	require.Zero(t, run(t, ctx, chromedp.Evaluate[int](`document.querySelectorAll("#form-approve").length`)))
	require.Empty(t, s.notice(t, id, "congress-notice").Approvals)

	// The auditor: everything visible, nothing offered.
	require.NoError(t, within(ctx,
		signOut(), signIn(base, "auditor"),
		chromedp.Navigate(base+"/incidents/"+id),
		chromedp.WaitVisible(chromedp.ID("live")),
	))
	require.Zero(t, run(t, ctx, chromedp.Evaluate[int](`document.querySelectorAll("form[action*='/act/']").length`)))

	for _, who := range []string{"cio", "counsel"} {
		require.NoError(t, within(ctx,
			signOut(), signIn(base, who),
			chromedp.Navigate(base+"/incidents/"+id+"/notices/congress-notice"),
			chromedp.WaitVisible(chromedp.ID("form-approve")),
			submit("#form-approve"),
			landed("approved"),
		), who)
	}

	// Delivered: the incident page shows it, and then updates itself when someone else acts.
	require.NoError(t, within(ctx,
		chromedp.Navigate(base+"/incidents/"+id),
		chromedp.WaitVisible(chromedp.ID("live")),
	))
	run(t, ctx, chromedp.Poll[bool](`document.getElementById("live").textContent.includes("hsc@house.example")`, chromedp.WithPollingTimeout(time.Minute)))
	run(t, ctx, chromedp.Evaluate[bool](`window.notReloaded = true`))
	require.Equal(t, workflows.NoticeSent, s.notice(t, id, "congress-notice").State)
	other := s.browser(t)
	other.login("coordinator")
	other.get("/incidents/" + id)
	code, _ := other.post("/incidents/"+id+"/act/fact", url.Values{"name": {"affected_count_stated"}, "value": {"about 184,000 images"}})
	require.Equal(t, http.StatusOK, code)
	run(t, ctx, chromedp.Poll[bool](`document.getElementById("live").textContent.includes("about 184,000 images")`, chromedp.WithPollingTimeout(30*time.Second)))
	require.True(t, run(t, ctx, chromedp.Evaluate[bool](`window.notReloaded === true`)), "the page updated without a reload")
	require.NoError(t, within(ctx,
		shot(t, "incident-delivered"),
		chromedp.Navigate(base+"/incidents/"+id+"/timeline"),
		chromedp.WaitVisible(chromedp.CSS("h1")),
		shot(t, "timeline"),
		chromedp.Navigate(base+"/?filter=all"),
		chromedp.WaitVisible(chromedp.CSS("table")),
		shot(t, "list"),
	))
}

// startFromForm starts an incident from the form as a person does: tick a playbook (the page
// shows its fields at once, by the script), untick the default, fill the fields, see a bad count
// refused next to its input with everything else kept, correct it, and land on the incident.
func startFromForm(t *testing.T, ctx context.Context, s *testStack, base string) {
	t.Helper()
	contacts := []chromedp.Action[chromedp.Void]{}
	for _, role := range []string{"incident_coordinator", "counsel", "disclosure_committee", "sec_counsel"} {
		contacts = append(contacts,
			chromedp.SendKeys(chromedp.ID("c-"+role+"-0-name"), "Desk "+role),
			chromedp.SendKeys(chromedp.ID("c-"+role+"-0-email"), strings.ReplaceAll(role, "_", "-")+"@corp.example"))
	}
	require.NoError(t, within(ctx,
		chromedp.Navigate(base+"/new"),
		chromedp.WaitVisible(chromedp.ID("fact-affected_count")),
		shot(t, "start"),
		chromedp.Click(chromedp.ID("pb-sec-8k")),
		shows("#pb-sec-8k:checked"),
		chromedp.Click(chromedp.ID("pb-us-federal-breach")),
		shows("#pb-us-federal-breach:not(:checked)"),
		shows("#c-sec_counsel-0-email"),
		chromedp.SendKeys(chromedp.ID("f-title"), "Ransomware at a registrant"),
		chromedp.SendKeys(chromedp.ID("f-summary"), "File servers encrypted."),
		chromedp.SetValue(chromedp.ID("fact-sec_registrant"), "true"),
		chromedp.SendKeys(chromedp.ID("fact-affected_count"), "lots"),
		chromedp.Steps(contacts...),
		submit("#form-start"),
		shows("#fact-affected_count-err"),
		shot(t, "start-refused"),
	))
	require.Contains(t, run(t, ctx, chromedp.Text(chromedp.ID("fact-affected_count-err"))), "not a number")
	require.Equal(t, "true", run(t, ctx, chromedp.AttributeValue(chromedp.ID("fact-affected_count"), "aria-invalid")).Value)
	require.Equal(t, "Ransomware at a registrant", run(t, ctx, chromedp.Value(chromedp.ID("f-title"))), "what was typed is kept")
	require.Equal(t, "sec-counsel@corp.example", run(t, ctx, chromedp.Value(chromedp.ID("c-sec_counsel-0-email"))))
	// The summary's link takes the keyboard to the input.
	require.NoError(t, within(ctx,
		chromedp.Click(chromedp.CSS(`#form-errors a[href="#fact-affected_count"]`)),
		shows("#fact-affected_count:target"),
		shot(t, "start-refused-field"),
		chromedp.SetValue(chromedp.ID("fact-affected_count"), "2,500"),
		submit("#form-start"),
		landed("started"),
	))
	m := incidentPath.FindStringSubmatch(run(t, ctx, chromedp.Location()))
	require.NotNil(t, m)
	st := s.status(t, m[1])
	require.Equal(t, "Ransomware at a registrant", st.Title)
	require.Equal(t, "2500", st.Facts["affected_count"])
	require.Equal(t, "true", st.Facts["sec_registrant"])
}
