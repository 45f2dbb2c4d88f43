"""Factories and realistic sample deliveries for the alert intake's tests."""

from __future__ import annotations

import copy
import hashlib
import hmac
import time
from typing import Any

from opsdesk.alerts import keys
from opsdesk.alerts.models import Integration
from tests import factories as f

SIGNATURE_HEADER = "X-Grafana-Alerting-Signature"
TIMESTAMP_HEADER = "X-Grafana-Alerting-Timestamp"


def make_integration(kind: str = "events_v2", *, client: Any = None, signed: bool = False, timestamped: bool = False,
                     **kw: Any) -> tuple[Integration, str]:
    """An active integration of `kind` and its key (Grafana HMAC headers when `signed`)."""
    raw = keys.new_key()
    integration = Integration.objects.create(
        name=kw.pop("name", f"{kind} {f.n()}"), kind=kind, client=client or f.make_client(),
        key_hash=keys.hash_key(raw), key_prefix=raw[: keys.SHOWN], signing_salt=keys.new_salt(),
        signature_header=SIGNATURE_HEADER if signed else "", timestamp_header=TIMESTAMP_HEADER if timestamped else "",
        **kw,
    )
    return integration, raw


def sign(integration: Integration, body: bytes, timestamp: int | None = None) -> dict[str, str]:
    """The headers Grafana sends for a signed delivery (HMAC-SHA256 over `timestamp:body`, or the body)."""
    secret = keys.signing_secret(integration.signing_salt).encode()
    headers = {}
    message = body
    if integration.timestamp_header:
        stamp = str(int(time.time()) if timestamp is None else timestamp)
        headers[integration.timestamp_header] = stamp
        message = stamp.encode() + b":" + body
    headers[integration.signature_header] = hmac.new(secret, message, hashlib.sha256).hexdigest()
    return headers


ALERTMANAGER = {
    "version": "4",
    "groupKey": '{}/{severity=~"critical|warning"}:{alertname="NodeFilesystemAlmostFull"}',
    "truncatedAlerts": 0,
    "status": "firing",
    "receiver": "opsdesk",
    "groupLabels": {"alertname": "NodeFilesystemAlmostFull"},
    "commonLabels": {"alertname": "NodeFilesystemAlmostFull", "job": "node", "service": "billing"},
    "commonAnnotations": {"runbook_url": "https://runbooks.example.net/node/filesystem"},
    "externalURL": "http://alertmanager.dc1.example.net:9093",
    "alerts": [
        {
            "status": "firing",
            "labels": {
                "alertname": "NodeFilesystemAlmostFull", "device": "/dev/sda1", "fstype": "ext4",
                "instance": "db1.dc1.example.net:9100", "job": "node", "mountpoint": "/var/lib/postgresql",
                "service": "billing", "severity": "critical",
            },
            "annotations": {
                "summary": "Filesystem /var/lib/postgresql on db1.dc1 is 97% full",
                "description": "Only 2.9 GiB left; it fills within 4 hours at the current rate.",
                "runbook_url": "https://runbooks.example.net/node/filesystem",
            },
            "startsAt": "2026-11-23T09:12:41.318424719Z",
            "endsAt": "0001-01-01T00:00:00Z",
            "generatorURL": "http://prometheus.dc1.example.net:9090/graph?g0.expr=node_filesystem_avail_bytes&g0.tab=1",
            "fingerprint": "9f2d4c3b1a7e6d05",
        },
        {
            "status": "resolved",
            "labels": {
                "alertname": "NodeFilesystemAlmostFull", "device": "/dev/sdb1", "fstype": "xfs",
                "instance": "db2.dc1.example.net:9100", "job": "node", "mountpoint": "/backup",
                "service": "billing", "severity": "warning",
            },
            "annotations": {"description": "Filesystem /backup on db2.dc1 has 9% left."},
            "startsAt": "2026-11-23T08:01:11.5Z",
            "endsAt": "2026-11-23T09:40:11.5Z",
            "generatorURL": "http://prometheus.dc1.example.net:9090/graph?g0.expr=node_filesystem_avail_bytes&g0.tab=1",
            "fingerprint": "3c1e0a7b55d2f918",
        },
    ],
}

GRAFANA = {
    "receiver": "opsdesk",
    "status": "firing",
    "orgId": 1,
    "alerts": [
        {
            "status": "firing",
            "labels": {"alertname": "High CPU", "grafana_folder": "Infrastructure", "instance": "web-3.dc2.example.net"},
            "annotations": {"summary": "CPU above 90% for 10 minutes", "description": "web-3 is saturated"},
            "startsAt": "2026-11-23T09:00:00Z",
            "endsAt": "0001-01-01T00:00:00Z",
            "generatorURL": "https://grafana.example.net/alerting/grafana/cdx1/view?orgId=1",
            "fingerprint": "57c6d9296de2ad39",
            "silenceURL": "https://grafana.example.net/alerting/silence/new?alertmanager=grafana&matcher=alertname%3DHigh+CPU",
            "dashboardURL": "https://grafana.example.net/d/node?orgId=1",
            "panelURL": "https://grafana.example.net/d/node?orgId=1&viewPanel=4",
            "values": {"B": 93.4, "C": 1},
            "valueString": "[ var='B' labels={instance=web-3.dc2.example.net} value=93.4 ], [ var='C' labels={instance=web-3.dc2.example.net} value=1 ]",
        }
    ],
    "groupLabels": {"alertname": "High CPU"},
    "commonLabels": {"alertname": "High CPU", "grafana_folder": "Infrastructure", "instance": "web-3.dc2.example.net"},
    "commonAnnotations": {"summary": "CPU above 90% for 10 minutes"},
    "externalURL": "https://grafana.example.net/",
    "version": "1",
    "groupKey": '{}/{__grafana_autogenerated__="true"}:{alertname="High CPU"}',
    "truncatedAlerts": 0,
    "title": "[FIRING:1] High CPU Infrastructure (web-3.dc2.example.net)",
    "state": "alerting",
    "message": "**Firing**\n\nValue: B=93.4, C=1\nLabels:\n - alertname = High CPU\n",
}

EVENTS_TRIGGER = {
    "payload": {
        "summary": "DISK at 99% on machine prod-datapipe03.example.com",
        "timestamp": "2015-07-17T08:42:58.315+0000",
        "severity": "critical",
        "source": "prod-datapipe03.example.com",
        "component": "mysql",
        "group": "prod-datapipe",
        "class": "disk",
        "custom_details": {"free space": "1%", "ping time": "1500ms", "load avg": 0.75},
    },
    "routing_key": "odi_example",
    "dedup_key": "samplekeyhere",
    "images": [{"src": "https://monitoring.example.com/graph.png", "href": "https://monitoring.example.com/", "alt": "Disk graph"}],
    "links": [{"href": "https://monitoring.example.com/hosts/prod-datapipe03", "text": "Host page"}],
    "event_action": "trigger",
    "client": "Sample Monitoring Service",
    "client_url": "https://monitoring.example.com",
}


def alertmanager(**changes: Any) -> dict[str, Any]:
    """A deep copy of the Alertmanager sample with top-level changes."""
    return {**copy.deepcopy(ALERTMANAGER), **changes}


def grafana(**changes: Any) -> dict[str, Any]:
    """A deep copy of the Grafana sample with top-level changes."""
    return {**copy.deepcopy(GRAFANA), **changes}


def event(routing_key: str = "odi_example", **changes: Any) -> dict[str, Any]:
    """A deep copy of the Events API trigger with top-level changes."""
    return {**copy.deepcopy(EVENTS_TRIGGER), "routing_key": routing_key, **changes}
