"""Installs come from the lock: every dependency pyproject.toml names is pinned, with hashes, in
requirements/*.txt at a version its specifier admits, so `make lock` cannot be forgotten."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]
PIN = re.compile(r"^([A-Za-z0-9_.\-]+)==([^\s\\]+)")


def _pins(lock: Path) -> dict[str, tuple[str, int]]:
    """name -> (version, number of hashes) of every pinned package in a pip-compile lock."""
    pins: dict[str, tuple[str, int]] = {}
    name = None
    for line in lock.read_text().splitlines():
        match = PIN.match(line)
        if match:
            name = canonicalize_name(match.group(1))
            pins[name] = (match.group(2), 0)
        elif name and "--hash=sha256:" in line:
            version, hashes = pins[name]
            pins[name] = (version, hashes + 1)
    return pins


def _project() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


@pytest.mark.parametrize(("lock", "groups"), [("run.txt", ["main"]), ("dev.txt", ["main", "dev"])])
def test_every_dependency_is_locked_at_an_admitted_version_with_hashes(lock, groups):
    project = _project()
    wanted = list(project["project"]["dependencies"]) if "main" in groups else []
    if "dev" in groups:
        wanted += project["project"]["optional-dependencies"]["dev"]
    wanted += project["build-system"]["requires"]  # the editable install builds without isolation
    pins = _pins(ROOT / "requirements" / lock)
    assert len(pins) > 20
    for spec in map(Requirement, wanted):
        name = canonicalize_name(spec.name)
        assert name in pins, f"{spec} is not in requirements/{lock}: run `make lock`"
        version, _hashes = pins[name]
        assert spec.specifier.contains(version, prereleases=True), (
            f"requirements/{lock} pins {name}=={version}, outside {spec.specifier}: run `make lock`")
    unhashed = sorted(n for n, (_v, h) in pins.items() if h == 0)
    assert not unhashed, f"pinned without a hash in requirements/{lock}: {unhashed}"


def test_the_runtime_lock_is_the_dev_locks_subset_at_the_same_versions():
    run, dev = _pins(ROOT / "requirements" / "run.txt"), _pins(ROOT / "requirements" / "dev.txt")
    differ = {n: (v, dev.get(n, ("missing",))[0]) for n, (v, _h) in run.items() if dev.get(n, ("",))[0] != v}
    assert not differ, f"run.txt and dev.txt disagree (run `make lock`): {differ}"
