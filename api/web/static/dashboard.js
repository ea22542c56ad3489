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

  // actions reads one action a line, "what | who | by when" (the import's
  // open_actions form), as the API's list of actions.
  function actions(text) {
    return text.split("\n").map(function (line) { return line.trim(); }).filter(Boolean).map(function (line) {
      var p = line.split("|").map(function (s) { return s.trim(); });
      return { what: p[0] || "", who: p[1] || "", by_when: p[2] || "" };
    });
  }

  function clearErrors(form) {
    form.querySelectorAll(".govuk-error-message.from-api").forEach(function (el) { el.remove(); });
    form.querySelectorAll(".govuk-form-group--error").forEach(function (el) { el.classList.remove("govuk-form-group--error"); });
    form.querySelectorAll(".govuk-input--error, .govuk-textarea--error, .govuk-select--error, .govuk-file-upload--error, [aria-invalid], fieldset[aria-describedby]").forEach(function (el) {
      el.classList.remove("govuk-input--error", "govuk-textarea--error", "govuk-select--error", "govuk-file-upload--error");
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
      // A nested field ("actions[1].who") is said at the field it is part of.
      var group = form.querySelector('.govuk-form-group[data-field="' + p.field + '"]') ||
        form.querySelector('.govuk-form-group[data-field="' + String(p.field).split(/[.\[]/)[0] + '"]');
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
      // Above the input, or above the whole list of checkboxes or radios.
      var at = group.querySelector(".govuk-checkboxes, .govuk-radios") || input;
      at.parentNode.insertBefore(msg, at);
      if (input.type === "file") input.classList.add("govuk-file-upload--error");
      else if (input.type !== "checkbox" && input.type !== "radio") input.classList.add(input.tagName === "TEXTAREA" ? "govuk-textarea--error" : input.tagName === "SELECT" ? "govuk-select--error" : "govuk-input--error");
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
    if (form.classList.contains("upload")) { upload(form, ev.submitter); return; }
    var body = {}, url = form.dataset.url;
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!el.name) return;
      if (el.type === "checkbox") { // a yes or no; or, with data-type="list", one of a list's values
        if (el.dataset.type !== "list") { body[el.name] = el.checked; return; }
        body[el.name] = body[el.name] || [];
        if (el.checked) body[el.name].push(el.value);
        return;
      }
      if (el.type === "radio" && !el.checked) return; // a set of radios sends the one chosen
      if (el.dataset.in === "path") { // a part of the address ({staff}), not of the body
        url = url.replace("{" + el.name + "}", encodeURIComponent(el.value.trim()));
        return;
      }
      body[el.name] = el.dataset.type === "number" && /^\s*-?\d+(\.\d+)?\s*$/.test(el.value) ? Number(el.value) :
        el.dataset.type === "list" ? el.value.split(/[\s,]+/).filter(Boolean) :
        el.dataset.type === "actions" ? actions(el.value) : el.value;
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

  // upload sends a form's file as the body (an import): to check it when
  // the button's value is "false" (a dry run, nothing changes) or import it.
  // The answer is the import's report: what it found, and each problem by
  // row and column in a table.
  function upload(form, button) {
    var out = form.querySelector("output.result"), report = form.querySelector(".import-report");
    var kind = form.querySelector('[name="kind"]:checked'), file = form.querySelector('input[type="file"]');
    var buttons = form.querySelectorAll("button");
    var enable = function (on) { buttons.forEach(function (b) { b.disabled = !on; }); };
    var refused = function (why) {
      out.textContent = "There is a problem: " + why;
      out.classList.add("err");
      form.dataset.state = "refused";
    };
    clearErrors(form);
    report.textContent = "";
    out.className = "result";
    if (!file.files.length) {
      showProblems(form, [{ field: file.name, problem: "choose the CSV file" }]);
      refused("See the message above the field.");
      return;
    }
    var apply = !!button && button.value === "true";
    enable(false);
    out.textContent = apply ? "Importing…" : "Checking…";
    fetch(form.dataset.url.replace("{kind}", encodeURIComponent(kind ? kind.value : "")) + "?apply=" + apply, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "text/csv", "X-CSRF-Token": csrf() },
      body: file.files[0]
    }).then(function (resp) {
      return resp.json().catch(function () { return {}; }).then(function (r) {
        enable(true);
        if (!resp.ok) {
          var rest = showProblems(form, r.problems || []);
          refused(rest.length ? rest.map(function (p) { return sentence(p.problem); }).join(". ") :
            (r.problems && r.problems.length ? "See the message above the field." : sentence(r.error || resp.statusText)));
          return;
        }
        var rows = function (n) { return n + (n === 1 ? " row" : " rows"); };
        out.textContent = (apply ? "Imported " + rows(r.new) : "Checked " + rows(r.rows) + ": " + rows(r.new) + " would be imported") +
          ", " + rows(r.unchanged) + " on record already, " + rows(r.failed) + " with a problem" + (apply && r.failed ? " (not imported)" : "") + ".";
        out.classList.add(r.failed ? "err" : "ok");
        form.dataset.state = apply ? "imported" : "checked";
        if (r.problems && r.problems.length) report.appendChild(problemTable(r.problems));
      });
    }).catch(function (e) {
      enable(true);
      refused("Could not reach securebase: " + e.message);
    });
  }

  // problemTable is an import's problems as a GOV.UK table, by row and column.
  function problemTable(problems) {
    var wrap = document.createElement("div");
    wrap.className = "table-wrap";
    wrap.tabIndex = 0;
    wrap.setAttribute("role", "region");
    wrap.setAttribute("aria-labelledby", "import-problems-caption");
    var table = document.createElement("table");
    table.className = "govuk-table import-problems";
    var cap = table.createCaption();
    cap.className = "govuk-table__caption govuk-table__caption--s";
    cap.id = "import-problems-caption";
    cap.textContent = "The problems, by row and column";
    var head = table.createTHead(), hr = head.insertRow();
    head.className = "govuk-table__head";
    hr.className = "govuk-table__row";
    ["Row", "Column", "Problem"].forEach(function (h) {
      var th = document.createElement("th");
      th.scope = "col";
      th.className = "govuk-table__header";
      th.textContent = h;
      hr.appendChild(th);
    });
    var body = table.createTBody();
    body.className = "govuk-table__body";
    problems.forEach(function (p) {
      var tr = body.insertRow();
      tr.className = "govuk-table__row";
      tr.dataset.row = String(p.row);
      [String(p.row), p.column || "the whole row", sentence(p.problem) + (p.rule ? " (rule " + p.rule + ")" : "")].forEach(function (v) {
        var td = tr.insertCell();
        td.className = "govuk-table__cell";
        td.textContent = v;
      });
    });
    wrap.appendChild(table);
    return wrap;
  }

  // A page that loads with an error summary moves focus to it.
  document.addEventListener("DOMContentLoaded", function () {
    var summary = document.querySelector(".govuk-error-summary");
    if (summary) summary.focus();
  });
})();
