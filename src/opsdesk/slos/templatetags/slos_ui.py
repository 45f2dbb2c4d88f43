"""Numbers of the SLO pages in words: shares as percentages, burn rates, window lengths."""

from __future__ import annotations

from django import template

register = template.Library()


@register.filter
def percent(value: float | None, places: int = 2) -> str:
    """0.999 -> "99.9 %" (at most `places` decimals, trailing zeros dropped); None -> "—"."""
    if value is None:
        return "—"
    text = f"{value * 100:.{int(places)}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return f"{'0' if text == '-0' else text} %"


@register.filter
def rate(value: float | None) -> str:
    """A burn rate: 14.4 -> "14.4×", 0.0312 -> "0.03×"."""
    if value is None:
        return "—"
    return f"{value:.2f}".rstrip("0").rstrip(".") + "×"


@register.filter
def span(seconds: float | None) -> str:
    """A window length in the largest whole unit: 300 -> "5 min", 3600 -> "1 h", 259200 -> "3 days"."""
    if seconds is None:
        return "—"
    s = int(seconds)
    if s and s % 86400 == 0:
        days = s // 86400
        return f"{days} day{'s' if days != 1 else ''}"
    if s and s % 3600 == 0:
        return f"{s // 3600} h"
    if s % 60 == 0:
        return f"{s // 60} min"
    return f"{s} s"
