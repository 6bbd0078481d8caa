"""The card ``tests/cards/competing-rules.yaml`` and the case stories the tests of
competing rules, assignments and scoped decisions play on it."""

from __future__ import annotations

from pathlib import Path

from regiekaart import Case, Escalate, Member, Policy, StepClock

CARD = Path(__file__).resolve().parent / "cards" / "competing-rules.yaml"
KIND = Member(id="kind", group="jeugd")


def in_fase2(policy: Policy) -> Case:
    """A household with one child, escalated to fase 2 by the wijkteam (vrijwillig kader)."""
    case = Case.create(policy, "c-1", actor="wijkteam", members=(KIND,), clock=StepClock())
    case.apply(Escalate(actor="wijkteam", to="fase2", criteria=["hulpbehoefte"]))
    return case


def variant(tmp_path: Path, old: str, new: str, name: str = "variant.yaml") -> Path:
    """The card with ``old`` written as ``new``, as a file in ``tmp_path``."""
    text = CARD.read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / name
    path.write_text(text.replace(old, new), encoding="utf-8")
    return path
