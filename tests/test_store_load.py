"""Many writers on the same cases at once: 8 processes × 500 commands, for real.

Professionals in several host processes work on the same households. Every command
either commits, is refused by the policy, or meets a conflict that the writer is told
about; afterwards the store holds exactly the committed commands, each as its writer
committed it, and every case rebuilds from its events identical to its snapshot.
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import random
from pathlib import Path
from typing import Any

import pytest

from regiekaart import Case, CloseCase, CommandRefused, ConcurrencyConflict, StepClock
from regiekaart.analysis.enumeration import enumerate_commands
from regiekaart.runtime.records import unstructure
from regiekaart.store import open_store
from regiekaart.store.audit import canonical_json
from store_support import BACKENDS, backend, new_case, policy, quiet_logs

WRITERS = 8
COMMANDS = 500
CASES = tuple(f"load-{n}" for n in range(4))


def _fingerprint(value: Any) -> str:
    return hashlib.sha256(canonical_json(unstructure(value)).encode()).hexdigest()


def _writer(url: str, seed: int, out: str) -> None:
    """One host process: ``COMMANDS`` attempts, each on a case it loads afresh."""
    quiet_logs()
    p = policy()
    rng = random.Random(seed)
    clock = StepClock()
    committed: list[list[Any]] = []
    conflicts: list[list[Any]] = []
    refused = idle = 0
    with open_store(url) as store:
        for _ in range(COMMANDS):
            case_id = rng.choice(CASES)
            case = store.load(p, case_id, history=False, clock=clock)
            start = case.version
            commands = [
                c
                for c in enumerate_commands(p, case.state, refusals=False)
                if not isinstance(c, CloseCase)
            ]
            if not commands:
                idle += 1
                continue
            try:
                event = case.apply(rng.choice(commands))
            except CommandRefused:
                refused += 1
                continue
            try:
                store.commit(case, expected=start)
            except ConcurrencyConflict as conflict:
                conflicts.append([conflict.case_id, conflict.expected, conflict.actual])
                continue
            committed.append([case_id, event.seq, _fingerprint(event)])
    Path(out).write_text(
        json.dumps(
            {"committed": committed, "conflicts": conflicts, "refused": refused, "idle": idle}
        ),
        encoding="utf-8",
    )


@pytest.mark.slow
@pytest.mark.parametrize("name", BACKENDS)
def test_eight_writers_on_the_same_cases_lose_nothing(name: str, tmp_path: Path) -> None:
    quiet_logs()
    p = policy()
    context = multiprocessing.get_context("fork")
    with backend(name, tmp_path) as db:
        with open_store(db.url) as store:
            for case_id in CASES:
                store.create(new_case(case_id))
        outs = [tmp_path / f"writer-{n}.json" for n in range(WRITERS)]
        writers = [
            context.Process(target=_writer, args=(db.url, n, str(out)))
            for n, out in enumerate(outs)
        ]
        for writer in writers:
            writer.start()
        for writer in writers:
            writer.join(timeout=300)
        assert [w.exitcode for w in writers] == [0] * WRITERS
        results = [json.loads(out.read_text(encoding="utf-8")) for out in outs]

        committed = [tuple(c) for r in results for c in r["committed"]]
        conflicts = [tuple(c) for r in results for c in r["conflicts"]]
        for result in results:  # every attempt ended one way or another, and was told so
            attempts = (
                len(result["committed"]) + len(result["conflicts"]) + result["refused"]
            ) + result["idle"]
            assert attempts == COMMANDS
        assert conflicts, "the writers never met: the test did not test concurrency"

        with open_store(db.url) as store:
            stored: dict[tuple[str, int], str] = {}
            for case_id in CASES:
                case = store.load(p, case_id)
                assert Case.replay(p, case_id, case.events).snapshot() == case.snapshot()
                for event in case.events[1:]:
                    stored[(case_id, event.seq)] = _fingerprint(event)
            assert all(report.ok for report in store.verify())

        # Exactly the committed commands are stored, each as its writer committed it.
        assert len(stored) == len(committed)
        assert {(c, s): f for c, s, f in committed} == stored
        # Every conflict was real: another writer had committed the version it missed.
        for case_id, expected, actual in conflicts:
            assert actual > expected
            assert (case_id, expected + 1) in stored
