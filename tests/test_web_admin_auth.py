"""The console's security: every route needs a session and the right role; CSRF, Origin,
session ids, sign-out, disabling, throttling, cookie flags and stored hashes."""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func
from sqlmodel import Session, select

from linked.accounts import service
from linked.accounts.audit import Actor
from linked.accounts.models import Account, AuditEvent, Role
from linked.authoring import files as edition_files
from linked.authoring import revisions
from linked.settings import Settings
from linked.subscribers import service as subscribers
from linked.subscribers.models import Subscriber, SubscriberStatus
from linked.web.app import create_app
from tests.fixtures.console import PASSWORD, ROLE_EMAILS, add_accounts, sign_in
from tests.fixtures.project import EXAMPLE, PNG, add_edition
from tests.fixtures.sending import plan_send

#: Routes anyone may use: signing in, password links, the stylesheet and scripts.
PUBLIC = {
    ("GET", "/admin/login"),
    ("POST", "/admin/login"),
    ("GET", "/admin/forgot"),
    ("POST", "/admin/forgot"),
    ("GET", "/admin/password/{token}"),
    ("POST", "/admin/password/{token}"),
    ("GET", "/admin/static/{name}"),
}
#: Every other console route and the least role that may use it.
RIGHTS = {
    ("POST", "/admin/logout"): Role.editor,
    ("GET", "/admin/"): Role.editor,
    ("GET", "/admin/subscribers/"): Role.editor,
    ("GET", "/admin/subscribers/{subscriber_id:int}"): Role.editor,
    ("GET", "/admin/subscribers/new"): Role.sender,
    ("POST", "/admin/subscribers/new"): Role.sender,
    ("POST", "/admin/subscribers/{subscriber_id:int}/unsubscribe"): Role.sender,
    ("POST", "/admin/subscribers/{subscriber_id:int}/resend"): Role.sender,
    ("GET", "/admin/subscribers/import"): Role.sender,
    ("POST", "/admin/subscribers/import"): Role.sender,
    ("GET", "/admin/subscribers/{subscriber_id:int}/erase"): Role.admin,
    ("POST", "/admin/subscribers/{subscriber_id:int}/erase"): Role.admin,
    ("POST", "/admin/subscribers/{subscriber_id:int}/data"): Role.admin,
    ("GET", "/admin/subscribers/export"): Role.admin,
    ("POST", "/admin/subscribers/export"): Role.admin,
    ("GET", "/admin/audit/"): Role.admin,
    ("GET", "/admin/account/"): Role.editor,
    ("POST", "/admin/account/totp"): Role.editor,
    ("POST", "/admin/account/totp/off"): Role.editor,
    ("GET", "/admin/users/"): Role.admin,
    ("POST", "/admin/users/new"): Role.admin,
    ("POST", "/admin/users/{account_id:int}/role"): Role.admin,
    ("POST", "/admin/users/{account_id:int}/disable"): Role.admin,
    ("POST", "/admin/users/{account_id:int}/enable"): Role.admin,
    ("POST", "/admin/users/{account_id:int}/reset"): Role.admin,
    ("GET", "/admin/editions/"): Role.editor,
    ("POST", "/admin/editions/new"): Role.editor,
    ("GET", "/admin/editions/{slug}"): Role.editor,
    ("POST", "/admin/editions/{slug}"): Role.editor,
    ("POST", "/admin/editions/{slug}/articles/new"): Role.editor,
    ("GET", "/admin/editions/{slug}/articles/{name}"): Role.editor,
    ("POST", "/admin/editions/{slug}/articles/{name}"): Role.editor,
    ("POST", "/admin/editions/{slug}/articles/{name}/preview"): Role.editor,
    ("POST", "/admin/editions/{slug}/articles/{name}/delete"): Role.editor,
    ("POST", "/admin/editions/{slug}/articles/{name}/move"): Role.editor,
    ("POST", "/admin/editions/{slug}/articles/{name}/draft"): Role.editor,
    ("GET", "/admin/editions/{slug}/articles/{name}/revisions"): Role.editor,
    ("GET", "/admin/editions/{slug}/articles/{name}/revisions/{revision_id:int}"): Role.editor,
    ("POST", "/admin/editions/{slug}/articles/{name}/revisions/{revision_id:int}/restore"): (
        Role.editor
    ),
    ("POST", "/admin/editions/{slug}/trash/{name}/restore"): Role.editor,
    ("GET", "/admin/editions/{slug}/review"): Role.editor,
    ("POST", "/admin/editions/{slug}/proof"): Role.editor,
    ("GET", "/admin/editions/{slug}/images"): Role.editor,
    ("GET", "/admin/editions/{slug}/images/{name}"): Role.editor,
    ("POST", "/admin/images/{slug}"): Role.editor,
    ("GET", "/admin/editions/{slug}/send"): Role.editor,
    ("POST", "/admin/editions/{slug}/approve"): Role.sender,
    ("POST", "/admin/editions/{slug}/schedule"): Role.sender,
    ("POST", "/admin/editions/{slug}/schedule/cancel"): Role.sender,
    ("POST", "/admin/editions/{slug}/send"): Role.sender,
    ("GET", "/admin/sends/{send_id:int}"): Role.editor,
    ("GET", "/admin/sends/{send_id:int}/progress"): Role.editor,
    ("GET", "/admin/sends/{send_id:int}/content"): Role.editor,
    ("POST", "/admin/sends/{send_id:int}/pause"): Role.sender,
    ("POST", "/admin/sends/{send_id:int}/resume"): Role.sender,
    ("POST", "/admin/sends/{send_id:int}/retry"): Role.sender,
}
#: Allowed, but refused as wrong input (a TOTP code is needed; "Send now" is refused: the
#: walk's subscribers are all pending, nobody to send to).
NEEDS_INPUT = {
    "/admin/account/totp": (422,),
    "/admin/account/totp/off": (422,),
    "/admin/editions/{slug}/send": (409,),
    # Each route gets a fresh edition: there is no schedule to cancel.
    "/admin/editions/{slug}/schedule/cancel": (409,),
}
#: The edition, image and send the walk's edition and send routes name.
SLUG, IMAGE = "walk", "logo.png"


