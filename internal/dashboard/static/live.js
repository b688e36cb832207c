// flowstore dashboard: the live log tail. Served from the dashboard itself
// (the CSP allows scripts from 'self' only); rows are built with
// textContent, so a log message is never parsed as HTML.
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  var button = document.getElementById("tail");
  var rows = document.getElementById("log-rows");
  if (!button || !rows) { return; }
  var source = null;
  button.addEventListener("click", function () {
    if (source) { source.close(); source = null; button.textContent = "Live tail"; return; }
    source = new EventSource(button.getAttribute("data-src"));
    button.textContent = "Stop tail";
    source.addEventListener("log", function (ev) {
      var e = JSON.parse(ev.data);
      var tr = document.createElement("tr");
      tr.className = "lv-" + String(e.level).toLowerCase();
      [e.time, e.level, e.process, e.message].forEach(function (v, i) {
        var td = document.createElement("td");
        if (i === 3) { td.className = "msg"; }
        td.textContent = v;
        tr.appendChild(td);
      });
      rows.insertBefore(tr, rows.firstChild);
      while (rows.children.length > 500) { rows.removeChild(rows.lastChild); }
    });
  });
});
