"""The HTML report's inline stylesheet and script (vanilla JS, no dependencies)."""

from __future__ import annotations

# Nothing may leave the page: the policy forbids every fetch, font, frame and image
# except inline data, so even a future edit cannot add a network request by accident.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; "
    "img-src data:; font-src 'none'; connect-src 'none'; form-action 'none'; base-uri 'none'"
)

CSS = """
:root{--fg:#1c2833;--muted:#5d6d7e;--line:#d5dbdb;--accent:#0072b2;--bg:#fff;--soft:#f4f6f7;
--font:system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans","Helvetica Neue",Arial,
"Noto Sans CJK SC","Noto Sans CJK JP","Noto Sans CJK KR","PingFang SC","Hiragino Sans",
"Microsoft YaHei","Yu Gothic","Malgun Gothic","Noto Sans Arabic","Segoe UI Historic",
"Droid Sans Fallback",sans-serif,"Apple Color Emoji","Segoe UI Emoji","Noto Color Emoji",
"Noto Emoji"}
*{box-sizing:border-box}
body{margin:0;font:15px/1.5 var(--font);color:var(--fg);background:var(--bg)}
header{background:#154360;color:#fff;padding:20px 32px}
header h1{margin:0 0 4px;font-size:24px}
header p{margin:0;opacity:.85}
nav{position:sticky;top:0;background:var(--soft);border-bottom:1px solid var(--line);
padding:8px 32px;z-index:2;overflow-x:auto;white-space:nowrap}
nav a{margin-right:16px;color:var(--accent);text-decoration:none}
main{padding:8px 32px 48px;max-width:1200px}
section{margin-top:28px}
h2{border-bottom:2px solid var(--accent);padding-bottom:4px}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(170px,1fr));gap:12px}
.card{background:var(--soft);border-radius:8px;padding:12px}
.card .value{font-size:24px;font-weight:600}
.card .label{color:var(--muted);font-size:13px}
figure{margin:16px 0}
figcaption{font-weight:600;margin-bottom:4px}
svg.chart{width:100%;max-width:760px;height:auto;background:#fff;border:1px solid var(--line);
border-radius:6px}
svg .axis{stroke:#566573}
svg .grid{stroke:#eaeded}
svg .tick{font-size:11px;fill:#566573}
svg .lbl,svg .legend-item text{fill:#444}
svg .mark:hover{stroke:#000;stroke-width:1}
svg .legend-item{cursor:pointer}
svg .legend-item.off{opacity:.35}
svg .hidden{display:none}
#tooltip{position:fixed;pointer-events:none;background:#1c2833;color:#fff;padding:4px 8px;
border-radius:4px;font-size:12px;display:none;z-index:10;white-space:nowrap}
.table-tools{margin:8px 0}
.table-tools input{padding:4px 8px;min-width:260px;border:1px solid var(--line);border-radius:4px}
.table-tools .count{margin-left:8px;color:var(--muted);font-size:13px}
.table-wrap{overflow-x:auto;max-height:560px;overflow-y:auto;border:1px solid var(--line)}
table{border-collapse:collapse;width:100%;font-size:13px}
th,td{padding:4px 8px;border-bottom:1px solid var(--line);text-align:left;vertical-align:top}
th{background:var(--soft);position:sticky;top:0;cursor:pointer;user-select:none}
th[aria-sort=ascending]::after{content:" \\25B2"}
th[aria-sort=descending]::after{content:" \\25BC"}
td.num{text-align:right;font-variant-numeric:tabular-nums}
table.manifest td{overflow-wrap:anywhere}
td.clip{max-width:22em;overflow:hidden;text-overflow:ellipsis;white-space:nowrap}
.note{color:var(--muted);font-size:13px}
@media (max-width:640px){header,nav,main{padding-left:12px;padding-right:12px}
.table-tools input{min-width:0;width:100%}.cards{grid-template-columns:1fr 1fr}}
@media print{nav,.table-tools{display:none}.table-wrap{max-height:none;overflow:visible}}
"""

JS = r"""
(function () {
  "use strict";
  var tip = document.getElementById("tooltip");
  function showTip(ev) {
    var text = ev.target.getAttribute("data-tip");
    if (!text) { return; }
    tip.textContent = text;
    tip.style.display = "block";
    tip.style.left = (ev.clientX + 12) + "px";
    tip.style.top = (ev.clientY + 12) + "px";
  }
  function hideTip() { tip.style.display = "none"; }
  document.querySelectorAll("[data-tip]").forEach(function (el) {
    el.addEventListener("mousemove", showTip);
    el.addEventListener("mouseleave", hideTip);
  });

  function toggleSeries(item) {
    var svg = item.closest("svg");
    var name = item.getAttribute("data-series");
    var off = !item.classList.contains("off");
    item.classList.toggle("off", off);
    item.setAttribute("aria-pressed", off ? "false" : "true");
    svg.querySelectorAll(".mark, .line").forEach(function (el) {
      if (el.getAttribute("data-series") === name) { el.classList.toggle("hidden", off); }
    });
  }
  document.querySelectorAll(".legend-item").forEach(function (item) {
    item.addEventListener("click", function () { toggleSeries(item); });
    item.addEventListener("keydown", function (ev) {
      if (ev.key === "Enter" || ev.key === " ") { ev.preventDefault(); toggleSeries(item); }
    });
  });

  function cellValue(row, index, numeric) {
    var cell = row.cells[index];
    var raw = cell.getAttribute("data-value");
    if (raw === null) { raw = cell.textContent; }
    if (numeric) { var n = parseFloat(raw); return isNaN(n) ? -Infinity : n; }
    return raw.toLowerCase();
  }
  document.querySelectorAll("table.data").forEach(function (table) {
    var body = table.tBodies[0];
    var headers = table.tHead.rows[0].cells;
    Array.prototype.forEach.call(headers, function (th, index) {
      th.addEventListener("click", function () {
        var ascending = th.getAttribute("aria-sort") !== "ascending";
        Array.prototype.forEach.call(headers, function (h) { h.removeAttribute("aria-sort"); });
        th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
        var numeric = th.getAttribute("data-type") === "number";
        var rows = Array.prototype.slice.call(body.rows);
        rows.sort(function (a, b) {
          var x = cellValue(a, index, numeric), y = cellValue(b, index, numeric);
          var order = x < y ? -1 : (x > y ? 1 : 0);
          return ascending ? order : -order;
        });
        rows.forEach(function (row) { body.appendChild(row); });
      });
    });
    var input = document.querySelector('input[data-table="' + table.id + '"]');
    var count = document.querySelector('.count[data-table="' + table.id + '"]');
    function applyFilter() {
      var needle = input.value.trim().toLowerCase();
      var shown = 0;
      Array.prototype.forEach.call(body.rows, function (row) {
        var match = !needle || row.textContent.toLowerCase().indexOf(needle) !== -1;
        row.hidden = !match;
        if (match) { shown += 1; }
      });
      if (count) { count.textContent = shown + " of " + body.rows.length + " rows"; }
    }
    if (input) { input.addEventListener("input", applyFilter); applyFilter(); }
  });
  document.body.setAttribute("data-ready", "true");
})();
"""