@pytest.fixture(autouse=True)
def walk_edition(settings: Settings, engine: Engine) -> None:
    """An edition with one image, and a planned send of it, for the routes that name them."""
    folder = add_edition(settings.editions_dir, SLUG, "Walk", date(2021, 5, 1))
    (folder / "images").mkdir()
    (folder / "images" / IMAGE).write_bytes(PNG)
    with Session(engine) as session:
        plan_send(session, SLUG)


def all_routes(routes: list[Any]) -> Iterator[APIRoute]:
    """Every route, also inside included routers (FastAPI keeps those as branches)."""
    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        elif hasattr(route, "original_router"):
            yield from all_routes(route.original_router.routes)


def admin_routes(app: FastAPI) -> set[tuple[str, str]]:
    """(method, path) of every route under /admin in the app's router."""
    found = set()
    for route in all_routes(app.routes):
        if route.path.startswith("/admin"):
            found |= {(method, route.path) for method in route.methods if method != "HEAD"}
    return found


def new_subscriber(
    engine: Engine, email: str, status: SubscriberStatus = SubscriberStatus.pending
) -> int:
    with Session(engine) as session:
        subscriber, _ = subscribers.add(
            session,
            None,  # type: ignore[arg-type]  # no confirmation mail: settings unused
            email,
            consent_given_elsewhere=status is SubscriberStatus.confirmed,
        )
        session.commit()
        assert subscriber.id is not None
        return subscriber.id


def new_account(engine: Engine, email: str) -> int:
    with Session(engine) as session:
        account = service.add(session, Actor.cli(), email, Role.editor)
        session.commit()
        assert account.id is not None
        return account.id


@dataclass(frozen=True)
class EditionFixture:
    """A fresh copy of the example edition with one revision and one article in the trash."""

    slug: str = "{slug}"
    revision_id: int = 0
    head_version: str = ""
    article_version: str = ""

    ARTICLE = "06-prevent.md"
    TRASHED = "20210101T000000-11-old.md"


def new_edition(settings: Settings, engine: Engine, slug: str) -> EditionFixture:
    folder = Path(shutil.copytree(EXAMPLE, settings.editions_dir / slug))
    (folder / ".trash").mkdir()
    (folder / ".trash" / EditionFixture.TRASHED).write_text("---\ntitle: Old\n---\n\nOld.\n")
    (folder / "images").mkdir(exist_ok=True)
    (folder / "images" / IMAGE).write_bytes(PNG)
    article = folder / EditionFixture.ARTICLE
    with Session(engine) as session:
        revision = revisions.record_file(session, Actor.cli(), article, "save")
        session.commit()
        assert revision.id is not None
        revision_id = revision.id
    return EditionFixture(
        slug,
        revision_id,
        edition_files.read(folder / "edition.md").version,
        edition_files.read(article).version,
    )


