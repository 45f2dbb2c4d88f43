"""Fixtures of the channels tests: a loopback receiver the SSRF guard is told to allow."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.channels.receiver import Receiver, serve


@pytest.fixture
def receiver(settings) -> Iterator[Receiver]:
    settings.OPSDESK_OUTBOUND_ALLOW = ["127.0.0.1/32"]
    yield from serve()
