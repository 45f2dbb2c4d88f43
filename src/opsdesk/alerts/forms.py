"""Forms of the integration pages: the integration and its mapping rules as a small set of rows."""

from __future__ import annotations

from typing import Any

from django import forms
from django.forms import formset_factory

from .models import Integration, MappingRule

BLANK_ROWS = 2  # empty rule rows offered under the existing ones
MORE_ROWS = 3  # rows added by "More rows"
MAX_ROWS = 200


def _person(user: Any) -> str:
    return f"{user.get_full_name() or user.username} · {user.get_role_display()}"


class IntegrationForm(forms.Form):
    """An integration: where alerts come from, for which client, and where they land by default."""

    name = forms.CharField(max_length=100)
    kind = forms.ChoiceField(choices=Integration.Kind.choices, label="Sender")
    client: Any = forms.ModelChoiceField(queryset=None)
    active = forms.BooleanField(required=False, initial=True, label="Active (accepts deliveries)")
    default_service: Any = forms.ModelChoiceField(
        queryset=None, required=False, empty_label="None", help_text="For alerts no mapping rule places.",
    )
    default_site: Any = forms.ModelChoiceField(queryset=None, required=False, empty_label="None")
    owner: Any = forms.ModelChoiceField(
        queryset=None, required=False, empty_label="The first incident commander",
        help_text="Who owns the incidents its alerts open.",
    )
    signature_header = forms.CharField(
        max_length=100, required=False, label="Signature header (Grafana)",
        help_text="e.g. X-Grafana-Alerting-Signature. Blank: deliveries are not signed.",
    )
    timestamp_header = forms.CharField(
        max_length=100, required=False, label="Timestamp header (Grafana)",
        help_text="e.g. X-Grafana-Alerting-Timestamp, signed with the body. Optional.",
    )
    flap_threshold = forms.IntegerField(min_value=2, max_value=100, initial=4, label="Flapping after",
                                        help_text="state changes within the window")
    flap_window_minutes = forms.IntegerField(min_value=1, max_value=1440, initial=30, label="Flap window (minutes)")
    group_window_minutes = forms.IntegerField(
        min_value=1, max_value=1440, required=False, label="Group window (minutes)",
        help_text="joins an open incident on the same site or for the same alert opened this recently (blank: 60)",
    )
    reopen_window_minutes = forms.IntegerField(
        min_value=1, max_value=1440, required=False, label="Reopen window (minutes)",
        help_text="reopens an incident on the same service resolved this recently (blank: 60)",
    )

    def __init__(self, *args: Any, clients: Any, services: Any, sites: Any, staff: Any,
                 integration: Integration | None = None, **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.integration = integration
        if integration is None:
            del self.fields["active"]
            self.fields["client"].queryset = clients  # type: ignore[attr-defined]
        else:  # the client and the kind of sender are fixed once made
            del self.fields["client"], self.fields["kind"]
        self.fields["default_service"].queryset = services  # type: ignore[attr-defined]
        self.fields["default_service"].label_from_instance = lambda s: f"{s.name} · {s.client.name}"  # type: ignore[attr-defined]
        self.fields["default_site"].queryset = sites  # type: ignore[attr-defined]
        self.fields["default_site"].label_from_instance = lambda s: f"{s.code} · {s.name}"  # type: ignore[attr-defined]
        self.fields["owner"].queryset = staff  # type: ignore[attr-defined]
        self.fields["owner"].label_from_instance = _person  # type: ignore[attr-defined]

    @staticmethod
    def initial_for(integration: Integration) -> dict[str, Any]:
        """The form's values for an integration."""
        return {
            "name": integration.name, "active": integration.active,
            "default_service": integration.default_service_id, "default_site": integration.default_site_id,
            "owner": integration.owner_id, "signature_header": integration.signature_header,
            "timestamp_header": integration.timestamp_header, "flap_threshold": integration.flap_threshold,
            "flap_window_minutes": integration.flap_window_minutes,
            "group_window_minutes": integration.group_window_minutes,
            "reopen_window_minutes": integration.reopen_window_minutes,
        }

    def to_data(self) -> dict[str, Any]:
        """The service's input, with the API's field names (ids for related objects)."""
        d = self.cleaned_data
        data: dict[str, Any] = {
            "name": d["name"],
            "default_service": d["default_service"].pk if d["default_service"] else None,
            "default_site": d["default_site"].pk if d["default_site"] else None,
            "owner": d["owner"].pk if d["owner"] else None,
            "signature_header": d["signature_header"].strip(), "timestamp_header": d["timestamp_header"].strip(),
            "flap_threshold": d["flap_threshold"], "flap_window_minutes": d["flap_window_minutes"],
            "group_window_minutes": d.get("group_window_minutes"), "reopen_window_minutes": d.get("reopen_window_minutes"),
        }
        if self.integration is None:
            data.update(kind=d["kind"], client=d["client"].pk)
        else:
            data["active"] = d["active"]
        return data


class RuleForm(forms.Form):
    """One mapping rule row: `label operator "value"` maps to a service or a site. A blank row is ignored."""

    label = forms.CharField(max_length=100, required=False, widget=forms.TextInput(attrs={"placeholder": "service"}))
    operator = forms.ChoiceField(choices=MappingRule.Operator.choices, initial=MappingRule.Operator.EQUAL)
    value = forms.CharField(max_length=300, required=False, widget=forms.TextInput(attrs={"placeholder": "billing"}))
    service: Any = forms.ModelChoiceField(queryset=None, required=False, empty_label="—")
    site: Any = forms.ModelChoiceField(queryset=None, required=False, empty_label="—")

    def __init__(self, *args: Any, services: Any, sites: Any, **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.fields["service"].queryset = services  # type: ignore[attr-defined]
        self.fields["service"].label_from_instance = lambda s: f"{s.name} · {s.client.name}"  # type: ignore[attr-defined]
        self.fields["site"].queryset = sites  # type: ignore[attr-defined]
        self.fields["site"].label_from_instance = lambda s: s.code  # type: ignore[attr-defined]

    @property
    def blank(self) -> bool:
        """Nothing typed or chosen in this row."""
        d = getattr(self, "cleaned_data", {}) or {}
        return not (d.get("label") or d.get("value") or d.get("service") or d.get("site"))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.blank:
            return data
        if not data.get("label"):
            self.add_error("label", "Name the label to match.")
        if bool(data.get("service")) == bool(data.get("site")):
            self.add_error("service", "Map to a service or a site (one of them).")
        return data

    def to_data(self) -> dict[str, Any]:
        """The rule as the service takes it."""
        d = self.cleaned_data
        return {"label": d["label"], "operator": d["operator"], "value": d["value"] or "",
                "service": d["service"].pk if d["service"] else None, "site": d["site"].pk if d["site"] else None}


BaseRuleFormSet = formset_factory(RuleForm, extra=0, max_num=MAX_ROWS, validate_max=True)


class RuleFormSet(BaseRuleFormSet):  # type: ignore[valid-type,misc]
    """The mapping rule rows; blank rows are ignored, the rest keep their order."""

    def __init__(self, *args: Any, services: Any, sites: Any, **kw: Any) -> None:
        kw.setdefault("prefix", "rules")
        kw["form_kwargs"] = {"services": services, "sites": sites}
        super().__init__(*args, **kw)

    def filled(self) -> list[tuple[int, RuleForm]]:
        """(row index, form) of the rows with something in them."""
        return [(i, f) for i, f in enumerate(self.forms) if not f.blank]

    def to_data(self) -> list[dict[str, Any]]:
        """The rules, in row order."""
        return [f.to_data() for _, f in self.filled()]


def rule_rows(integration: Integration | None) -> list[dict[str, Any]]:
    """The initial rows: the integration's rules, then blank ones."""
    rules = list(integration.rules.all()) if integration is not None else []
    rows = [{"label": r.label, "operator": r.operator, "value": r.value, "service": r.service_id, "site": r.site_id}
            for r in rules]
    return rows + [{"operator": MappingRule.Operator.EQUAL}] * BLANK_ROWS


def with_more_rows(data: Any, prefix: str = "rules") -> Any:
    """The POSTed data with MORE_ROWS more (blank) rule rows."""
    copy = data.copy()
    total = f"{prefix}-TOTAL_FORMS"
    try:
        copy[total] = str(min(MAX_ROWS, int(copy.get(total, 0)) + MORE_ROWS))
    except ValueError:
        copy[total] = str(MORE_ROWS)
    return copy
