"""Two-step sign-in: turning TOTP on from the account page, signing in with a code, and
``require_totp`` sending accounts without one to set it up."""

from __future__ import annotations

import email
import email.policy
import re
from collections.abc import Callable

import pyotp
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from linked.accounts.models import Account, AuditEvent, Role
from linked.settings import Settings
from linked.web.app import create_app
from tests.fixtures.console import PASSWORD, ROLE_EMAILS, add_accounts, sign_in


def _login(client: TestClient, email: str, code: str | None = None) -> int:
    page = client.get("/admin/login")
    token = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert token
    data = {"email": email, "password": PASSWORD, "csrf": token.group(1)}
    if code is not None:
        data["code"] = code
    return client.post("/admin/login", data=data, follow_redirects=False).status_code


def _turn_on(client: TestClient, csrf: str) -> str:
    page = client.get("/admin/account/")
    secret = re.search(r"<code>([A-Z2-7 ]+)</code>", page.text)
    signed = re.search(r'name="signed" value="([^"]+)"', page.text)
    assert secret and signed
    key = secret.group(1).replace(" ", "")
    wrong = client.post(
        "/admin/account/totp", data={"csrf": csrf, "signed": signed.group(1), "code": "000000"}
    )
    assert wrong.status_code == 422 or pyotp.TOTP(key).now() == "000000"
    done = client.post(
        "/admin/account/totp",
        data={"csrf": csrf, "signed": signed.group(1), "code": pyotp.TOTP(key).now()},
        follow_redirects=False,
    )
    assert done.status_code == 303
    return key


def test_turn_on_then_sign_in_needs_the_code(console: TestClient, engine: Engine) -> None:
    email = ROLE_EMAILS[Role.editor]
    csrf = sign_in(console, email)
    key = _turn_on(console, csrf)
    assert "Two-step sign-in is on" in console.get("/admin/account/?done=on").text
    console.cookies.clear()
    assert _login(console, email) == 401  # asks for the code
    assert (
        _login(console, email, "123 456" if pyotp.TOTP(key).now() != "123456" else "654321") == 401
    )
    assert _login(console, email, pyotp.TOTP(key).now()) == 303
    with Session(engine) as session:
        actions = session.exec(select(AuditEvent.action).order_by(col(AuditEvent.id))).all()
        account = session.exec(select(Account).where(col(Account.email_key) == email)).one()
    assert "account.totp_on" in actions and actions[-2:] == ["sign_in.failed", "sign_in"]
    assert account.totp_secret == key


def test_require_totp_sends_accounts_to_set_it_up(
    make_settings: Callable[..., Settings], engine: Engine
) -> None:
    add_accounts(engine)
    with TestClient(create_app(make_settings(require_totp=True))) as client:
        csrf = sign_in(client, ROLE_EMAILS[Role.admin])
        page = client.get("/admin/subscribers/", follow_redirects=False)
        assert page.status_code == 303 and page.headers["location"] == "/admin/account/"
        refused = client.post("/admin/subscribers/export", data={"csrf": csrf})
        assert refused.status_code == 403
        assert "requires two-step sign-in" in client.get("/admin/account/").text
        _turn_on(client, csrf)
        assert client.get("/admin/subscribers/").status_code == 200
        off = client.post("/admin/account/totp/off", data={"csrf": csrf, "code": "000000"})
        assert off.status_code == 422


def test_forgot_password_mails_a_one_hour_link_and_answers_the_same_for_anyone(
    console: TestClient, settings: Settings
) -> None:
    def ask(email: str) -> tuple[int, str]:
        page = console.get("/admin/forgot")
        token = re.search(r'name="csrf" value="([^"]+)"', page.text)
        assert token
        response = console.post(
            "/admin/forgot", data={"email": email, "csrf": token.group(1)}, follow_redirects=False
        )
        return response.status_code, response.headers["location"]

    assert (
        ask("nobody@example.org")
        == ask(ROLE_EMAILS[Role.editor])
        == (303, "/admin/login?done=link-sent")
    )
    mails = sorted(settings.outbox_dir.glob("*.eml"))
    assert len(mails) == 1
    message = email.message_from_bytes(mails[0].read_bytes(), policy=email.policy.default)
    assert message["To"] == ROLE_EMAILS[Role.editor]
    body = message.get_body()
    assert body is not None
    link = re.search(r"http://testserver(/admin/password/\S+)", body.get_content())
    assert link
    assert console.get(link.group(1)).status_code == 200
    # At most three such mails an hour per account.
    for _ in range(4):
        ask(ROLE_EMAILS[Role.editor])
    assert len(list(settings.outbox_dir.glob("*.eml"))) == 3


def test_an_administrator_manages_accounts_in_the_browser_pages(
    console: TestClient, engine: Engine
) -> None:
    csrf = sign_in(console, ROLE_EMAILS[Role.admin])
    added = console.post(
        "/admin/users/new", data={"csrf": csrf, "email": "new@example.org", "role": "sender"}
    )
    assert added.status_code == 200 and "/admin/password/" in added.text
    with Session(engine) as session:
        new = session.exec(select(Account).where(col(Account.email_key) == "new@example.org")).one()
        me = session.exec(
            select(Account).where(col(Account.email_key) == ROLE_EMAILS[Role.admin])
        ).one()
    assert new.role is Role.sender
    assert (
        console.post(
            f"/admin/users/{new.id}/role",
            data={"csrf": csrf, "role": "admin"},
            follow_redirects=False,
        ).status_code
        == 303
    )
    assert (
        console.post(
            f"/admin/users/{new.id}/disable", data={"csrf": csrf}, follow_redirects=False
        ).status_code
        == 303
    )
    own = console.post(f"/admin/users/{me.id}/disable", data={"csrf": csrf})
    assert own.status_code == 409 and "cannot change your own role" in own.text
    duplicate = console.post(
        "/admin/users/new", data={"csrf": csrf, "email": "NEW@example.org", "role": "editor"}
    )
    assert duplicate.status_code == 422 and "already an account" in duplicate.text
    with Session(engine) as session:
        actions = session.exec(
            select(AuditEvent.action).where(col(AuditEvent.target) == "account:new@example.org")
        ).all()
    assert actions == ["account.add", "account.role", "account.disable"]
