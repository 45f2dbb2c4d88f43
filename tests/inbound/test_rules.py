"""Pure decisions of inbound mail, table-driven."""

from __future__ import annotations

from email import policy
from email.parser import BytesParser

import pytest

from opsdesk.inbound import rules


def _msg(headers: str, body: str = "hi", content_type: str = "text/plain"):
    raw = f"From: a@b.example\r\nContent-Type: {content_type}\r\n{headers}\r\n\r\n{body}".encode()
    return BytesParser(policy=policy.default).parsebytes(raw)


@pytest.mark.parametrize(("headers", "mail_from", "automatic"), [
    ("Subject: hi", "a@b.example", False),
    ("Auto-Submitted: no", "a@b.example", False),
    ("Auto-Submitted: auto-replied", "a@b.example", True),
    ("Auto-Submitted: auto-generated; owner-email=x@y", "a@b.example", True),
    ("Precedence: bulk", "a@b.example", True),
    ("Precedence: list", "a@b.example", True),
    ("Precedence: first-class", "a@b.example", False),
    ("X-Autoreply: yes", "a@b.example", True),
    ("X-Auto-Response-Suppress: OOF", "a@b.example", True),
    ("Subject: bounce", "", True),
    ("Return-Path: <>", "a@b.example", True),
    ("Message-ID: <opsdesk.abc@desk.example>", "a@b.example", True),
])
def test_automatic_reason(headers, mail_from, automatic):
    assert bool(rules.automatic_reason(_msg(headers), mail_from, ["desk@desk.example"])) is automatic


def test_own_address_is_automatic():
    assert rules.automatic_reason(_msg(""), "a@b.example", ["a@b.example"]) == "sent from our own address"


@pytest.mark.parametrize(("subject", "target"), [
    ("Re: [WO-123] Install", rules.Target("workorder", 123)),
    ("RE: [inc-45] down", rules.Target("incident", 45)),
    ("WO-12 without brackets", None),
    ("", None),
])
def test_subject_target(subject, target):
    assert rules.subject_target(subject) == target


@pytest.mark.parametrize(("body", "text"), [
    ("Thanks\n\nOn Mon, 7 Dec 2026 at 10:00, Desk wrote:\n> old", "Thanks"),
    ("Thanks\n-- \nCarol\nAcme", "Thanks"),
    ("> quoted\nmine", "mine"),
    ("Line one\r\nLine two", "Line one\nLine two"),
])
def test_reply_text(body, text):
    assert rules.reply_text(body) == text


@pytest.mark.parametrize(("text", "ack"), [("ack", True), ("Acknowledge!", True), ("\n ACK \nthanks", True),
                                           ("ack? when", False), ("please ack", False), ("", False)])
def test_is_ack(text, ack):
    assert rules.is_ack(text) is ack


def test_one_named_needs_exactly_one_match():
    sites = {1: ["LON1", "London One"], 2: ["PAR2", "Paris Two"]}
    assert rules.one_named("at lon1 please", sites) == 1
    assert rules.one_named("LON1 and PAR2", sites) is None
    assert rules.one_named("XLON1", sites) is None
    assert rules.one_named("nowhere", sites) is None


def test_category_named():
    cats = [("remote_hands", "Remote hands"), ("cabling", "Cabling"), ("audit", "Audit")]
    assert rules.category_named("need remote hands", cats) == "remote_hands"
    assert rules.category_named("cabling and an audit", cats) is None
