"""International addresses end to end (issue 15): import, send over aiosmtpd, subscribe.

With SMTPUTF8 on and then off: every ASCII and IDN recipient gets exactly one copy
(its domain as an A-label), ``josé`` is sent or fails with the reason, the command
exits 0; the subscribe form's confirmation reaches an IDN address, and an address
the server cannot carry is refused on the form at once.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from typer.testing import CliRunner

from linked.cli import app
from linked.idn import SMTPUTF8_REFUSAL
from linked.settings import Settings
from linked.subscribers import mailable
from linked.subscribers.mailable import CANNOT_MAIL
from linked.web.app import create_app
from tests.fixtures.sending import EDITION, child_env, copy_edition, rows
from tests.fixtures.smtp import running_smtp_server

runner = CliRunner()
PUBLIC = "https://bulletin.example.org"  # an SMTP send refuses local links (issue 15, item 7)
ASCII = [f"reader{i}@example.net" for i in range(20)]
IDN = {"erin@bücher.example": "erin@xn--bcher-kva.example"}
IDN_TYPED_ASCII = {"erin2@xn--bcher-kva.example": "erin2@xn--bcher-kva.example"}
JOSE = "josé@example.org"


def _csv(folder: Path) -> Path:
    lines = [
        "email,name,status",
        "erin@bücher.example,Erin Bücher,confirmed",
        "erin2@xn--bcher-kva.example,,confirmed",
        f"{JOSE},José Núñez,confirmed",
        *(f'{a},"Reader, {i}",confirmed' for i, a in enumerate(ASCII)),
    ]
    path = folder / "list.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize("smtputf8", [True, False], ids=["smtputf8-on", "smtputf8-off"])
def test_import_and_send_to_international_addresses(
    make_settings: Callable[..., Settings], engine: Engine, tmp_path: Path, smtputf8: bool
) -> None:
    with running_smtp_server(smtputf8=smtputf8) as server:
        settings = make_settings(smtp_url=server.url, base_url=PUBLIC)
        copy_edition(settings)
        env = child_env(settings, server.port)
        root = ["--root", str(settings.root)]
        imported = runner.invoke(
            app,
            [*root, "subscribers", "import", str(_csv(tmp_path)), "--consent-given-elsewhere"],
            env=env,
        )
        assert imported.exit_code == 0, imported.output
        sent = runner.invoke(app, [*root, "send", EDITION, "--yes"], env=env)
        assert sent.exit_code == 0, sent.output
        status = runner.invoke(app, [*root, "status", EDITION], env=env)
        received = list(server.messages)

    by_rcpt = Counter(r for m in received for r in m.recipients)
    expected = {a: 1 for a in ASCII} | {w: 1 for w in (*IDN.values(), *IDN_TYPED_ASCII.values())}
    if smtputf8:
        expected[JOSE] = 1
    assert by_rcpt == expected
    for message in received:
        (rcpt,) = message.recipients
        assert message.sender == "bulletin@example.org"
        if rcpt != JOSE:  # the header says what the envelope says, in ASCII
            head = message.data.split(b"\r\n\r\n", 1)[0]
            assert head.isascii()
            assert f"<{rcpt}>\r\n".encode() in head or f"To: {rcpt}\r\n".encode() in head
    # Stored as typed: the A-label address stays ASCII, the Unicode one stays Unicode.
    state = {email: (row.state, row.last_reply) for email, row in rows(engine).items()}
    assert set(state) == {*ASCII, *IDN, *IDN_TYPED_ASCII, JOSE}
    assert all(state[a][0] == "sent" for a in (*ASCII, *IDN, *IDN_TYPED_ASCII))
    if smtputf8:
        assert state[JOSE][0] == "sent"
        assert "22 sent" not in sent.output and "23 sent" in sent.output
    else:
        assert state[JOSE] == ("failed", SMTPUTF8_REFUSAL)
        assert "22 sent, 1 failed" in sent.output
        assert status.exit_code == 0 and "SMTPUTF8" in status.output


@pytest.mark.parametrize("smtputf8", [True, False], ids=["smtputf8-on", "smtputf8-off"])
def test_subscribe_form_mails_idn_addresses_and_refuses_what_it_cannot_mail(
    make_settings: Callable[..., Settings],
    engine: Engine,
    smtputf8: bool,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(mailable, "ANSWER_SECONDS", 0.0)  # a reused port is another server
    with running_smtp_server(smtputf8=smtputf8) as server:
        settings = make_settings(smtp_url=server.url, base_url=PUBLIC)
        with TestClient(create_app(settings), client=("203.0.113.9", 50000)) as client:
            idn = client.post("/subscribe", data={"email": "erin@bücher.example", "name": "Erin"})
            jose = client.post("/subscribe", data={"email": JOSE, "name": "José"})
        received = server.wait_for(2 if smtputf8 else 1)

    assert idn.status_code == 200 and "Check your inbox" in idn.text
    confirmation = received[0]
    assert confirmation.recipients == ("erin@xn--bcher-kva.example",)
    assert confirmation.message["To"].addresses[0].addr_spec == "erin@xn--bcher-kva.example"
    assert f"{PUBLIC}/confirm/" in confirmation.message.get_body(("plain",)).get_content()
    if smtputf8:
        assert jose.status_code == 200
        assert received[1].recipients == (JOSE,)
    else:
        assert jose.status_code == 422 and CANNOT_MAIL in jose.text
        assert len(received) == 1
        assert JOSE not in {email for email in rows(engine)}
