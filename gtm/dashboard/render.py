"""Page rendering: one self-contained HTML file, plotly.js inlined once, a tab per page.

The page needs no network: plotly.js sits in a `<script>` of its own, the styles and the little
script that switches tabs (by `#page` in the URL) and sorts tables are inline. Key figures carry
their raw value in `data-value` beside the formatted text, so a test can compare both with SQL.
"""

from __future__ import annotations

import html
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from plotly.offline import get_plotlyjs

from gtm.dashboard.figures import Chart

NO_DATA = "No data for this period"

PLOTLY_CONFIG = {
    "displaylogo": False,
    "responsive": True,
    "modeBarButtonsToRemove": ["lasso2d", "select2d"],
}


@dataclass(frozen=True)
class Kpi:
    """A headline figure: its label, raw value, formatted text and what it covers."""

    kpi_id: str
    label: str
    value: float | None
    text: str
    note: str = ""


@dataclass(frozen=True)
class Column:
    """A table column: heading, the row key it shows, how to format it, whether it is a number."""

    heading: str
    key: str
    formatter: Any = str
    numeric: bool = False


@dataclass(frozen=True)
class Table:
    """A table block: title, subtitle, columns and rows (dicts); sortable by clicking a heading."""

    table_id: str
    title: str
    subtitle: str
    columns: Sequence[Column]
    rows: Sequence[dict[str, Any]]
    wide: bool = True
    note: str = ""
    empty: str = NO_DATA
    """What the table says when it has no rows."""


@dataclass(frozen=True)
class Page:
    """One tab of the dashboard."""

    key: str
    title: str
    intro: str
    kpis: Sequence[Kpi] = ()
    blocks: Sequence[Chart | Table] = field(default_factory=list)


def _e(text: Any) -> str:
    return html.escape("" if text is None else str(text))


