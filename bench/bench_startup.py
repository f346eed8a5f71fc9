"""Start-up benchmark: ``linked --help`` and ``linked check`` against a bare interpreter.

    python bench/bench_startup.py [--runs 30]

Makes a project with ``linked init`` in a temporary folder and times, with hyperfine
(``-N``: no shell), ``python -c pass``, ``linked --help`` and ``linked check 2021-06`` on
its example edition (30 runs each, one command after the other, after 3 warm-ups).
Reported: each command's median, the help's cost over the bare interpreter, the check's
whole time, their ratios to the interpreter, their mean CPU time, and the load average.
Targets (issue 14): help < 150 ms over ``python -c pass``; check < 400 ms end to end.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

BIN = Path(sys.executable).parent


def hyperfine(commands: list[str], runs: int, cwd: Path) -> dict[str, tuple[float, float]]:
    """Median wall seconds and mean CPU seconds (user + system) per command."""
    out = cwd / "hyperfine.json"
    subprocess.run(
        ["hyperfine", "-N", "--warmup", "3", "--runs", str(runs), "--export-json", str(out),
         "--style", "none", *commands],
        cwd=cwd, check=True, stdout=subprocess.DEVNULL,
    )  # fmt: skip
    results = json.loads(out.read_text())["results"]
    return {r["command"]: (r["median"], r["user"] + r["system"]) for r in results}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="linked-bench-startup-"))
    try:
        linked = str(BIN / "linked")
        subprocess.run([linked, "init", "project"], cwd=root, check=True, stdout=subprocess.DEVNULL)
        project = root / "project"
        load_before = os.getloadavg()
        bare, help_, check = (
            f"{sys.executable} -c pass",
            f"{linked} --help",
            f"{linked} check 2021-06",
        )
        timed = hyperfine([bare, help_, check], args.runs, project)
        medians = {command: wall for command, (wall, _cpu) in timed.items()}
        cpu = {command: cpu for command, (_wall, cpu) in timed.items()}
        base = medians[bare]
        result = {
            "runs": args.runs,
            "python_c_pass_ms": round(base * 1000, 1),
            "help_ms": round(medians[help_] * 1000, 1),
            "help_over_python_ms": round((medians[help_] - base) * 1000, 1),
            "help_ratio_to_python": round(medians[help_] / base, 2),
            "check_ms": round(medians[check] * 1000, 1),
            "check_ratio_to_python": round(medians[check] / base, 2),
            # CPU time (user + system) is steadier than wall time on a shared machine.
            "cpu_ms": {
                "python_c_pass": round(cpu[bare] * 1000, 1),
                "help": round(cpu[help_] * 1000, 1),
                "check": round(cpu[check] * 1000, 1),
            },
            "load_average": [round(x, 2) for x in load_before],
            "load_average_after": [round(x, 2) for x in os.getloadavg()],
        }
        print(json.dumps(result, indent=2))
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
