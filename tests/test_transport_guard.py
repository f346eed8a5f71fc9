"""Sending over SMTP with settings that point readers at this computer is refused."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from linked.check import check_edition
from linked.delivery.service import send_proof, start_send
from linked.errors import LinkedError
from linked.settings import Settings
from linked.transport import OutboxTransport, open_transport
from linked.transport.guard import local_setting_problems
from tests.fixtures.project import run_linked
from tests.fixtures.sending import EDITION, copy_edition
from tests.fixtures.smtp import SMTPServer

SettingsFactory = Callable[..., Settings]

LOCAL_BASE = (
    "base_url is http://localhost:8000, which is this computer: readers could not open the "
    "links and images in the email; set base_url in linked.toml (or LINKED_BASE_URL) to the "
    "archive's public https:// address"
)
HTTP_BASE = (
    "base_url is http://bulletin.example.org, not https://: the links in the email would not "
    "be encrypted; set base_url in linked.toml (or LINKED_BASE_URL) to the https:// address"
)
LOCAL_FROM = (
    "the From address 'bulletin@localhost' is not at a real domain: replies would go nowhere "
    "and receiving servers reject such mail; set from in linked.toml (or LINKED_FROM) to an "
    "address at your own domain"
)


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        (
            {"base_url": "http://localhost:8000", "from_address": "L <bulletin@localhost>"},
            [LOCAL_BASE, LOCAL_FROM],
        ),
        ({"base_url": "http://bulletin.example.org"}, [HTTP_BASE]),
        (
            {"base_url": "https://127.0.0.1:8443"},
            [LOCAL_BASE.replace("http://localhost:8000", "https://127.0.0.1:8443")],
        ),
        ({"base_url": "https://bulletin.example.org"}, []),
    ],
)
def test_problems_name_the_setting(
    make_settings: SettingsFactory, overrides: dict[str, str], expected: list[str]
) -> None:
    assert local_setting_problems(make_settings(**overrides)) == expected


def test_smtp_is_refused_and_the_outbox_allowed(
    make_settings: SettingsFactory, smtp_server: SMTPServer
) -> None:
    local = {"base_url": "http://localhost:8000", "from_address": "L <bulletin@localhost>"}
    refused = make_settings(smtp_url=smtp_server.url, allow_local_links=False, **local)
    with pytest.raises(LinkedError) as caught:
        open_transport(refused)
    assert str(caught.value) == (
        f"not sending over SMTP:\n  {LOCAL_BASE}\n  {LOCAL_FROM}\n"
        "  (for a test against a local server, pass --allow-local-links)"
    )
    folder = copy_edition(refused)
    with pytest.raises(LinkedError, match="not sending over SMTP"):
        send_proof(refused, folder, ["proof@example.net"])
    with pytest.raises(LinkedError, match="not sending over SMTP"):
        start_send(refused, folder, yes=True)
    assert smtp_server.messages == []
    # Without SMTP the same settings write to outbox/: the newcomer's first run works.
    outbox = make_settings(allow_local_links=False, **local)
    assert isinstance(open_transport(outbox), OutboxTransport)
    assert send_proof(outbox, folder, ["proof@example.net"]) == ["proof@example.net"]


def test_check_warns_about_the_same(make_settings: SettingsFactory) -> None:
    settings = make_settings(
        allow_local_links=False, base_url="http://localhost:8000", from_address="bulletin@localhost"
    )
    folder = copy_edition(settings)
    report = check_edition(settings, folder)
    assert report.ok
    assert [p.format(relative_to=settings.root) for p in report.warnings] == [
        f"linked.toml: {LOCAL_BASE} (until then, sending over SMTP is refused)",
        f"linked.toml: {LOCAL_FROM} (until then, sending over SMTP is refused)",
    ]


def test_the_cli_refuses_and_the_escape_hatch_sends(
    make_settings: SettingsFactory, smtp_server: SMTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = make_settings()
    copy_edition(settings)
    root: Path = settings.root
    monkeypatch.setenv("LINKED_SMTP_URL", smtp_server.url)
    monkeypatch.setenv("LINKED_BASE_URL", "http://localhost:8000")
    monkeypatch.setenv("LINKED_DATABASE_URL", settings.database)
    code, out, err = run_linked("send", EDITION, "--test", "proof@example.net", cwd=root)
    assert code == 1 and "Traceback" not in out + err
    assert "base_url is http://localhost:8000, which is this computer" in err
    assert "--allow-local-links" in err
    code, out, err = run_linked(
        "--allow-local-links", "send", EDITION, "--test", "proof@example.net", cwd=root
    )
    assert code == 0, err
    assert [m.recipients for m in smtp_server.wait_for(1)] == [("proof@example.net",)]
