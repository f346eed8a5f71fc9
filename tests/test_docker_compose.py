"""The Docker stack, read from its files: no Docker engine runs here.

``docker-compose.yml`` is checked against the settings Linked really reads and the
commands it really has; the ``Dockerfile`` against the app's routes and by running its
health check; ``.dockerignore`` against what the build must (and must not) send. No
Compose JSON schema ships in an installed package, so the file is not schema-validated.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
import threading
from collections.abc import Iterator
from fnmatch import fnmatch
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml
from pydantic import AliasChoices
from sqlalchemy.engine import make_url
from typer.testing import CliRunner

from linked.cli import app as cli
from linked.settings import Settings, load_settings
from linked.transport import SMTPURL
from linked.web.app import create_app
from tests.fixtures.project import REPO

COMPOSE: dict[str, Any] = yaml.safe_load((REPO / "docker-compose.yml").read_text())
SERVICES: dict[str, Any] = COMPOSE["services"]
#: The services that run the Linked image (all of them have a ``command``).
LINKED = ("migrate", "app", "worker")
#: Settings a working stack cannot do without.
REQUIRED = ("database_url", "smtp_url", "secret_key", "base_url", "from_address")
#: Stand-ins for variables the compose file requires (``${NAME:?message}``).
REQUIRED_VARIABLES = {"LINKED_SECRET_KEY": "a-secret-from-dot-env"}


# Reading the files -----------------------------------------------------------


def dockerfile() -> list[tuple[str, str]]:
    """The Dockerfile as (INSTRUCTION, arguments), continuation lines joined."""
    text = re.sub(r"\\\n", " ", (REPO / "Dockerfile").read_text())
    instructions = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            keyword, _, rest = line.partition(" ")
            instructions.append((keyword.upper(), rest.strip()))
    return instructions


def instruction(name: str) -> str:
    """The arguments of the last ``name`` instruction (the one Docker uses)."""
    found = [rest for keyword, rest in dockerfile() if keyword == name]
    assert found, f"the Dockerfile has no {name}"
    return found[-1]


def exec_form(arguments: str) -> list[str]:
    """A JSON-array (exec form) CMD, or the part of a HEALTHCHECK after its options."""
    array = arguments[arguments.index("[") :] if "[" in arguments else arguments
    argv = json.loads(array)
    assert isinstance(argv, list) and all(isinstance(a, str) for a in argv), arguments
    return argv


def interpolate(value: str) -> str:
    """Compose interpolation with every variable unset: defaults and required stand-ins."""

    def one(match: re.Match[str]) -> str:
        name, operator, default = match.group(1), match.group(2) or "", match.group(3) or ""
        if "?" in operator:
            assert name in REQUIRED_VARIABLES, f"${{{name}}} is required: add a stand-in"
            return REQUIRED_VARIABLES[name]
        return default if "-" in operator else ""

    resolved = re.sub(r"(?<!\$)\$\{(\w+)(:?[-?])?([^}]*)\}", one, value)
    return resolved.replace("$$", "$")


def environment(service: str) -> dict[str, str]:
    """A service's environment as names and interpolated values (mapping or list syntax)."""
    raw = SERVICES[service].get("environment") or {}
    if isinstance(raw, list):
        raw = dict(item.split("=", 1) if "=" in item else (item, "") for item in raw)
    return {name: interpolate(str(value)) for name, value in raw.items()}


def command(service: str) -> list[str]:
    raw = SERVICES[service]["command"]
    return shlex.split(raw) if isinstance(raw, str) else [str(part) for part in raw]


def published(service: str) -> set[int]:
    """Container ports a service publishes on the host (short or long port syntax)."""
    ports = set()
    for port in SERVICES[service].get("ports") or []:
        if isinstance(port, dict):
            ports.add(int(port["target"]))
        else:
            ports.add(int(str(port).split("/")[0].rsplit(":", 1)[-1]))
    return ports


def mounts(service: str) -> dict[str, str]:
    """Container path → source, for short-syntax volumes."""
    found = {}
    for volume in SERVICES[service].get("volumes") or []:
        source, target = str(volume).split(":")[:2]
        found[target] = source
    return found


def depends_on(service: str) -> dict[str, str]:
    """Service → condition (the short list syntax means ``service_started``)."""
    raw = SERVICES[service].get("depends_on") or {}
    if isinstance(raw, list):
        return dict.fromkeys(raw, "service_started")
    return {name: spec.get("condition", "service_started") for name, spec in raw.items()}


def setting_names() -> dict[str, set[str]]:
    """Field → the environment names pydantic-settings reads for it, from ``Settings``."""
    prefix = Settings.model_config.get("env_prefix", "")
    names: dict[str, set[str]] = {}
    for field, info in Settings.model_fields.items():
        accepted = {f"{prefix}{field}".upper()}
        alias = info.validation_alias
        choices = alias.choices if isinstance(alias, AliasChoices) else [alias]
        accepted |= {choice.upper() for choice in choices if isinstance(choice, str)}
        names[field] = accepted
    return names


