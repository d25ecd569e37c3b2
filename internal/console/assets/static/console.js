// BreachFlow console: times in the viewer's zone, live countdowns, and live updates by polling
// a digest of the incident's status (the page part is fetched again only when it changed).
(function () {
  "use strict";
  var fmt = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });
  function localTimes(root) {
    root.querySelectorAll("time[data-local]").forEach(function (t) {
      if (t.nextElementSibling && t.nextElementSibling.classList.contains("local")) return;
      var d = new Date(t.getAttribute("datetime"));
      if (isNaN(d)) return;
      var s = document.createElement("span");
      s.className = "local";
      s.textContent = "your time: " + fmt.format(d);
      t.after(s);
    });
  }
  function left(ms) {
    var neg = ms < 0, s = Math.floor(Math.abs(ms) / 1000);
    var d = Math.floor(s / 86400), h = Math.floor(s % 86400 / 3600), m = Math.floor(s % 3600 / 60), sec = s % 60;
    var parts = d ? [d + "d", h + "h", m + "m"] : h ? [h + "h", m + "m", sec + "s"] : [m + "m", sec + "s"];
    return neg ? "overdue by " + parts.join(" ") : parts.join(" ") + " left";
  }
  function tick() {
    var now = Date.now();
    document.querySelectorAll("[data-countdown]").forEach(function (e) {
      var t = Date.parse(e.getAttribute("data-countdown"));
      if (!isNaN(t)) {
        e.textContent = left(t - now);
        e.classList.toggle("error", t < now);
      }
    });
  }
  function poll(ms) {
    var live = document.getElementById("live");
    if (!live) {
      // The list: reload it, unless the person is typing a search.
      setInterval(function () {
        var a = document.activeElement;
        if (!a || a.tagName !== "INPUT") location.reload();
      }, ms);
      return;
    }
    var src = live.getAttribute("data-src");
    setInterval(function () {
      if (document.hidden) return;
      fetch(src.replace(/\/live$/, "/version"), { credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (v) {
          if (!v || v.version === live.getAttribute("data-version")) return null;
          live.setAttribute("data-version", v.version);
          return fetch(src, { credentials: "same-origin" }).then(function (r) { return r.ok ? r.text() : null; });
        })
        .then(function (html) {
          if (html == null) return;
          live.innerHTML = html;
          localTimes(live);
          tick();
        })
        .catch(function () {});
    }, ms);
  }
  // The start form: a changed choice of playbooks shows their fields at once (the button does
  // it without JavaScript); typing a discovery time picks "at this date and time".
  function startForm() {
    var form = document.getElementById("form-start"), show = document.getElementById("show-fields");
    if (!form || !show) return;
    form.addEventListener("change", function (e) {
      if (e.target.name === "playbook") form.requestSubmit(show);
    });
    // Enter in a one-line field would press the first button, "Show the fields": harmless
    // (everything is kept) but a surprise; a start needs its own button.
    form.addEventListener("keydown", function (e) {
      if (e.key === "Enter" && e.target.tagName === "INPUT" && e.target.type !== "submit") e.preventDefault();
    });
    var at = document.getElementById("f-discovered-at"), then = document.getElementById("f-discovered-then");
    if (at && then) at.addEventListener("input", function () { then.checked = true; });
  }
  document.addEventListener("DOMContentLoaded", function () {
    startForm();
    localTimes(document);
    tick();
    setInterval(tick, 1000);
    var ms = parseInt(document.body.getAttribute("data-poll"), 10);
    if (ms > 0) poll(ms);
  });
})();
