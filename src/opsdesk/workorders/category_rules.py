"""Completeness rules and category policies as data: what each category of work needs to know, whether
it needs an approved change, and its completion checklist.

A fresh install has these: migration 0002 seeds them (through `seed`, with the migration's
historical models). `seed` is idempotent and leaves rows an administrator has added or edited alone;
administrators change the rules in the admin (Category fields, Category policies).
"""

from __future__ import annotations

from typing import Any, NamedTuple


class FieldDef(NamedTuple):
    """One piece of information a category needs, and who is expected to provide it."""

    category: str
    key: str
    label: str
    owner: str = "client"


CONTACT = "Contact on site (name and phone)"
CATEGORY_FIELDS: tuple[FieldDef, ...] = (
    FieldDef("install", "rack_location", "Rack location (hall, row, rack, U)"),
    FieldDef("install", "power_feed", "Power feed (PDU A/B and circuit)"),
    FieldDef("install", "part_numbers", "Part numbers of the equipment"),
    FieldDef("install", "site_contact", CONTACT),
    FieldDef("decommission", "asset_tags", "Asset tags of the equipment to remove"),
    FieldDef("decommission", "data_wipe_certificate", "Data wipe certificate (reference)"),
    FieldDef("decommission", "site_contact", CONTACT),
    FieldDef("cabling", "cable_schedule", "Cable schedule (from, to, type, length)"),
    FieldDef("cabling", "site_contact", CONTACT),
    FieldDef("patching", "port_map", "Port map (panel and port to switch and port)"),
    FieldDef("remote_hands", "rack_location", "Rack location (hall, row, rack, U)"),
    FieldDef("remote_hands", "task_steps", "Exact steps to carry out"),
    FieldDef("break_fix", "asset_tag", "Asset tag or serial number of the faulty device"),
    FieldDef("break_fix", "fault_description", "Fault symptoms and error codes", "service_desk"),
    FieldDef("audit", "audit_scope", "Audit scope (rooms, racks, asset classes)", "service_desk"),
    FieldDef("survey", "survey_questions", "What the survey must answer"),
    FieldDef("survey", "site_contact", CONTACT),
)

CATEGORY_POLICIES: dict[str, tuple[bool, tuple[str, ...]]] = {
    "install": (True, (
        "Equipment racked at the agreed location",
        "Power connected to both feeds (A and B)",
        "Cables labelled to the site standard",
        "Photos of the front and rear of the rack taken",
        "Client confirmed the device is reachable",
    )),
    "decommission": (True, (
        "Asset tags match the request",
        "Data wipe certificate checked against the serials",
        "Power and network disconnected and cables removed",
        "Gate pass / removal form signed by the site",
    )),
    "remote_hands": (False, (
        "Steps carried out as written",
        "Client confirmed the outcome before leaving",
    )),
    "break_fix": (False, (
        "Fault reproduced or confirmed",
        "Faulty part replaced or repaired",
        "Service tested with the client",
        "Faulty part returned or destroyed as agreed",
    )),
    "cabling": (False, (
        "Cables run as on the cable schedule",
        "Both ends labelled to the site standard",
        "Every link tested (certification report attached)",
        "Floor and ceiling tiles replaced, area clean",
    )),
    "patching": (False, (
        "Patches made as on the port map",
        "Link lights checked at both ends",
        "Port map updated",
    )),
    "audit": (False, (
        "Every rack in scope visited",
        "Discrepancies photographed and listed",
    )),
    "survey": (False, (
        "Every survey question answered",
        "Photos and measurements uploaded",
    )),
}


def seed(field_model: Any, policy_model: Any) -> int:
    """Create the category fields and policies that do not exist yet; returns how many were added.

    Takes the model classes so the data migration can pass its historical ones.
    """
    have_fields = set(field_model.objects.values_list("category", "key"))
    fields = [
        field_model(category=f.category, key=f.key, label=f.label, owner=f.owner)
        for f in CATEGORY_FIELDS
        if (f.category, f.key) not in have_fields
    ]
    have_policies = set(policy_model.objects.values_list("category", flat=True))
    policies = [
        policy_model(category=c, requires_change=change, checklist=list(items))
        for c, (change, items) in CATEGORY_POLICIES.items()
        if c not in have_policies
    ]
    field_model.objects.bulk_create(fields)
    policy_model.objects.bulk_create(policies)
    return len(fields) + len(policies)


def seed_category_rules() -> int:
    """`seed` with the current models (the demo and tests call this after clearing the rules)."""
    from .models import CategoryField, CategoryPolicy

    return seed(CategoryField, CategoryPolicy)
