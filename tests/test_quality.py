"""Lint, formatting, types and import layers are part of the test suite, so CI runs them."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.fixtures.project import REPO

BIN = Path(sys.executable).parent

CHECKS = {
    "ruff check": [str(BIN / "ruff"), "check", "linked", "tests", "bench"],
    "ruff format": [str(BIN / "ruff"), "format", "--check", "linked", "tests", "bench"],
    "mypy": [sys.executable, "-m", "mypy"],
    "import layers": [str(BIN / "lint-imports")],
}


@pytest.mark.parametrize("name", CHECKS)
def test_tool_passes(name: str) -> None:
    command = CHECKS[name]
    if not (Path(command[0]).exists() or shutil.which(command[0])):
        pytest.skip(f"{command[0]} is not installed (pip install -e '.[test]')")
    proc = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-5000:] + proc.stderr[-2000:]
