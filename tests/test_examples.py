"""The embedding example runs as a host would run it, and says what the README promises."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def test_embed_example_applies_refuses_and_restores() -> None:
    script = EXAMPLES / "embed.py"
    assert len(script.read_text(encoding="utf-8").splitlines()) < 40
    env = {k: v for k, v in os.environ.items() if k != "FORCE_COLOR"} | {"NO_COLOR": "1"}
    done = subprocess.run(
        [sys.executable, str(script)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "phase: fase2 | casusregie: wijkteam"
    assert lines[1] == "refused: NotAuthorized by rule calamiteit-2-4 (§1.6, §2.3.4)"
    assert "Burgemeester" in lines[2]
    assert lines[3] == "restored: case-0001 at version 3 in fase2"
    assert lines[4] == "procesregie: gemeentelijk-procesregisseur"
    # The host routed the engine's log to stderr: one event per command, refusals included.
    assert done.stderr.count("command.accepted") == 3
    assert done.stderr.count("command.refused") == 1
    assert "rule=calamiteit-2-4" in done.stderr
