"""The package: a wheel built from the checkout, installed into a fresh venv outside it, is a
complete ``linked`` (templates, starter project, migrations), and twine accepts wheel and sdist.

Slow (about a minute): ``python -m build`` makes the sdist and then the wheel *from the sdist*,
so a file missing from either fails here. The fresh venv gets the wheel with ``--no-deps`` and
borrows this venv's dependencies through a ``.pth`` line; that path is not a site folder, so the
checkout's editable-install hook there never runs, and the test asserts ``linked`` is imported
from the fresh venv.
"""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.slow


def _run(*argv: str | Path, cwd: Path, env: dict[str, str] | None = None) -> str:
    proc = subprocess.run(
        [str(a) for a in argv], cwd=cwd, capture_output=True, text=True, timeout=300, env=env
    )
    assert proc.returncode == 0, f"{argv}\n{proc.stdout}\n{proc.stderr}"
    assert "Traceback" not in proc.stderr
    return proc.stdout + proc.stderr


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    _run(sys.executable, "-m", "build", "--outdir", out, REPO, cwd=out)
    return out


def test_twine_accepts_the_wheel_and_the_sdist(dist: Path) -> None:
    files = sorted(dist.iterdir())
    assert sorted(f.suffix for f in files) == [".gz", ".whl"]
    out = _run(sys.executable, "-m", "twine", "check", "--strict", *files, cwd=dist)
    assert out.count("PASSED") == 2


def test_wheel_installed_elsewhere_runs_the_whole_flow(dist: Path, tmp_path: Path) -> None:
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=False)
    bin_dir = env_dir / "bin"
    python = bin_dir / "python"
    purelib = Path(
        _run(
            python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])", cwd=tmp_path
        ).strip()
    )
    (purelib / "_linked_deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    wheel = next(dist.glob("*.whl"))
    _run(sys.executable, "-m", "pip", "--python", python, "install", "-q", "--no-deps",
         "--no-index", wheel, cwd=tmp_path)  # fmt: skip

    clean = {k: v for k, v in os.environ.items() if not k.startswith(("LINKED_", "PYTHON"))}
    env = {**clean, "PATH": f"{bin_dir}{os.pathsep}{clean.get('PATH', '')}", "COLUMNS": "200"}
    where = _run(python, "-c", "import linked; print(linked.__file__)", cwd=tmp_path, env=env)
    assert Path(where.strip()).is_relative_to(env_dir), where
    assert not Path(where.strip()).is_relative_to(REPO)

    linked = bin_dir / "linked"
    _run(linked, "init", "bulletin", cwd=tmp_path, env=env)
    project = tmp_path / "bulletin"
    assert "ok 2021-06" in _run(linked, "check", "2021-06", cwd=project, env=env)
    _run(linked, "build", "2021-06", "--out", "build", cwd=project, env=env)
    assert "alt=" in (project / "build" / "email.html").read_text()
    imported = _run(
        linked, "subscribers", "import", "subscribers/example.csv", "--consent-given-elsewhere",
        cwd=project, env=env,
    )  # fmt: skip
    assert "added 3" in imported
    # Four eyes are on by default: unapproved, the send is refused with what to do.
    refused = subprocess.run(
        [str(linked), "send", "2021-06", "--yes"], cwd=project, env=env, capture_output=True,
        text=True, timeout=300,
    )  # fmt: skip
    assert refused.returncode != 0 and "linked approve 2021-06" in refused.stderr
    _run(linked, "users", "add", "reviewer@example.org", "--role", "sender", cwd=project, env=env)
    _run(linked, "approve", "2021-06", "--as", "reviewer@example.org", cwd=project, env=env)
    _run(linked, "send", "2021-06", "--yes", cwd=project, env=env)
    assert len(list((project / "outbox").glob("*.eml"))) == 3
    _run(linked, "archive", "build", "--out", "site", cwd=project, env=env)
    assert (project / "site" / "editions" / "2021-06" / "index.html").is_file()
    assert (project / "site" / "static" / "archive.css").is_file()
    # The console's static files come from the installed package too.
    script = (
        "from fastapi.testclient import TestClient\n"
        "from linked.settings import load_settings\nfrom linked.web.app import create_app\n"
        "with TestClient(create_app(load_settings('.'))) as c:\n"
        "    assert c.get('/admin/static/admin.css').status_code == 200\n"
        "    assert c.get('/').status_code == 200\n"
    )
    _run(python, "-c", script, cwd=project, env=env)