def ignored(path: str, patterns: list[str]) -> bool:
    """Whether .dockerignore keeps ``path`` out of the build (last matching pattern wins)."""
    parts = path.split("/")
    prefixes = ["/".join(parts[:i]) for i in range(1, len(parts) + 1)]
    result = False
    for pattern in patterns:
        negated = pattern.startswith("!")
        glob = pattern.removeprefix("!").strip("/")
        # Patterns are anchored at the context root; a leading **/ also matches no folder.
        globs = {glob, glob.removeprefix("**/")}
        if any(fnmatch(prefix, g) for prefix in prefixes for g in globs):
            result = not negated
    return result


def dockerignore() -> list[str]:
    lines = (REPO / ".dockerignore").read_text().splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


# docker-compose.yml -----------------------------------------------------------


def test_compose_spec_file_with_the_stack() -> None:
    assert "version" not in COMPOSE
    assert {"postgres", "migrate", "app", "worker", "mailpit"} <= set(SERVICES)


@pytest.mark.parametrize("service", ["postgres", "mailpit"])
def test_third_party_images_are_pinned(service: str) -> None:
    image = SERVICES[service]["image"]
    name, _, tag = image.rpartition(":")
    assert name and "/" not in tag and tag not in ("", "latest"), image


def test_postgres_is_16_with_a_health_check_and_a_named_volume() -> None:
    postgres = SERVICES["postgres"]
    assert postgres["image"].startswith("postgres:16")
    test = postgres["healthcheck"]["test"]
    assert "pg_isready" in (test if isinstance(test, str) else " ".join(test))
    source = mounts("postgres")["/var/lib/postgresql/data"]
    assert source in (COMPOSE.get("volumes") or {}), "postgres data is not on a named volume"


def test_linked_services_run_one_image_built_from_the_dockerfile() -> None:
    builds = []
    for service in LINKED:
        build = SERVICES[service]["build"]
        build = {"context": build} if isinstance(build, str) else build
        assert (REPO / build["context"]).resolve() == REPO
        assert (REPO / build["context"] / build.get("dockerfile", "Dockerfile")).is_file()
        builds.append((SERVICES[service].get("image"), build))
    assert all(b == builds[0] for b in builds), builds


def test_app_and_mailpit_publish_their_web_ports_and_smtp_stays_inside() -> None:
    assert 8000 in published("app")
    assert 8025 in published("mailpit")
    assert 1025 not in published("mailpit")


def test_worker_scales() -> None:
    worker = SERVICES["worker"]
    assert "container_name" not in worker
    assert not worker.get("ports")


def test_start_order() -> None:
    assert depends_on("migrate") == {"postgres": "service_healthy"}
    assert SERVICES["migrate"]["restart"] == "no"
    for service in ("app", "worker"):
        assert depends_on(service)["migrate"] == "service_completed_successfully"
        assert depends_on(service)["postgres"] == "service_healthy"


def test_only_the_app_is_health_checked_over_http() -> None:
    # The image's HEALTHCHECK asks the web server, which migrate and worker do not run.
    for service in ("migrate", "worker"):
        assert SERVICES[service]["healthcheck"] == {"disable": True}
    assert "healthcheck" not in SERVICES["app"]


def test_linked_services_share_the_settings_and_the_project_folders() -> None:
    assert environment("app") == environment("worker") == environment("migrate")
    workdir = instruction("WORKDIR")
    for service in ("app", "worker"):
        for folder in ("editions", "templates", "subscribers"):
            source = mounts(service)[f"{workdir}/{folder}"]
            assert (REPO / source).is_dir() or source in (COMPOSE.get("volumes") or {})


def test_every_linked_variable_is_a_setting() -> None:
    accepted = set().union(*setting_names().values())
    for service in SERVICES:
        unknown = {n for n in environment(service) if n.startswith("LINKED_")} - accepted
        assert not unknown, f"{service} sets variables Linked does not read: {unknown}"


@pytest.mark.parametrize("service", LINKED)
def test_required_settings_are_set(service: str) -> None:
    env = environment(service)
    names = setting_names()
    for field in REQUIRED:
        assert any(env.get(name) for name in names[field]), f"{service}: no {field}"
    raw = SERVICES[service]["environment"]["LINKED_SECRET_KEY"]
    assert re.fullmatch(r"\$\{LINKED_SECRET_KEY:\?.+\}", raw), "the secret key needs no default"