def url(
    path: str, subscriber_id: int, account_id: int = 0, edition: EditionFixture | None = None
) -> str:
    path = path.replace("{subscriber_id:int}", str(subscriber_id))
    edition = edition or EditionFixture()
    path = path.replace("/trash/{name}", f"/trash/{edition.TRASHED}")
    path = path.replace("/images/{name}", f"/images/{IMAGE}").replace("{send_id:int}", "1")
    path = path.replace("{slug}", edition.slug).replace("{name}", edition.ARTICLE)
    path = path.replace("{revision_id:int}", str(edition.revision_id))
    return path.replace("{account_id:int}", str(account_id))


def form_for(
    path: str, subscriber_id: int, email: str, edition: EditionFixture | None = None
) -> tuple[dict[str, str], dict[str, tuple[str, bytes, str]] | None]:
    """A valid body for each POST, so an allowed role's request really does its work."""
    edition = edition or EditionFixture()
    if path.endswith("/erase"):
        return {"confirm": email}, None
    if path.endswith("/new"):
        return {
            "email": f"new-{subscriber_id}@example.org",
            "consent": "ask",
            "role": "editor",
            "slug": f"new-{subscriber_id}",
            "title": "New",
        }, None
    if path.endswith("/role"):
        return {"role": "sender"}, None
    if path.endswith("/import"):
        return {}, {"file": ("list.csv", b"email\nimported@example.org\n", "text/csv")}
    if path == "/admin/editions/{slug}":
        return {"version": edition.head_version, "title": "T", "date": "2021-05-28"}, None
    if path.endswith(("/articles/{name}", "/preview")):
        return {"version": edition.article_version, "title": "T", "body": "Body."}, None
    if path.endswith("/move"):
        return {"direction": "up"}, None
    if path.endswith("/draft"):
        return {"draft": "1"}, None
    if "/revisions/" in path:
        return {"version": edition.article_version}, None
    if path == "/admin/images/{slug}":
        return {"alt": "The logo"}, {"file": ("logo.png", PNG, "image/png")}
    if path.endswith("/schedule"):
        return {"date": "2031-05-28", "time": "09:00"}, None
    if path.endswith("/send"):
        return {"count": "wrong"}, None
    return {}, None


def audit_count(engine: Engine) -> int:
    with Session(engine) as session:
        return int(session.exec(select(func.count()).select_from(AuditEvent)).one())


def test_the_rights_table_names_every_console_route(console_app: FastAPI) -> None:
    assert admin_routes(console_app) == set(RIGHTS) | PUBLIC


def test_without_a_session_gets_redirect_and_posts_are_refused(
    console: TestClient, console_app: FastAPI, engine: Engine
) -> None:
    subscriber_id = new_subscriber(engine, "someone@example.org", SubscriberStatus.confirmed)
    account_id = new_account(engine, "target@example.org")
    before = audit_count(engine)
    for method, path in sorted(RIGHTS):
        target = url(path, subscriber_id, account_id)
        if method == "GET":
            response = console.get(target, follow_redirects=False)
            assert response.status_code == 303, (method, path)
            assert response.headers["location"].startswith("/admin/login?next=/admin/"), path
        else:
            data, files = form_for(path, subscriber_id, "someone@example.org")
            response = console.post(
                target, data={**data, "csrf": "x"}, files=files, follow_redirects=False
            )
            assert response.status_code == 403, (method, path)
    assert audit_count(engine) == before
    with Session(engine) as session:
        found = session.get(Subscriber, subscriber_id)
        assert found is not None and found.status is SubscriberStatus.confirmed
        assert session.exec(select(func.count()).select_from(Subscriber)).one() == 1


