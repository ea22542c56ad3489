// securebase dashboard: the one-click actions. A form.act posts its fields
// as JSON to its data-url with the login cookie and the CSRF header, and
// shows the API's answer (or its refusal) next to the button.
(function () {
  "use strict";

  function csrf() {
    var m = document.cookie.match(/(?:^|;\s*)securebase_csrf=([^;]+)/);
    return m ? decodeURIComponent(m[1]) : "";
  }

  function describe(d) {
    var parts = [];
    if (d.status) parts.push("status " + d.status);
    if (d.version) parts.push("version " + d.version);
    if (d.next_due) parts.push("next due " + d.next_due);
    return parts.length ? ": " + parts.join(", ") : "";
  }

  document.addEventListener("submit", function (ev) {
    var form = ev.target.closest("form.act");
    if (!form) return;
    ev.preventDefault();
    var body = {};
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!el.name) return;
      body[el.name] = el.dataset.type === "number" ? Number(el.value) : el.value;
    });
    var out = form.querySelector("output.result");
    var buttons = form.querySelectorAll("button");
    var enable = function (on) { buttons.forEach(function (b) { b.disabled = !on; }); };
    enable(false);
    out.className = "result";
    out.textContent = "Sending…";
    fetch(form.dataset.url, {
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
        } else {
          out.textContent = "Refused (" + resp.status + "): " + (data.error || resp.statusText);
          out.classList.add("err");
          form.dataset.state = "refused";
          enable(true);
        }
      });
    }).catch(function (e) {
      out.textContent = "Could not reach the server: " + e.message;
      out.classList.add("err");
      form.dataset.state = "refused";
      enable(true);
    });
  });
})();
