"""docs/api.md names every route the app publishes in its OpenAPI document."""

from __future__ import annotations

from pathlib import Path

from pochta.server.routes import create_app
from pochta.store import Store

DOC = Path(__file__).resolve().parents[3] / "docs" / "api.md"


def test_docs_name_every_published_route(api_store: Store) -> None:
    paths = create_app(api_store).openapi()["paths"]
    text = DOC.read_text(encoding="utf-8")

    assert len(paths) >= 15
    assert [path for path in paths if f"`{path}" not in text and f" {path}" not in text] == []


def test_every_route_of_one_message_documents_its_404(api_store: Store) -> None:
    paths = create_app(api_store).openapi()["paths"]
    routes = [(method.upper(), path) for path in paths if "{ID}" in path for method in paths[path]]

    assert len(routes) >= 6
    assert [
        f"{method} {path}"
        for method, path in routes
        if "404" not in paths[path][method.lower()]["responses"]
    ] == []
