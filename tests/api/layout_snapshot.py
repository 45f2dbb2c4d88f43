"""The API's operations and the site's URL routes, written down so a reorganisation of the code
(issue 18: slos, learning and changes.windows as packages of their own) can be checked against what
clients and bookmarks already use.

`python -m tests.api.layout_snapshot` rewrites tests/api/snapshots/ from the current code; run it
only when an operation or a route is meant to change, and say so in the commit.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent / "snapshots"
DOCUMENT = HERE / "openapi.json"
ROUTES = HERE / "url-routes.json"
METHODS = ("get", "put", "post", "delete", "patch", "head", "options")


def _resolve(node: Any, components: dict[str, Any], seen: tuple[str, ...] = ()) -> Any:
    """The node with every local $ref replaced by what it names (a cycle is left as its name)."""
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/components/"):
            _, _, kind, name = ref.split("/", 3)
            if ref in seen:
                return {"$ref": ref}
            return _resolve(components.get(kind, {}).get(name, {}), components, (*seen, ref))
        return {key: _resolve(value, components, seen) for key, value in node.items()}
    if isinstance(node, list):
        return [_resolve(item, components, seen) for item in node]
    return node


def operations(document: dict[str, Any]) -> dict[str, Any]:
    """'METHOD /path' -> the operation with its schemas resolved, so a moved schema compares equal."""
    components = document.get("components", {})
    out: dict[str, Any] = {}
    for path, item in document["paths"].items():
        for method in METHODS:
            if method in item:
                out[f"{method.upper()} {path}"] = _resolve(item[method], components)
    return dict(sorted(out.items()))


def routes() -> dict[str, str]:
    """'namespace:name' (or the route itself when unnamed) -> the route, for every URL pattern but
    Django admin's, whose routes follow the app a model belongs to (admin/<app>/<model>/): moving a
    model to another app moves its admin pages with it, and that is the one route change expected."""
    from django.urls import URLPattern, URLResolver, get_resolver

    out: dict[str, str] = {}

    def walk(patterns: list[Any], prefix: str, namespace: str) -> None:
        for p in patterns:
            if isinstance(p, URLResolver):
                ns = ":".join(filter(None, (namespace, p.namespace)))
                walk(p.url_patterns, prefix + str(p.pattern), ns)
            elif isinstance(p, URLPattern):
                route = prefix + str(p.pattern)
                if route.startswith("admin/"):
                    continue
                key = ":".join(filter(None, (namespace, p.name))) if p.name else route
                out[key if key not in out else f"{key} ({route})"] = route

    walk(get_resolver().url_patterns, "", "")
    return dict(sorted(out.items()))


def served_document() -> dict[str, Any]:
    """The OpenAPI document as GET /api/v1/openapi.json serves it."""
    from django.test import Client

    response = Client().get("/api/v1/openapi.json")
    assert response.status_code == 200, response.status_code
    return dict(response.json())


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "opsdesk.settings")
    import django

    django.setup()
    HERE.mkdir(exist_ok=True)
    DOCUMENT.write_text(json.dumps(served_document(), indent=1, sort_keys=True) + "\n")
    ROUTES.write_text(json.dumps(routes(), indent=1, sort_keys=True) + "\n")
    print(f"wrote {DOCUMENT} and {ROUTES}", file=sys.stderr)


if __name__ == "__main__":
    main()