def test_settings_from_compose_are_valid_and_reach_the_other_services(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in [n for n in os.environ if n.startswith("LINKED_")]:
        monkeypatch.delenv(name)  # only the compose file's settings
    for name, value in environment("app").items():
        monkeypatch.setenv(name, value)
    settings = load_settings(tmp_path)
    assert settings.secret_key == REQUIRED_VARIABLES["LINKED_SECRET_KEY"]

    database = make_url(settings.database)
    postgres = environment("postgres")
    assert database.drivername == "postgresql+psycopg"
    assert database.host == "postgres" and database.port in (None, 5432)
    assert database.username == postgres["POSTGRES_USER"]
    assert database.password == postgres["POSTGRES_PASSWORD"]
    assert database.database == postgres["POSTGRES_DB"]

    assert settings.smtp_url is not None
    smtp = SMTPURL.parse(settings.smtp_url)
    assert (smtp.host, smtp.port) == ("mailpit", 1025)
    assert urlsplit(settings.base_url).port in published("app")


# Commands -------------------------------------------------------------------

COMMANDS = {service: command(service) for service in SERVICES if "command" in SERVICES[service]}
COMMANDS["Dockerfile CMD"] = exec_form(instruction("CMD"))


@pytest.mark.parametrize("argv", COMMANDS.values(), ids=COMMANDS.keys())
def test_command_is_a_real_linked_command(argv: list[str]) -> None:
    assert argv[0] == "linked"
    result = CliRunner().invoke(cli, [*argv[1:], "--help"])
    assert result.exit_code == 0, result.output


def test_linked_services_have_commands() -> None:
    assert set(LINKED) <= set(COMMANDS)
    assert COMMANDS["app"] == COMMANDS["Dockerfile CMD"]


# Dockerfile --------------------------------------------------------------------


def test_image_base_workdir_and_user() -> None:
    assert instruction("FROM") == "python:3.11-slim"
    assert instruction("WORKDIR") == "/srv/linked"
    user = instruction("USER").split(":")[0]
    assert user not in ("root", "0")
    assert "8000" in instruction("EXPOSE").split()


def test_serve_port_matches_expose_and_health_check() -> None:
    argv = exec_form(instruction("CMD"))
    port = argv[argv.index("--port") + 1]
    assert port in instruction("EXPOSE").split()
    url = re.search(r"http://[^'\"\s]+", instruction("HEALTHCHECK"))
    assert url is not None and str(urlsplit(url.group()).port) == port


def test_health_check_asks_a_route_the_app_has(tmp_path: Path) -> None:
    url = re.search(r"http://[^'\"\s]+", instruction("HEALTHCHECK"))
    assert url is not None
    app = create_app(load_settings(tmp_path), migrate=False)
    app.state.engine.dispose()
    path = urlsplit(url.group()).path
    assert path == "/healthz"
    assert path in {getattr(route, "path", None) for route in app.routes}


class _Status(BaseHTTPRequestHandler):
    status = 200

    def do_GET(self) -> None:
        self.send_response(self.status if self.path == "/healthz" else 404)
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet."""


@pytest.fixture(params=[200, 503])
def health_server(request: pytest.FixtureRequest) -> Iterator[tuple[int, int]]:
    """A server answering /healthz with the parametrised status: (port, status)."""
    handler = type("Handler", (_Status,), {"status": request.param})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1], request.param
    finally:
        server.shutdown()
        server.server_close()


def test_health_check_runs_without_curl_and_fails_on_503(health_server: tuple[int, int]) -> None:
    port, status = health_server
    argv = exec_form(instruction("HEALTHCHECK").partition("CMD")[2])
    assert argv[0] == "python" and "curl" not in argv and "wget" not in argv
    code = argv[-1].replace("127.0.0.1:8000", f"127.0.0.1:{port}")
    assert code != argv[-1], "the health check does not ask 127.0.0.1:8000"
    proc = subprocess.run([sys.executable, *argv[1:-1], code], capture_output=True, timeout=30)
    assert (proc.returncode == 0) == (status == 200), proc.stderr.decode()


def test_copied_sources_exist_and_are_in_the_build_context() -> None:
    patterns = dockerignore()
    copies = [rest.split() for keyword, rest in dockerfile() if keyword == "COPY"]
    sources = [src for args in copies for src in args[:-1] if not src.startswith("--")]
    assert {"pyproject.toml", "linked", "templates"} <= set(sources)
    for source in sources:
        assert (REPO / source).exists(), source
        assert not ignored(source, patterns), f".dockerignore leaves out {source}"
    assert not ignored("linked/cli/__init__.py", patterns)
    assert not ignored("linked/templates/web/base.html", patterns)
    assert not ignored("templates/README.md", patterns)


@pytest.mark.parametrize(
    "path",
    [
        ".venv/bin/python",
        ".git/HEAD",
        "node_modules/x/package.json",
        "outbox/a.eml",
        "site/index.html",
        ".env",
        "subscribers/linked.db",
        "linked/__pycache__/settings.cpython-311.pyc",
    ],
)
def test_dockerignore_keeps_out(path: str) -> None:
    assert ignored(path, dockerignore())
