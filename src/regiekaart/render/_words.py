"""The card's words for what a case's commands and events name by id.

A timeline is read by people who know the card, not its file: a party, state,
criterion or rule appears under the name the card gives it, and a command by what it
was about. Anything the card does not know (an older card, a typo in a scenario)
keeps its raw id, so a story never breaks on a name.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from regiekaart.policy import conditions
from regiekaart.policy.model import Choice, Policy
from regiekaart.runtime.commands import (
    Appoint,
    ChangeLevel,
    Command,
    Deescalate,
    EndMeasure,
    Escalate,
    ExpireMeasure,
    ExtendMeasure,
    ImposeMeasure,
    Inform,
    Melding,
    RecordAdvice,
    RecordDecision,
)

COMMAND_LABELS: dict[str, str] = {
    "open": "Casus geopend",
    "signal": "Signaal",
    "escalate": "Opschalen",
    "deescalate": "Afschalen",
    "change": "Wijziging binnen de fase",
    "impose_measure": "Maatregel opgelegd",
    "end_measure": "Maatregel beëindigd",
    "expire": "Maatregel verlopen",
    "extend": "Maatregel verlengd",
    "advice": "Advies gevraagd",
    "melding": "Melding",
    "inform": "Informeren",
    "decision": "Besluit",
    "appoint": "Aanwijzing",
    "close": "Casus afsluiten",
}
"""The card's words for the kinds of command."""


class CaseWords:
    """Names from the policy, falling back to the raw id for anything it does not know."""

    def __init__(self, policy: Policy) -> None:
        self.policy = policy

    def party(self, party: str) -> str:
        found = self.policy.parties.get(party)
        return found.name if found else party

    def parties(self, ids: Iterable[str]) -> tuple[str, ...]:
        return tuple(self.party(p) for p in ids)

    def state(self, state_id: str) -> str:
        state = self.policy.states.get(state_id)
        if state is None:
            return state_id
        if state.is_phase:
            return f"Fase {state.order} · {state.title}"
        return state.title

    def criterion(self, criterion: str) -> str:
        found = self.policy.criteria.get(criterion)
        return found.text if found else criterion

    def rule_title(self, rule: str, command: Command) -> str:
        policy = self.policy
        for table in (policy.transitions, policy.activities, policy.decisions):
            found = table.get(rule)
            if found is not None:
                return str(found.title)
        return COMMAND_LABELS.get(command.type, command.type)

    def _move_detail(self, command: Escalate | Deescalate, *, titled: bool) -> str:
        """Where a move to a phase goes (unless its title says so) and which dominance
        it named."""
        parts = [] if titled else [f"naar {self.state(command.to)}"]
        if command.dominance:
            option = self.policy.dominance.get(command.dominance)
            parts.append(f"dominant: {option.title if option else command.dominance}")
        return "; ".join(parts)

    def detail(self, command: Command, *, titled: bool) -> str:
        """What the command was about, beyond its kind: target, measure, recipient …

        ``titled``: the step already has the title of its rule, which names where it goes.
        """
        policy = self.policy
        match command:
            case Escalate() | Deescalate():
                return self._move_detail(command, titled=titled)
            case ChangeLevel():
                if titled:
                    return ""
                return "opschalen" if command.direction == "up" else "afschalen"
            case ImposeMeasure() | EndMeasure() | ExpireMeasure() | ExtendMeasure():
                measure = policy.measures.get(command.measure)
                said = f"{measure.title if measure else command.measure} voor {command.member}"
                by = command.by if isinstance(command, ExtendMeasure) else ""
                return f"{said}, met {by}" if by else said
            case Inform():
                return f"aan {self.party(command.recipient)}"
            case RecordDecision():
                decision = policy.decisions.get(command.decision)
                return decision.title if decision else command.decision
            case Appoint():
                role = policy.roles.get(command.role)
                names = ", ".join(self.parties(command.holders.get(command.role, ())))
                return f"{role.title if role else command.role}: {names}"
            case Melding():
                return f"bij {self.party(command.to)}" if command.to else ""
            case RecordAdvice():
                return f"bij {self.party(command.adviser)}"
        return ""


def condition_words(policy: Policy, condition: conditions.Condition) -> str:
    """A condition of the card in the card's words: ``met een lid: <groep>``."""
    if isinstance(condition, conditions.Term):
        return _term_words(policy, condition)
    if isinstance(condition, conditions.Not):
        return f"niet ({condition_words(policy, condition.part)})"
    joiner = " en " if isinstance(condition, conditions.AllOf) else " of "
    return joiner.join(condition_words(policy, part) for part in condition.parts)


def _term_words(policy: Policy, term: conditions.Term) -> str:
    values = term.values
    if term.subject == "members":
        return "met een lid: " + " of ".join(policy.member_groups.get(g, g) for g in values)
    if term.subject == "fact":
        return "als vastgelegd: " + " en ".join(values)
    table: Mapping[str, Any] = policy.measures if term.subject == "measures" else policy.dominance
    word = "maatregel" if term.subject == "measures" else "dominantie"
    if values == (conditions.ANY,):
        return f"bij een {word}"
    if values == (conditions.NONE,):
        return f"zonder {word}"
    titles = [table[v].title if v in table else v for v in values]
    return f"bij {word}: " + " of ".join(titles)


def choice_words(policy: Policy, choices: Iterable[Choice]) -> tuple[str, ...]:
    """Holders that follow the case, one phrase per choice: ``<partij> (met een lid:
    <groep>)``, then ``anders <partij>``."""
    out: list[str] = []
    for choice in choices:
        names = ", ".join(
            policy.parties[p].name if p in policy.parties else p for p in choice.holders
        )
        if choice.condition is None:
            out.append(f"anders {names}" if out else names)
        else:
            out.append(f"{names} ({condition_words(policy, choice.condition)})")
    return tuple(out)
