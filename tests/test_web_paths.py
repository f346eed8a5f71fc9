"""NUL and other characters no path of ours has are 404s, in the app and the preview."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine

from linked.preview import create_preview_app
from linked.settings import Settings
from linked.web.app import create_app
from linked.web.paths import is_bad_path
from tests.fixtures.project import project_settings
from tests.fixtures.servers import free_port, serve

BAD = [
    "/editions/2021-05/images/wood%00.png",
    "/editions/2021-05/images/%00",
    "/static/archive%00.css",
    "/editions/2021%00-05/",
    "/confirm/abc%00def",
    "/unsubscribe/%ff%fe",
    "/editions/2021-05/images/%0d%0aSet-Cookie:x",
]


def test_the_app_answers_404_pages(
    example_edition: Path, make_settings: Callable[..., Settings], engine: Engine
) -> None:
    # A real server, so the path is decoded as in production.
    with serve(create_app(make_settings()), free_port()) as url:
        for path in BAD:
            response = httpx.get(url + path)
            assert response.status_code == 404, path
            assert "text/html" in response.headers["content-type"], path
        assert httpx.get(url + "/editions/2021-05/images/wood-report.png").status_code == 200


def test_the_preview_answers_404(example_edition: Path) -> None:
    port = free_port()
    settings = project_settings(example_edition.parent.parent, f"http://127.0.0.1:{port}")
    with serve(create_preview_app(settings, example_edition), port) as url:
        for path in BAD[:3]:
            assert httpx.get(url + path).status_code == 404, path
        assert httpx.get(url + "/editions/2021-05/images/wood-report.png").status_code == 200


@pytest.mark.parametrize(
    ("path", "bad"),
    [("/editions/2021-05/", False), ("/a b/é", False), ("/a\x00", True), ("/\x7f", True)],
)
def test_is_bad_path(path: str, bad: bool) -> None:
    assert is_bad_path(path) is bad