def _value_attr(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return f' data-value="{int(value)}"'
    if isinstance(value, int | float) or hasattr(value, "as_tuple"):
        return f' data-value="{_e(repr(float(value)))}"'
    return f' data-value="{_e(value)}"'


def _kpi(kpi: Kpi) -> str:
    value = "" if kpi.value is None else f' data-value="{kpi.value!r}"'
    return (
        f'<div class="kpi" id="{_e(kpi.kpi_id)}"{value}>'
        f'<div class="kpi-label">{_e(kpi.label)}</div>'
        f'<div class="kpi-value">{_e(kpi.text)}</div>'
        f'<div class="kpi-note">{_e(kpi.note)}</div></div>'
    )


def _chart(chart: Chart) -> str:
    head = f'<h3>{_e(chart.title)}</h3><p class="sub">{_e(chart.subtitle)}</p>'
    css = "card wide" if chart.wide else "card"
    if chart.figure is None:
        body = f'<div class="no-data" id="{_e(chart.chart_id)}">{NO_DATA}</div>'
    else:
        spec = chart.figure.to_json(validate=False).replace("</", "<\\/")
        body = (
            f'<div class="chart" data-chart="{_e(chart.chart_id)}">'
            f'<div class="plot" id="{_e(chart.chart_id)}"></div>'
            f'<script type="application/json" class="figure">{spec}</script></div>'
        )
    return f'<div class="{css}">{head}{body}</div>'


def _table(table: Table) -> str:
    head = f'<h3>{_e(table.title)}</h3><p class="sub">{_e(table.subtitle)}</p>'
    css = "card wide" if table.wide else "card"
    if not table.rows:
        empty = f'<div class="no-data" id="{_e(table.table_id)}">{_e(table.empty)}</div>'
        return f'<div class="{css}">{head}{empty}</div>'
    heads = "".join(
        f'<th class="{"num" if c.numeric else ""}" data-numeric="{int(c.numeric)}" '
        f'title="Sort by {_e(c.heading)}">{_e(c.heading)}<span class="arrow"></span></th>'
        for c in table.columns
    )
    lines = []
    for row in table.rows:
        cells = "".join(
            f'<td class="{"num" if c.numeric else ""}" data-key="{_e(c.key)}"'
            f"{_value_attr(row.get(c.key))}>{_e(c.formatter(row.get(c.key)))}</td>"
            for c in table.columns
        )
        lines.append(f"<tr>{cells}</tr>")
    note = f'<p class="note">{_e(table.note)}</p>' if table.note else ""
    return (
        f'<div class="{css}">{head}<div class="table-wrap"><table class="sortable" '
        f'id="{_e(table.table_id)}"><thead><tr>{heads}</tr></thead><tbody>{"".join(lines)}'
        f"</tbody></table></div>{note}</div>"
    )


def _page(page: Page, first: bool) -> str:
    kpis = f'<div class="kpis">{"".join(_kpi(k) for k in page.kpis)}</div>' if page.kpis else ""
    blocks = "".join(_chart(b) if isinstance(b, Chart) else _table(b) for b in page.blocks)
    hidden = "" if first else " hidden"
    return (
        f'<section class="page" id="page-{_e(page.key)}" data-page="{_e(page.key)}"{hidden}>'
        f'<h2>{_e(page.title)}</h2><p class="intro">{_e(page.intro)}</p>{kpis}'
        f'<div class="grid">{blocks}</div></section>'
    )


STYLE = """
:root { --ink:#1f2933; --muted:#616e7c; --line:#e4e7eb; --bg:#f5f7fa; --accent:#0b6bcb; }
* { box-sizing: border-box; }
body { margin:0; font-family: Inter, "Segoe UI", Helvetica, Arial, sans-serif; color:var(--ink);
  background:var(--bg); font-size:14px; }
header { background:#102a43; color:#fff; padding:14px 28px 0; }
header h1 { margin:0; font-size:20px; font-weight:600; }
header .meta { color:#bcccdc; font-size:12.5px; margin:4px 0 10px; }
nav { display:flex; gap:4px; flex-wrap:wrap; }
nav a { color:#d9e2ec; text-decoration:none; padding:9px 16px; border-radius:6px 6px 0 0;
  font-weight:500; }
nav a:hover { background:#243b53; }
nav a.active { background:var(--bg); color:var(--ink); }
main { padding:18px 28px 40px; max-width:1500px; margin:0 auto; }
h2 { margin:4px 0 2px; font-size:19px; }
.intro { color:var(--muted); margin:0 0 14px; max-width:1100px; }
.kpis { display:grid; grid-template-columns:repeat(auto-fit, minmax(170px, 1fr)); gap:12px;
  margin-bottom:14px; }
.kpi { background:#fff; border:1px solid var(--line); border-radius:8px; padding:12px 16px; }
.kpi-label { color:var(--muted); font-size:12px; text-transform:uppercase; letter-spacing:.04em; }
.kpi-value { font-size:26px; font-weight:650; margin:4px 0 2px; }
.kpi-note { color:var(--muted); font-size:12px; }
.grid { display:grid; grid-template-columns:repeat(2, minmax(0, 1fr)); gap:14px; }
.card { background:#fff; border:1px solid var(--line); border-radius:8px; padding:14px 16px;
  min-width:0; }
.card.wide { grid-column:1 / -1; }
.card h3 { margin:0; font-size:15px; }
.sub { color:var(--muted); margin:2px 0 8px; font-size:12.5px; }
.note { color:var(--muted); font-size:12px; margin:8px 0 0; }
.no-data { height:160px; display:flex; align-items:center; justify-content:center;
  color:var(--muted); background:#fafbfc; border:1px dashed var(--line); border-radius:6px; }
.table-wrap { overflow-x:auto; max-height:560px; overflow-y:auto; }
table { border-collapse:collapse; width:100%; font-size:13px; }
th, td { padding:6px 10px; border-bottom:1px solid var(--line); text-align:left;
  white-space:nowrap; }
th { position:sticky; top:0; background:#f0f4f8; cursor:pointer; user-select:none; }
th:hover { background:#d9e2ec; }
td.num, th.num { text-align:right; font-variant-numeric:tabular-nums; }
th .arrow { color:var(--accent); margin-left:3px; }
tbody tr:hover { background:#f5f9ff; }
@media (max-width:900px) { .grid { grid-template-columns:1fr; } }
"""

SCRIPT = """
(function () {
  var pages = Array.prototype.slice.call(document.querySelectorAll('section.page'));
  var links = Array.prototype.slice.call(document.querySelectorAll('nav a'));
  var config = CONFIG;
  // Charts are drawn the first time their page is shown (a hidden page has no size to draw in).
  function draw(page) {
    if (page.dataset.drawn) return;
    var drawing = Array.prototype.map.call(page.querySelectorAll('.chart'), function (chart) {
      var spec = JSON.parse(chart.querySelector('script.figure').textContent);
      return Plotly.newPlot(chart.querySelector('.plot'), spec.data, spec.layout, config);
    });
    Promise.all(drawing).then(function () { page.dataset.drawn = '1'; });
  }
  function show(key) {
    if (!pages.some(function (p) { return p.dataset.page === key; })) key = pages[0].dataset.page;
    pages.forEach(function (p) { p.hidden = p.dataset.page !== key; });
    links.forEach(function (a) { a.classList.toggle('active', a.dataset.page === key); });
    var shown = document.getElementById('page-' + key);
    draw(shown);
    shown.querySelectorAll('.js-plotly-plot').forEach(function (el) { Plotly.Plots.resize(el); });
    document.body.dataset.page = key;
  }
  window.addEventListener('hashchange', function () { show(location.hash.slice(1)); });
  show(location.hash.slice(1));
  document.querySelectorAll('table.sortable').forEach(function (table) {
    table.querySelectorAll('th').forEach(function (th, index) {
      th.addEventListener('click', function () {
        var numeric = th.dataset.numeric === '1';
        var down = th.dataset.sorted !== 'desc';
        table.querySelectorAll('th').forEach(function (other) {
          delete other.dataset.sorted; other.querySelector('.arrow').textContent = '';
        });
        th.dataset.sorted = down ? 'desc' : 'asc';
        th.querySelector('.arrow').textContent = down ? '\\u25BC' : '\\u25B2';
        var body = table.tBodies[0];
        var rows = Array.prototype.slice.call(body.rows);
        function key(row) {
          var cell = row.cells[index]; var raw = cell.dataset.value;
          if (numeric) { return raw === undefined ? -Infinity : parseFloat(raw); }
          return (raw === undefined ? cell.textContent : raw).toLowerCase();
        }
        rows.sort(function (a, b) {
          var x = key(a), y = key(b); var order = x < y ? -1 : x > y ? 1 : 0;
          return down ? -order : order;
        });
        rows.forEach(function (row) { body.appendChild(row); });
      });
    });
  });
})();
"""


def render(title: str, meta: str, pages: Sequence[Page], facts: dict[str, Any]) -> str:
    """Return the whole dashboard as one HTML document."""
    nav = "".join(
        f'<a href="#{_e(p.key)}" data-page="{_e(p.key)}">{_e(p.title)}</a>' for p in pages
    )
    body = "".join(_page(page, index == 0) for index, page in enumerate(pages))
    facts_json = json.dumps(facts, default=str).replace("</", "<\\/")
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{_e(title)}</title><style>{STYLE}</style>"
        f'<script type="text/javascript">{get_plotlyjs()}</script></head><body>'
        f'<header><h1>{_e(title)}</h1><div class="meta" id="meta">{_e(meta)}</div>'
        f"<nav>{nav}</nav></header><main>{body}</main>"
        f'<script type="application/json" id="dashboard-facts">{facts_json}</script>'
        f"<script>{SCRIPT.replace('CONFIG', json.dumps(PLOTLY_CONFIG))}</script></body></html>"
    )
