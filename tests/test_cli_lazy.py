"""The command line starts quickly: importing ``linked.cli`` loads no web stack (linked.cli.lazy)."""

from __future__ import annotations

import json
import subprocess
import sys

from linked.cli.lazy import lazy_module

HEAVY = ("fastapi", "uvicorn", "starlette", "alembic", "apscheduler", "sqlalchemy", "pydantic")


def _modules_after(code: str, *, whole: bool = False) -> set[str]:
    """Top-level packages (or, with ``whole``, every module) loaded after running ``code``."""
    probe = f"{code}\nimport json, sys\nprint(json.dumps(sorted(sys.modules)))"
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60
    )
    loaded = json.loads(out.stdout.splitlines()[-1])
    return set(loaded) if whole else {name.split(".")[0] for name in loaded}


def test_importing_the_cli_loads_no_web_stack_database_or_settings() -> None:
    loaded = _modules_after("import linked.cli")
    assert not loaded & set(HEAVY), sorted(loaded & set(HEAVY))


def test_help_lists_every_command_without_the_web_stack() -> None:
    code = (
        "import sys\nfrom linked.cli import app\n"
        "try:\n    app(['--help'])\nexcept SystemExit:\n    pass\n"
    )
    # Not even Rich: typer's plain help, and the consoles are made on first use.
    assert not _modules_after(code) & {*HEAVY, "rich"}


def test_the_send_path_loads_no_address_validator_or_postgresql_dialect() -> None:
    # linked send on SQLite reads no typed address and speaks no PostgreSQL: each
    # would add ~15-20 ms to every command's start-up.
    loaded = _modules_after("import linked.delivery.service", whole=True)
    assert "email_validator" not in loaded
    assert "sqlalchemy.dialects.postgresql" not in loaded


def test_a_lazy_module_imports_on_first_use() -> None:
    code = (
        "from linked.cli.lazy import lazy_module\n"
        "m = lazy_module('linked.retention')\nimport sys\n"
        "assert 'linked.retention' not in sys.modules\nm.run_purge\n"
        "assert 'linked.retention' in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)
    assert "linked.retention" in repr(lazy_module("linked.retention"))
