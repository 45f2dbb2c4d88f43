"""The reader's redactor: other clients' names become neutral words, whole words only, ignoring case."""

from __future__ import annotations

import pytest

from opsdesk.core.tenancy import Redactor

R = Redactor(
    {"Meridian Bank": "another client", "meridian": "another client", "tyo-dc": "another site",
     "lon-dc1": "another site", "Lakshmi Sato": "another client's user"},
    {"another client": "other clients", "another site": "other sites"},
)


@pytest.mark.parametrize(("text", "shown"), [
    ("Upgrade for Meridian Bank.", "Upgrade for another client."),
    ("for MERIDIAN BANK and meridian", "for another client and another client"),
    ("2 site(s) (lon-dc1, tyo-dc), 1 client", "2 site(s) (2 other sites), 1 client"),
    ("(Helix, Meridian Bank, Northgate)", "(Helix, another client, Northgate)"),
    ("3 client(s) (Meridian Bank, meridian, Northgate)", "3 client(s) (2 other clients, Northgate)"),
    ("lon-dc10 and xlon-dc1 stay", "lon-dc10 and xlon-dc1 stay"),
    ("Meridianism is a word", "Meridianism is a word"),
    ("Approved by Lakshmi Sato", "Approved by another client's user"),
    ("Meridian Bank asked. meridian agreed; 2. tyo-dc first", "Another client asked. Another client agreed; 2. Another site first"),
    ("", ""),
])
def test_redacts_whole_names(text: str, shown: str) -> None:
    assert R.text(text) == shown


def test_redacts_strings_in_data_not_keys() -> None:
    assert R.data({"meridian": ["Meridian Bank", 3, {"x": "tyo-dc"}]}) == {
        "meridian": ["Another client", 3, {"x": "Another site"}]
    }


def test_nothing_to_redact() -> None:
    assert Redactor({}).text("Meridian Bank") == "Meridian Bank"
