// securebase dashboard: the one-click actions. A form.act posts its fields
// as JSON to its data-url with the login cookie and the CSRF header, and
// says the API's answer next to the button. A refusal that names fields
// puts each problem next to its field, the GOV.UK way (an error message
// above the input, the group marked), and moves focus to the first one.
(function () {
  "use strict";

  function csrf() {
    var m = document.cookie.match(/(?:^|;\s*)securebase_csrf=([^;]+)/);
    return m ? decodeURIComponent(m[1]) : "";
  }

  // The words of the answer a person reads: the record's new status, the
  // next due day, never the API's field names.
  var statusWords = {
    draft: "waiting for the supervisor", awaiting_supervisee: "waiting for the supervisee to sign",
    disputed: "disputed by the supervisee", signed: "signed by both", finalised: "finalised",
    closed: "closed", booked: "booked", cancelled: "cancelled",
    open: "waiting for both signatures", agreed: "agreed by both", active: "running", paused: "paused",
    passed: "passed", failed: "failed"
  };
  function longDate(s) {
    var d = new Date(s + "T12:00:00Z");
    if (isNaN(d)) return s;
    return d.toLocaleDateString("en-GB", { weekday: "long", day: "numeric", month: "long", year: "numeric", timeZone: "Europe/London" }).replace(",", "");
  }
  function describe(d) {
    var parts = [];
    if (d.status) parts.push("now " + (statusWords[d.status] || d.status.replace(/_/g, " ")));
    if (d.next_due) parts.push("next due " + longDate(d.next_due));
    return parts.length ? ": " + parts.join(", ") : "";
  }

  function clearErrors(form) {
    form.querySelectorAll(".govuk-error-message.from-api").forEach(function (el) { el.remove(); });
    form.querySelectorAll(".govuk-form-group--error").forEach(function (el) { el.classList.remove("govuk-form-group--error"); });
    form.querySelectorAll(".govuk-input--error, .govuk-textarea--error, .govuk-select--error, [aria-invalid], fieldset[aria-describedby]").forEach(function (el) {
      el.classList.remove("govuk-input--error", "govuk-textarea--error", "govuk-select--error");
      el.removeAttribute("aria-invalid");
      var ids = (el.getAttribute("aria-describedby") || "").split(" ").filter(function (id) { return id && id.indexOf("-error") < 0; });
      if (ids.length) el.setAttribute("aria-describedby", ids.join(" ")); else el.removeAttribute("aria-describedby");
    });
  }

  // showProblems marks each named field; it returns the problems no field
  // on the form shows (they are said in the form's output instead).
  function showProblems(form, problems) {
    var rest = [], first = null;
    problems.forEach(function (p) {
      var group = form.querySelector('.govuk-form-group[data-field="' + p.field + '"]');
      var input = group && group.querySelector("input, textarea, select");
      if (!input) { rest.push(p); return; }
      var msg = document.createElement("p");
      msg.className = "govuk-error-message from-api";
      msg.id = input.id + "-error";
      var hidden = document.createElement("span");
      hidden.className = "govuk-visually-hidden";
      hidden.textContent = "Error: ";
      msg.appendChild(hidden);
      msg.appendChild(document.createTextNode(atField(group, p.problem)));
      group.classList.add("govuk-form-group--error");
      // Radios: the message goes above the whole set, after the legend and hint.
      var at = input.closest(".govuk-radios") || input;
      at.parentNode.insertBefore(msg, at);
      if (input.type !== "radio") input.classList.add(input.tagName === "TEXTAREA" ? "govuk-textarea--error" : input.tagName === "SELECT" ? "govuk-select--error" : "govuk-input--error");
      input.setAttribute("aria-invalid", "true");
      var described = input.type === "radio" ? input.closest("fieldset") || input : input;
      described.setAttribute("aria-describedby", ((described.getAttribute("aria-describedby") || "") + " " + msg.id).trim());
      if (!first) first = input;
    });
    if (first) first.focus();
    return rest;
  }

  // atField says a problem in words that stand alone: the API's "is
  // required" next to the field labelled "Full name" is "Full name is required".
  function atField(group, problem) {
    var label = group.querySelector("legend, label"); // a set of radios is named by its legend
    if (label && /^(is|are|must|cannot|has|does) /.test(problem)) return label.textContent.trim() + " " + problem;
    return sentence(problem);
  }

  function sentence(s) { return s ? s.charAt(0).toUpperCase() + s.slice(1) : s; }

  document.addEventListener("submit", function (ev) {
    var form = ev.target.closest("form.act");
    if (!form) return;
    ev.preventDefault();
    var body = {}, url = form.dataset.url;
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!el.name) return;
      if (el.type === "radio" && !el.checked) return; // a set of radios sends the one chosen
      if (el.dataset.in === "path") { // a part of the address ({staff}), not of the body
        url = url.replace("{" + el.name + "}", encodeURIComponent(el.value.trim()));
        return;
      }
      body[el.name] = el.dataset.type === "number" && /^\s*-?\d+(\.\d+)?\s*$/.test(el.value) ? Number(el.value) :
        el.dataset.type === "list" ? el.value.split(/[\s,]+/).filter(Boolean) : el.value;
    });
    var missing = Array.prototype.filter.call(form.querySelectorAll('[data-in="path"]'), function (el) { return !el.value.trim(); });
    var out = form.querySelector("output.result");
    var buttons = form.querySelectorAll("button");
    var enable = function (on) { buttons.forEach(function (b) { b.disabled = !on; }); };
    enable(false);
    clearErrors(form);
    out.className = "result";
    out.textContent = "Sending…";
    if (missing.length) { // the address needs it: said at the field, nothing sent
      showProblems(form, missing.map(function (el) { return { field: el.name, problem: "enter a staff id" }; }));
      out.textContent = "There is a problem: See the message above the field.";
      out.classList.add("err");
      form.dataset.state = "refused";
      enable(true);
      return;
    }
    fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf() },
      body: JSON.stringify(body)
    }).then(function (resp) {
      return resp.json().catch(function () { return {}; }).then(function (data) {
        if (resp.ok) {
          out.textContent = (form.dataset.done || "Done") + describe(data);
          out.classList.add("ok");
          var row = form.closest("[data-row]");
          if (row) row.classList.add("done");
          form.dataset.state = "done";
          return;
        }
        var rest = showProblems(form, data.problems || []);
        var why = rest.length ? rest.map(function (p) { return sentence(p.problem); }).join(". ") :
          (data.problems && data.problems.length ? "See the message above the field." : sentence(data.error || resp.statusText));
        out.textContent = (resp.status === 403 ? "You may not do this: " : "There is a problem: ") + why;
        out.classList.add("err");
        form.dataset.state = "refused";
        form.dataset.status = String(resp.status);
        enable(true);
      });
    }).catch(function (e) {
      out.textContent = "Could not reach securebase: " + e.message;
      out.classList.add("err");
      form.dataset.state = "refused";
      enable(true);
    });
  });

  // A page that loads with an error summary moves focus to it.
  document.addEventListener("DOMContentLoaded", function () {
    var summary = document.querySelector(".govuk-error-summary");
    if (summary) summary.focus();
  });
})();
