"""Request bodies are bounded by the bytes received, chunked or not: 413 at the limit."""

from __future__ import annotations

import select
import socket
from collections.abc import Callable

import httpx
import pytest
from sqlalchemy import Engine

from linked.settings import Settings
from linked.web.app import create_app
from linked.web.limits import MAX_BODY_BYTES
from tests.fixtures.servers import free_port, serve

CHUNK = b"x" * 8192
#: A multipart body must start as one, or the parser refuses it (400) before the limit: the
#: endless body is then one field whose value never ends.
MULTIPART_START = b'--b\r\nContent-Disposition: form-data; name="email"\r\n\r\n'


def _chunked_post(port: int, path: str, content_type: str, most: int) -> tuple[bytes, int]:
    """Send an endless chunked body until the server answers; return (answer, bytes sent)."""
    first = MULTIPART_START if content_type.startswith("multipart/") else b""
    sent = 0
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(
            f"POST {path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: {content_type}\r\n"
            "Transfer-Encoding: chunked\r\nAccept: application/json\r\n\r\n".encode()
        )
        if first:
            sock.sendall(b"%x\r\n%s\r\n" % (len(first), first))
        answer = b""
        while sent < most:
            readable, _, _ = select.select([sock], [], [], 0)
            if readable:
                break
            try:
                sock.sendall(b"%x\r\n%s\r\n" % (len(CHUNK), CHUNK))
            except (BrokenPipeError, ConnectionResetError):
                break
            sent += len(CHUNK)
        sock.settimeout(10)
        try:
            while b"\r\n\r\n" not in answer:
                data = sock.recv(65536)
                if not data:
                    break
                answer += data
        except ConnectionResetError:
            pass
    return answer, sent


@pytest.mark.parametrize(
    ("path", "content_type"),
    [
        ("/subscribe", "application/json"),
        ("/subscribe", "application/x-www-form-urlencoded"),
        ("/subscribe", "multipart/form-data; boundary=b"),
        ("/webhooks/bounce", "application/json"),
    ],
)
def test_an_endless_chunked_body_gets_413_after_little_was_read(
    make_settings: Callable[..., Settings], engine: Engine, path: str, content_type: str
) -> None:
    port = free_port()
    settings = make_settings(webhook_secret="s")
    with serve(create_app(settings), port):
        answer, sent = _chunked_post(port, path, content_type, most=100_000_000)
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    # The answer came while we were still sending: far from the 100 MB on offer
    # (what was sent beyond the limit sat in socket buffers, unread).
    assert sent < 20_000_000


def test_a_declared_length_over_the_limit_is_refused_before_reading(
    make_settings: Callable[..., Settings], engine: Engine
) -> None:
    with serve(create_app(make_settings()), free_port()) as url:
        response = httpx.post(
            f"{url}/subscribe",
            content=b"email=a%40example.org&name=" + b"x" * MAX_BODY_BYTES,
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        assert response.status_code == 413
        assert "text/html" in response.headers["content-type"] and "<h1>" in response.text
        small = httpx.post(f"{url}/subscribe", data={"email": "a@example.org"})
        assert small.status_code == 200


def test_a_prefix_can_have_its_own_limit() -> None:
    from linked.web.limits import BodyLimit

    async def app(scope: object, receive: object, send: object) -> None:
        return None

    limits = BodyLimit(app, by_prefix={"/admin/": 10_000_000, "/admin/small/": 10})
    assert limits.limit_for("/subscribe") == MAX_BODY_BYTES
    assert limits.limit_for("/admin/import") == 10_000_000
    assert limits.limit_for("/admin/small/x") == 10