@pytest.mark.parametrize("role", list(Role))
def test_each_role_gets_exactly_its_rights(
    role: Role, console_app: FastAPI, engine: Engine, settings: Settings
) -> None:
    with TestClient(console_app) as client:
        for number, ((method, path), needed) in enumerate(sorted(RIGHTS.items())):
            email = f"person-{number}@example.org"
            subscriber_id = new_subscriber(engine, email)
            account_id = new_account(engine, f"account-{number}@example.org")
            csrf = sign_in(client, ROLE_EMAILS[role])
            edition = new_edition(settings, engine, f"e-{number}") if "{slug}" in path else None
            target = url(path, subscriber_id, account_id, edition)
            if method == "GET":
                response = client.get(target, follow_redirects=False)
            else:
                data, files = form_for(path, subscriber_id, email, edition)
                response = client.post(
                    target, data={**data, "csrf": csrf}, files=files, follow_redirects=False
                )
            allowed = role.allows(needed)
            assert (response.status_code == 403) is not allowed, (
                role,
                method,
                path,
                response.status_code,
            )
            assert response.status_code < 500
            if allowed:
                expected = NEEDS_INPUT.get(path, (200, 303)) if method == "POST" else (200,)
                assert response.status_code in expected, (role, method, path, response.text[:500])


def test_editor_posts_change_nothing(console: TestClient, engine: Engine) -> None:
    subscriber_id = new_subscriber(engine, "keep@example.org", SubscriberStatus.confirmed)
    csrf = sign_in(console, ROLE_EMAILS[Role.editor])
    before = audit_count(engine)
    for action, data in [
        ("unsubscribe", {}),
        ("erase", {"confirm": "keep@example.org"}),
        ("data", {}),
    ]:
        response = console.post(
            f"/admin/subscribers/{subscriber_id}/{action}", data={**data, "csrf": csrf}
        )
        assert response.status_code == 403
    assert console.post("/admin/subscribers/export", data={"csrf": csrf}).status_code == 403
    assert audit_count(engine) == before
    page = console.get(f"/admin/subscribers/{subscriber_id}")
    assert "Erase" not in page.text and "Unsubscribe them" not in page.text
    assert "Export" not in console.get("/admin/subscribers/").text


@pytest.mark.parametrize("token", [None, "", "wrong-token"])
def test_missing_or_wrong_csrf_token_is_refused_and_changes_nothing(
    console: TestClient, engine: Engine, token: str | None
) -> None:
    subscriber_id = new_subscriber(engine, "stay@example.org", SubscriberStatus.confirmed)
    sign_in(console, ROLE_EMAILS[Role.admin])
    before = audit_count(engine)
    data = {} if token is None else {"csrf": token}
    response = console.post(f"/admin/subscribers/{subscriber_id}/unsubscribe", data=data)
    assert response.status_code == 403
    assert "Nothing was changed" in response.text
    response = console.post("/admin/logout", data=data, follow_redirects=False)
    assert response.status_code == 403
    assert audit_count(engine) == before
    with Session(engine) as session:
        found = session.get(Subscriber, subscriber_id)
        assert found is not None and found.status is SubscriberStatus.confirmed


def test_a_cross_origin_post_is_refused_even_with_the_token(
    console: TestClient, engine: Engine
) -> None:
    subscriber_id = new_subscriber(engine, "stay@example.org", SubscriberStatus.confirmed)
    csrf = sign_in(console, ROLE_EMAILS[Role.admin])
    response = console.post(
        f"/admin/subscribers/{subscriber_id}/unsubscribe",
        data={"csrf": csrf},
        headers={"Origin": "https://evil.example"},
    )
    assert response.status_code == 403
    same = console.post(
        f"/admin/subscribers/{subscriber_id}/unsubscribe",
        data={"csrf": csrf},
        headers={"Origin": "http://testserver"},
        follow_redirects=False,
    )
    assert same.status_code == 303


def test_the_session_id_changes_at_sign_in_and_the_old_one_dies(console: TestClient) -> None:
    sign_in(console, ROLE_EMAILS[Role.editor])
    first = console.cookies["linked_session"]
    sign_in(console, ROLE_EMAILS[Role.editor])
    second = console.cookies["linked_session"]
    assert first != second
    console.cookies.set("linked_session", first)
    assert console.get("/admin/", follow_redirects=False).status_code == 303


