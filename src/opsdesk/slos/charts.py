"""The SLO page's charts, drawn by pygal as SVG on the server and inlined into the page (no JS).

pygal escapes every text it writes (titles, series names, labels) through its XML serializer.
It also writes a <script> holding its config for its optional tooltips; that is dropped (an XML
filter), so the page carries no script from the chart and no copy of the user's text in one.

The Content-Security-Policy (style-src 'self') refuses inline styles, so pygal's <style> element
and its one style="" attribute are dropped too, and each chart gets a fixed id (CHART_IDS): its
CSS, the same for every SLO, is the static file slos/charts.css (imported by slos.css),
written by `python -m opsdesk.slos.charts`; a test checks the file matches `stylesheet()`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import pygal
from pygal.style import Style

from .rules import WORKBOOK_RULES

History = Sequence[tuple[dt.datetime, float, float]]  # (instant, budget remaining, 1 h burn rate)

STYLE = Style(
    background="transparent",
    plot_background="transparent",
    foreground="#1f2933",
    foreground_strong="#1f2933",
    foreground_subtle="#7b8794",
    font_family="system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif",
    colors=("#2563eb", "#b91c1c", "#d97706"),
    title_font_size=15,
    label_font_size=11,
    major_label_font_size=11,
    legend_font_size=12,
    guide_stroke_color="#e3e8ee",
    major_guide_stroke_color="#cdd5df",
)
# The page-fast and page-slow rules' thresholds, drawn on the burn-rate chart.
PAGE_RULES = [rule for rule in WORKBOOK_RULES if rule.action == "page"]


CHART_IDS = {"budget": "slo-budget", "burn": "slo-burn"}  # the SVGs' ids are chart-<this>
STYLESHEET = "slos/charts.css"  # under slos/static


def _drop_scripts(root: Any) -> Any:
    """Remove pygal's config <script> (only its JS tooltips would read it) and its inline styles
    (the <style> element, served instead as STYLESHEET, and style="" attributes)."""
    for parent in list(root.iter()):
        parent.attrib.pop("style", None)
        for child in list(parent):
            if isinstance(child.tag, str) and child.tag.rsplit("}", 1)[-1] in ("script", "style"):
                parent.remove(child)
    return root


def _css_of(chart: pygal.DateTimeLine) -> str:
    """The CSS pygal writes into the chart's <style> element."""
    root = chart.render_tree()
    text = "".join(el.text or "" for el in root.iter() if isinstance(el.tag, str) and el.tag.rsplit("}", 1)[-1] == "style")
    # The one style="" attribute pygal writes (its JS tooltip, hidden until hovered).
    return text + f"\n#chart-{chart.uuid} .tooltip{{opacity:0}}\n"


def _day_labels(history: History) -> list[dt.datetime]:
    """Midnights (UTC) spread over the history, about eight of them, for the time axis."""
    if len(history) < 2:
        return []
    first, last = history[0][0], history[-1][0]
    days = max(1, (last - first).days // 7)
    day = dt.datetime.combine(first.date() + dt.timedelta(days=1), dt.time(), tzinfo=dt.UTC)
    labels = []
    while day <= last:
        labels.append(day)
        day += dt.timedelta(days=days)
    return labels


def _chart(kind: str, title: str, y_title: str, history: History) -> pygal.DateTimeLine:
    chart = pygal.DateTimeLine(
        js=[], style=STYLE, title=title, y_title=y_title, height=320, width=900, show_dots=False,
        disable_xml_declaration=True, legend_at_bottom=True, truncate_legend=-1,
        x_value_formatter=lambda at: at.strftime("%d %b"), x_labels=_day_labels(history), show_x_guides=False,
        margin_bottom=8,
    )
    chart.uuid = CHART_IDS[kind]  # a fixed id, so the static stylesheet's selectors match
    return chart


def _svg(chart: pygal.DateTimeLine) -> str:
    chart.add_xml_filter(_drop_scripts)
    return str(chart.render(is_unicode=True))


def budget_chart(title: str, history: History) -> str:
    """Error budget remaining (%) over the window, with the line where it is spent."""
    return _svg(_budget(title, history))


def _budget(title: str, history: History) -> pygal.DateTimeLine:
    chart = _chart("budget", title, "Budget remaining (%)", history)
    chart.value_formatter = lambda v: f"{v:.1f} %"
    chart.add("Budget remaining", [(at, round(budget * 100, 2)) for at, budget, _ in history])
    if history:
        chart.add("Budget spent (0 %)", [(history[0][0], 0.0), (history[-1][0], 0.0)],
                  stroke_style={"width": 1.5, "dasharray": "6, 4"})
    return chart


def burn_chart(title: str, history: History) -> str:
    """The 1-hour burn rate over the window, with the page rules' thresholds."""
    return _svg(_burn(title, history))


def _burn(title: str, history: History) -> pygal.DateTimeLine:
    chart = _chart("burn", title, "Burn rate (×)", history)
    chart.value_formatter = lambda v: f"{v:.1f}×"
    chart.add("1-hour burn rate", [(at, round(rate, 3)) for at, _, rate in history])
    if history:
        for rule in PAGE_RULES:
            chart.add(f"{rule.name} threshold ({rule.burn_rate:g})",
                      [(history[0][0], rule.burn_rate), (history[-1][0], rule.burn_rate)],
                      stroke_style={"width": 1.5, "dasharray": "6, 4"})
    return chart


def stylesheet() -> str:
    """The charts' CSS (STYLESHEET's content): what pygal would inline, for both charts."""
    at = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    sample = [(at, 1.0, 0.0), (at + dt.timedelta(days=1), 0.5, 2.0)]  # every series drawn
    header = "/* The SLO charts' CSS, written by `python -m opsdesk.slos.charts` (pygal's own). */\n"
    return header + "".join(_css_of(build("chart", sample)) for build in (_budget, _burn))


if __name__ == "__main__":  # writes the static stylesheet
    from pathlib import Path

    (Path(__file__).parent / "static" / STYLESHEET).write_text(stylesheet(), encoding="utf-8")
