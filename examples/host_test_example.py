"""A host system's test of its regiekaart: drop this file into the host's pytest suite.

It drives a case of the card with random command sequences — allowed ones, refused
ones, ill-timed and ill-formed ones — and after every step checks every obligation of
the card plus the host's own (``host_invariants.INVARIANTS``), that a refused command
changed nothing, that a restored snapshot answers alike and that replaying the log gives
the same case. Derandomized, so it fails (or passes) the same way on every run.
"""

from __future__ import annotations

import sys
from pathlib import Path

from hypothesis import settings

from regiekaart import load_policy
from regiekaart.testing import policy_state_machine

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from host_invariants import INVARIANTS  # noqa: E402

WestBrabant = policy_state_machine(
    load_policy(HERE.parent / "machines" / "west-brabant.yaml"),
    extra_invariants=INVARIANTS,
)
WestBrabant.TestCase.settings = settings(
    max_examples=10, stateful_step_count=15, derandomize=True, deadline=None, database=None
)
TestWestBrabant = WestBrabant.TestCase