def test_sign_out_ends_the_session(console: TestClient) -> None:
    csrf = sign_in(console, ROLE_EMAILS[Role.editor])
    token = console.cookies["linked_session"]
    response = console.post("/admin/logout", data={"csrf": csrf}, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/admin/login")
    console.cookies.set("linked_session", token)
    assert console.get("/admin/", follow_redirects=False).status_code == 303


def test_disabling_an_account_ends_its_sessions(console: TestClient, engine: Engine) -> None:
    sign_in(console, ROLE_EMAILS[Role.sender])
    assert console.get("/admin/", follow_redirects=False).status_code == 200
    with Session(engine) as session:
        service.disable(session, Actor.cli(), ROLE_EMAILS[Role.sender])
        session.commit()
    assert console.get("/admin/", follow_redirects=False).status_code == 303


def _attempt(client: TestClient, email: str, password: str) -> tuple[int, str]:
    page = client.get("/admin/login")
    token = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert token
    response = client.post(
        "/admin/login",
        data={"email": email, "password": password, "csrf": token.group(1)},
        follow_redirects=False,
    )
    # The page repeats the typed address: compare the rest.
    return response.status_code, response.text.replace(email, "ADDRESS")


def test_ten_wrong_passwords_then_429_and_the_same_for_an_unknown_address(
    console: TestClient,
) -> None:
    known, unknown = ROLE_EMAILS[Role.admin], "nobody@example.org"
    for _ in range(10):
        wrong = _attempt(console, known, "not the right password")
        missing = _attempt(console, unknown, "not the right password")
        assert wrong[0] == missing[0] == 401
        assert wrong[1] == missing[1]
    assert _attempt(console, known, PASSWORD)[0] == 429
    throttled_known, throttled_unknown = (
        _attempt(console, known, "x"),
        _attempt(console, unknown, "x"),
    )
    assert throttled_known == throttled_unknown and throttled_known[0] == 429


def _session_cookie_flags(client: TestClient, name: str) -> set[str]:
    """Sign in as the admin; the flags of the session cookie ``name`` the answer sets."""
    page = client.get("/admin/login")
    token = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert token
    response = client.post(
        "/admin/login",
        data={"email": ROLE_EMAILS[Role.admin], "password": PASSWORD, "csrf": token.group(1)},
        follow_redirects=False,
    )
    cookie = next(c for c in response.headers.get_list("set-cookie") if c.startswith(f"{name}="))
    return {part.strip().lower() for part in cookie.split(";")[1:]}


def test_cookie_flags_over_http(console: TestClient) -> None:
    flags = _session_cookie_flags(console, "linked_session")
    assert {"httponly", "samesite=lax", "path=/"} <= flags
    assert "secure" not in flags


def test_cookie_flags_over_https(make_settings: Callable[..., Settings], engine: Engine) -> None:
    add_accounts(engine)
    app = create_app(make_settings(base_url="https://testserver"))
    with TestClient(app, base_url="https://testserver") as client:
        flags = _session_cookie_flags(client, "__Host-linked_session")
        assert {"httponly", "samesite=lax", "path=/", "secure"} <= flags
        assert not any(flag.startswith("domain") for flag in flags)
        assert client.get("/admin/", follow_redirects=False).status_code == 200


def test_stored_passwords_are_argon2id_hashes(console: TestClient, engine: Engine) -> None:
    with Session(engine) as session:
        hashes = session.exec(select(Account.password_hash)).all()
    assert hashes and all(h and h.startswith("$argon2id$") and PASSWORD not in h for h in hashes)


def test_a_password_link_works_once(
    console: TestClient, settings: Settings, engine: Engine
) -> None:
    from linked.accounts.links import LinkKind, password_url

    with Session(engine) as session:
        account = service.add(session, Actor.cli(), "new@example.org", Role.editor)
        session.commit()
        link = password_url(settings, account, LinkKind.invite).removeprefix(settings.base_url)
    assert "new@example.org" in console.get(link).text
    short = console.post(link, data={"password": "too short", "confirm": "too short"})
    assert short.status_code == 422 and "at least 12 characters" in short.text
    done = console.post(
        link,
        data={"password": "a new long passphrase", "confirm": "a new long passphrase"},
        follow_redirects=False,
    )
    assert done.status_code == 303
    assert console.get(link).status_code == 400
    assert (
        console.post(
            link, data={"password": "another passphrase!", "confirm": "another passphrase!"}
        ).status_code
        == 400
    )
    sign_in(console, "new@example.org", "a new long passphrase")


def test_next_never_leaves_the_console(console: TestClient) -> None:
    page = console.get("/admin/login?next=//evil.example/")
    token = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert token
    response = console.post(
        "/admin/login",
        data={
            "email": ROLE_EMAILS[Role.admin],
            "password": PASSWORD,
            "csrf": token.group(1),
            "next": "https://evil.example/",
        },
        follow_redirects=False,
    )
    assert response.headers["location"] == "/admin/"
