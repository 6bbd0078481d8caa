"""A host system embeds regiekaart: open a case, send commands, handle a refusal, store it."""

import json
import sys
import tempfile
from pathlib import Path

import structlog

from regiekaart import Case, ChangeLevel, CommandRefused, Escalate, Member, load_policy

# The host decides where the engine's structured log events go: here, to stderr.
structlog.configure(logger_factory=structlog.PrintLoggerFactory(sys.stderr))

policy = load_policy(Path(__file__).parent.parent / "machines" / "universeel.yaml")
case = Case.create(policy, "case-0001", actor="wijkteam", members=[Member(id="m1", group="jeugd")])

case.apply(Escalate(actor="wijkteam", to="fase2", criteria=["hulpbehoefte"], reason="school"))
case.apply(ChangeLevel(actor="wijkteam", direction="up", criteria=["complexere-problematiek"]))
print("phase:", case.phase, "| casusregie:", ", ".join(case.roles["casusregie"]))

try:  # The wijkteam may not declare a calamity: the card names the deciders.
    case.apply(Escalate(actor="wijkteam", to="fase4", criteria=["totale-escalatie"]))
except CommandRefused as refusal:
    print(f"refused: {type(refusal).__name__} by rule {refusal.rule} ({refusal.source})")
    print("  why:", refusal.message)

with tempfile.TemporaryDirectory() as folder:
    stored = Path(folder) / "case-0001.json"
    stored.write_text(json.dumps(case.snapshot().to_json()))
    restored = Case.restore(policy, json.loads(stored.read_text()))

assert restored.snapshot() == case.snapshot()
print("restored:", restored.case_id, "at version", restored.version, "in", restored.phase)
print("procesregie:", ", ".join(restored.roles["procesregie"]))
