// gatewaysim dashboard: live rows for the request table (server-sent events) and its filters.
// Every value a client sent is put in the page with textContent, never as HTML.
(function () {
  "use strict";
  var table = document.getElementById("requests");
  if (!table) { return; }
  var body = table.tBodies[0];
  var form = document.getElementById("filters");
  var live = document.getElementById("live");
  var limit = parseInt(table.getAttribute("data-limit"), 10) || 500;

  function value(name) { return (form.elements[name].value || "").trim().toLowerCase(); }

  function statusMatches(status, wanted) {
    if (!wanted) { return true; }
    return wanted.split(/[ ,]+/).some(function (w) {
      w = w.replace(/x+$/, "");
      return w !== "" && status.indexOf(w) === 0;
    });
  }

  function matches(tr) {
    var decision = value("decision");
    var shown = tr.getAttribute("data-decision") || "";
    if (decision === "refused" ? shown === "allowed" : decision && shown !== decision) { return false; }
    if (!statusMatches(tr.getAttribute("data-status") || "", value("status"))) { return false; }
    if ((tr.getAttribute("data-path") || "").toLowerCase().indexOf(value("path")) < 0) { return false; }
    if (value("shadow") === "differs" && !tr.getAttribute("data-shadow")) { return false; }
    return (tr.getAttribute("data-caller") || "").toLowerCase().indexOf(value("caller")) >= 0;
  }

  function apply() {
    Array.prototype.forEach.call(body.rows, function (tr) { tr.hidden = !matches(tr); });
  }

  function cell(tr, text, className) {
    var td = document.createElement("td");
    td.textContent = text === undefined || text === null ? "-" : String(text);
    if (className) { td.className = className; }
    tr.appendChild(td);
    return td;
  }

  function row(r) {
    var tr = document.createElement("tr");
    var decision = r.refusedBy || "allowed";
    tr.setAttribute("data-id", r.requestId || "");
    tr.setAttribute("data-status", String(r.status));
    tr.setAttribute("data-decision", decision);
    tr.setAttribute("data-path", r.path || "");
    tr.setAttribute("data-caller", r.caller || "");
    var shadow = r.shadowDecision || null;  // the shadow policy would decide it differently
    tr.setAttribute("data-shadow", shadow ? String(shadow.change || "") : "");
    tr.className = "new";
    cell(tr, String(r.requestTime || "").slice(11, 19));
    cell(tr, r.httpMethod);
    var pathCell = cell(tr, "", "path");
    var link = document.createElement("a");
    link.href = "/_gatewaysim/ui/requests/" + encodeURIComponent(r.requestId || "");
    link.textContent = r.path || "-";
    pathCell.appendChild(link);
    cell(tr, r.status, "s" + String(r.status).charAt(0) + "xx");
    cell(tr, r.caller);
    cell(tr, r.ip);
    cell(tr, r.refusedBy || "");
    var why = (r.reason || "") + (r.hint ? " (hint: " + r.hint + ")" : "");
    if (shadow) { why = (why + " shadow policy: " + shadow.change + ": " + shadow.reason).trim(); }
    cell(tr, why, "reason");
    return tr;
  }

  form.addEventListener("input", apply);
  form.addEventListener("change", apply);
  form.addEventListener("submit", function (event) { event.preventDefault(); apply(); });

  if (!window.EventSource) { return; }
  var stream = new EventSource(table.getAttribute("data-stream"));
  stream.onopen = function () { live.textContent = "live"; live.className = "live on"; };
  stream.onerror = function () { live.textContent = "reconnecting…"; live.className = "live"; };
  stream.addEventListener("request", function (event) {
    var tr = row(JSON.parse(event.data));
    tr.hidden = !matches(tr);
    body.insertBefore(tr, body.firstChild);
    while (body.rows.length > limit) { body.deleteRow(body.rows.length - 1); }
  });
}());
