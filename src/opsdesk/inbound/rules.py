"""Pure decisions about inbound mail: is it automatic (a loop, an auto-reply, a bounce), which
object does it answer, what is the reply's own text, which site or category does it name."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from email.message import EmailMessage
from email.utils import getaddresses

from opsdesk.core.replies import Target

# Our own Message-IDs start with this (inbound.answers makes them): one seen coming in is a loop.
OWN_ID_PREFIX = "opsdesk."
TAG = re.compile(r"\[(WO|INC)-(\d{1,12})\]", re.IGNORECASE)
ACK_WORDS = frozenset({"ack", "acknowledge", "acknowledged", "ack.", "acknowledge."})
_QUOTE_START = re.compile(r"^\s*(On\s.+wrote:|-{2,}\s*Original Message\s*-{2,}|From:\s.+)\s*$", re.IGNORECASE)
BOUNCERS = ("mailer-daemon@", "postmaster@")


def address_of(value: str | None) -> str:
    """The bare address, lower case, of a header value ("" if none)."""
    found = [addr for _name, addr in getaddresses([value or ""]) if addr]
    return found[0].strip().lower() if found else ""


def _ids(value: str | None) -> list[str]:
    return re.findall(r"<([^<>\s]+)>", value or "")


def automatic_reason(msg: EmailMessage, mail_from: str, own_addresses: Iterable[str]) -> str:
    """Why the message is automatic and must never be answered or applied ("" if it is not)."""
    auto = str(msg.get("Auto-Submitted", "") or "").strip().lower()
    if auto and auto.split(";")[0].strip() != "no":
        return f"Auto-Submitted: {auto}"
    precedence = str(msg.get("Precedence", "") or "").strip().lower()
    if precedence in {"bulk", "junk", "list"}:
        return f"Precedence: {precedence}"
    for header in ("X-Autoreply", "X-Autorespond", "X-Auto-Response-Suppress"):
        if msg.get(header) is not None:
            return f"{header} header"
    return_path = msg.get("Return-Path")
    if mail_from.strip() in ("", "<>") or (return_path is not None and str(return_path).strip() == "<>"):
        return "empty return path (a bounce)"
    sender = address_of(str(msg.get("From", "") or "")) or mail_from.lower()
    if sender in {a.lower() for a in own_addresses}:
        return "sent from our own address"
    if sender.startswith(BOUNCERS):
        return "sent by a mail server (bounce)"
    if any(i.startswith(OWN_ID_PREFIX) for i in _ids(str(msg.get("Message-ID", "") or ""))):
        return "our own message came back (Message-ID)"
    if msg.get_content_type() == "multipart/report":
        return "a delivery report"
    return ""


def subject_target(subject: str) -> Target | None:
    """The [WO-123] / [INC-45] tag of a subject (the first one)."""
    match = TAG.search(subject or "")
    if match is None:
        return None
    return Target("workorder" if match.group(1).upper() == "WO" else "incident", int(match.group(2)))


def reply_text(body: str) -> str:
    """The reply's own text: what comes before the quoted message and the signature."""
    kept: list[str] = []
    for line in (body or "").replace("\r\n", "\n").split("\n"):
        if line.rstrip() in ("--", "-- ") or _QUOTE_START.match(line):
            break
        if line.lstrip().startswith(">"):
            continue
        kept.append(line.rstrip())
    return "\n".join(kept).strip()


def is_ack(text: str) -> bool:
    """Whether the reply's first line is just "ack" / "acknowledge"."""
    first = next((line.strip() for line in text.split("\n") if line.strip()), "")
    return first.lower().rstrip("!") in ACK_WORDS


def _mentions(text: str, word: str) -> bool:
    word = word.strip()
    if not word:
        return False
    return re.search(rf"(?<![\w-]){re.escape(word)}(?![\w-])", text, re.IGNORECASE) is not None


def one_named(text: str, candidates: Mapping[int, Iterable[str]]) -> int | None:
    """The one candidate (id -> its names/codes) the text names; None if none or several are named."""
    named = [key for key, words in candidates.items() if any(_mentions(text, w) for w in words)]
    return named[0] if len(named) == 1 else None


def category_named(text: str, categories: Iterable[tuple[str, str]]) -> str | None:
    """The one work category (code, label) the text names, by label or code; None otherwise."""
    words = {code: [label, code.replace("_", " "), code.replace("_", "-")] for code, label in categories}
    keys = list(words)
    found = one_named(text, {i: words[c] for i, c in enumerate(keys)})
    return keys[found] if found is not None else None
