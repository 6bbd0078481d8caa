"""The simulator counts a refusal under the rule closest to being taken, in both engines.

On ``tests/cards/competing-rules.yaml`` the burgemeester attempts fase 2 → fase 3 on the
wijkteam's criterion: both rules refuse, and the closer one is the burgemeester's own
rule (refused for its criteria), not the wijkteam's (refused for its deciders).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from test_differential import assert_same, kernel_counts

from conftest import ROOT, write_scenario
from regiekaart.simulate.attempts import load_population
from regiekaart.simulate.kernel import simulate_range
from regiekaart.simulate.model import compile_model
from regiekaart.simulate.reference import simulate_reference

CARD = ROOT / "tests" / "cards" / "competing-rules.yaml"


def scenario() -> dict[str, Any]:
    return {
        "simulation": 1,
        "policy": CARD.name,
        "households": 30,
        "horizon_weeks": 8,
        "seed": 11,
        "opened_by": "wijkteam",
        "mix": {"jeugd": {"groups": ["jeugd"], "share": 1.0}},
        "start": {"fase1": 1.0},
        "events": {
            "fase1": [
                {"kind": "opschalen", "to": "fase2", "by": "wijkteam",
                 "criteria": ["hulpbehoefte"], "p": 0.6},
            ],
            "fase2": [
                {"kind": "opschalen", "to": "fase3", "by": "burgemeester",
                 "criteria": ["stagnatie-hulp"], "p": 0.5},
                {"kind": "opschalen", "to": "fase3", "by": "burgemeester",
                 "criteria": ["dreigende-onrust"], "p": 0.1},
            ],
        },
    }  # fmt: skip


def test_both_engines_count_the_refusal_under_the_closest_rule(tmp_path: Path) -> None:
    (tmp_path / CARD.name).write_text(CARD.read_text("utf-8"), "utf-8")
    model = compile_model(load_population(write_scenario(tmp_path, scenario())))
    run = simulate_range(model, 0, 30, trajectory=True)
    reference = simulate_reference(model, 0, 30)
    assert_same(model, run, reference)
    refused = sum(
        (week for week in kernel_counts(model, run)[0]), start=type(reference.refusals[0])()
    )
    assert set(refused) == {"opschalen-2-3-onrust"}
    assert refused["opschalen-2-3-onrust"] > 0
