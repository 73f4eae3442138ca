"""Charts of the govnews Datasette plugin: an inline SVG bar chart, and the script that puts
it above a canned query's result table."""

from __future__ import annotations

from markupsafe import escape


def bar_chart(rows: list[tuple[str, float]], title: str, width: int = 720, height: int = 300) -> str:
    """An SVG bar chart: one <rect class="bar"> a row, labels under the bars, the largest value
    on the axis. No other <rect>, so the bars can be counted."""
    left, right, top, bottom = 48, 12, 36, 56
    count = len(rows)
    slot = max(6.0, min(48.0, (width - left - right) / max(count, 1)))
    width = int(left + right + slot * count) if count else width
    plot_h = height - top - bottom
    peak = max((v for _, v in rows), default=0) or 1
    label_every = max(1, int(round(40 / slot)))
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="govnews-bar-chart" role="img" '
        f'width="{width}" height="{height}" viewBox="0 0 {width} {height}">',
        f"<title>{escape(title)}</title>",
        f'<text class="chart-title" x="{left}" y="20">{escape(title)}</text>',
        f'<line class="axis" x1="{left}" y1="{top + plot_h}" x2="{width - right}" y2="{top + plot_h}"/>',
        f'<line class="axis" x1="{left}" y1="{top}" x2="{left}" y2="{top + plot_h}"/>',
        f'<text x="{left - 6}" y="{top + 4}" text-anchor="end">{_number(peak)}</text>',
        f'<text x="{left - 6}" y="{top + plot_h}" text-anchor="end">0</text>',
    ]
    for i, (label, value) in enumerate(rows):
        bar_h = plot_h * (value or 0) / peak
        x = left + i * slot + slot * 0.15
        y = top + plot_h - bar_h
        parts.append(
            f'<rect class="bar" x="{x:.1f}" y="{y:.1f}" width="{slot * 0.7:.1f}" height="{bar_h:.1f}" '
            f'data-label="{escape(label)}" data-value="{_number(value)}">'
            f"<title>{escape(label)}: {_number(value)}</title></rect>"
        )
        if i % label_every == 0:
            cx, cy = x + slot * 0.35, top + plot_h + 12
            parts.append(
                f'<text class="label" x="{cx:.1f}" y="{cy}" text-anchor="end" '
                f'transform="rotate(-45 {cx:.1f} {cy})">{escape(label)}</text>'
            )
    parts.append("</svg>")
    return "".join(parts)


def _number(value) -> str:
    value = value or 0
    return f"{int(value):,}" if float(value).is_integer() else f"{value:,.2f}"


CHART_SCRIPT = """
(function () {
  var svg = SVG_JSON;
  var figure = document.createElement("figure");
  figure.className = "govnews-chart";
  figure.innerHTML = svg;
  var results = document.querySelector(".table-wrapper") || document.querySelector("table.rows-and-columns");
  if (results) { results.parentNode.insertBefore(figure, results); }
  else { (document.querySelector(".content") || document.body).appendChild(figure); }
})();
"""
