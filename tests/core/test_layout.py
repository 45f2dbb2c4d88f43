"""The layout shows the domains: no app folder holds a file-name prefix family.

A family is two or more modules of one folder whose names share the text before the first
underscore (`slo_api.py`, `slo_views.py`; `readiness.py`, `readiness_queries.py`): the prefix is a
domain hiding in file names, and it becomes an app or a sub-package with one job per file
(DESIGN.md, "Layout"). A module's whole name counts as its prefix when it has no underscore, so
`readiness.py` belongs with `readiness_queries.py`. `__init__.py` is never grouped. Checked in
every app folder of src/opsdesk and its sub-packages, except migrations, management commands and
template tags, whose names Django dictates.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from pathlib import Path

import pytest

import opsdesk

SRC = Path(opsdesk.__file__).parent
SKIPPED = frozenset({"migrations", "management", "templatetags", "templates", "static", "__pycache__"})
# (folder relative to src/opsdesk, prefix) -> why those files are not a domain to move.
# Empty: every family found so far has been moved. An entry needs a reason a reviewer accepts.
ALLOWED: dict[tuple[str, str], str] = {}


def families(names: Iterable[str]) -> dict[str, list[str]]:
    """The prefix families among these file names: prefix -> its modules (two or more), sorted."""
    groups: dict[str, list[str]] = defaultdict(list)
    for name in names:
        if not name.endswith(".py") or name == "__init__.py":
            continue
        groups[name.removesuffix(".py").split("_", 1)[0]].append(name)
    return {prefix: sorted(found) for prefix, found in sorted(groups.items()) if len(found) > 1}


def app_folders(root: Path = SRC) -> Iterator[Path]:
    """Every app package of opsdesk and each of its sub-packages (outside SKIPPED), in path order."""
    for app in sorted(p for p in root.iterdir() if (p / "__init__.py").is_file()):
        yield from _packages(app)


def _packages(folder: Path) -> Iterator[Path]:
    yield folder
    for child in sorted(folder.iterdir()):
        if child.is_dir() and child.name not in SKIPPED and (child / "__init__.py").is_file():
            yield from _packages(child)


def found_in_source() -> dict[tuple[str, str], list[str]]:
    """Every family in opsdesk's app folders: (folder relative to src/opsdesk, prefix) -> its modules."""
    return {
        (folder.relative_to(SRC).as_posix(), prefix): names
        for folder in app_folders()
        for prefix, names in families(p.name for p in folder.iterdir() if p.is_file()).items()
    }


@pytest.mark.parametrize(
    ("names", "expected"),
    [
        (["slo_api.py", "slo_views.py", "rules.py"], {"slo": ["slo_api.py", "slo_views.py"]}),
        (["readiness.py", "readiness_queries.py"], {"readiness": ["readiness.py", "readiness_queries.py"]}),
        (["metrics.py", "metrics_sources.py", "metrics_view.py"],
         {"metrics": ["metrics.py", "metrics_sources.py", "metrics_view.py"]}),
        (["page_queries.py", "queries.py", "views.py"], {}),  # one file per prefix: no family
        (["free_time.py", "field_views.py", "portal_views.py"], {}),  # a shared suffix is not a prefix
        (["__init__.py", "init_data.py"], {}),  # __init__.py is never grouped
        (["cache_a.py", "cache_b.txt", "cache.html"], {}),  # only modules count
        (["a_b_c.py", "a_d.py"], {"a": ["a_b_c.py", "a_d.py"]}),  # the text before the first underscore
    ],
)
def test_families_groups_modules_by_the_text_before_the_first_underscore(
    names: list[str], expected: dict[str, list[str]]
) -> None:
    assert families(names) == expected


def test_app_folders_include_sub_packages_but_not_django_folders(tmp_path: Path) -> None:
    for folder in ("app/sub/deeper", "app/migrations", "app/management/commands", "app/templatetags",
                   "app/plain_folder", "notapp"):
        (tmp_path / folder).mkdir(parents=True)
    for folder in ("app", "app/sub", "app/sub/deeper", "app/migrations", "app/management",
                   "app/management/commands", "app/templatetags"):
        (tmp_path / folder / "__init__.py").touch()
    assert [p.relative_to(tmp_path).as_posix() for p in app_folders(tmp_path)] == [
        "app", "app/sub", "app/sub/deeper",
    ]


def test_no_app_folder_holds_a_file_name_prefix_family() -> None:
    found = {key: names for key, names in found_in_source().items() if key not in ALLOWED}
    listing = "\n".join(
        f"  src/opsdesk/{folder}/: {prefix}_* ({', '.join(names)})" for (folder, prefix), names in found.items()
    )
    assert not found, (
        f"{len(found)} file-name prefix famil{'y' if len(found) == 1 else 'ies'} left; make each an app or "
        f"a sub-package with one job per file (DESIGN.md, Layout), or list it in ALLOWED with a reason:\n"
        f"{listing}"
    )


def test_every_allowed_exception_is_still_a_family() -> None:
    stale = sorted(set(ALLOWED) - set(found_in_source()))
    assert not stale, f"ALLOWED lists families that no longer exist; remove them: {stale}"
