"""The walk over a policy that every part of the neutral view shares.

The card's words for a party, a role or a state, and the footnote numbering, must be
the same in every part of :func:`regiekaart.render.view.card_view`; one
:class:`Extractor` per view holds them, so footnotes are numbered in reading order
however the view is assembled.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Literal

from regiekaart.policy.model import PartyGroup, Policy, StateDef
from regiekaart.policy.sourcemap import locate
from regiekaart.render.model import Deciders, Footnote, PartyRef, SlotOption
from regiekaart.render.palette import Colour, colour
from regiekaart.runtime.authority import ALL, GROUP


class Extractor:
    """Walks a policy once, numbering footnotes in reading order."""

    def __init__(self, policy: Policy) -> None:
        self.policy = policy
        self.footnotes: list[Footnote] = []

    def footnote(self, label: str, section: str, path: str) -> Footnote:
        note = Footnote(len(self.footnotes) + 1, label, section, self.location(path))
        self.footnotes.append(note)
        return note

    def location(self, path: str) -> str:
        """``file:line`` where the card sets ``path``, file name only; empty if not known."""
        file, line = locate(self.policy.sources, path)
        return f"{Path(file).name}:{line}" if file and line else ""

    def overridden(self, path: str) -> bool:
        return any(covers(o, path) for o in self.policy.overrides)

    def party(self, party_id: str) -> PartyRef:
        """A party, or a party group as the card writes it (``group:ID``): the group's
        title with its members, of kind ``group``."""
        group = self.group(party_id[len(GROUP) :]) if party_id.startswith(GROUP) else None
        if group is not None:
            members = ", ".join(self.party_names(group.members))
            return PartyRef(group.id, f"{group.title} ({members})", "group")
        party = self.policy.parties.get(party_id)
        return PartyRef(party_id, party.name if party else party_id, party.kind if party else "")

    def group(self, group_id: str) -> PartyGroup | None:
        return self.policy.party_groups.get(group_id)

    def parties(self, ids: Iterable[str]) -> tuple[PartyRef, ...]:
        return tuple(self.party(p) for p in ids)

    def party_names(self, ids: Iterable[str]) -> tuple[str, ...]:
        return tuple(self.party(p).name for p in ids)

    def slots(self, groups: Sequence[Sequence[str]]) -> Deciders:
        def option(part: str) -> SlotOption:
            if part.startswith("role:"):
                role = self.policy.roles.get(part[5:])
                return SlotOption("role", part[5:], role.title if role else part[5:])
            group = self.group(part.partition(":")[2])
            if group is not None and part.startswith((GROUP, ALL)):
                members = self.party_names(group.members)
                kind: Literal["group", "all"] = "group" if part.startswith(GROUP) else "all"
                return SlotOption(kind, group.id, group.title, members)
            return SlotOption("party", part, self.party(part).name)

        return tuple(
            tuple(tuple(option(p) for p in slot.split("|")) for slot in group) for group in groups
        )

    def role_title(self, role: str) -> str:
        found = self.policy.roles.get(role)
        return found.title if found else role

    def state_colour(self, state_id: str) -> Colour:
        return colour(self.policy.phase_of(state_id).colour)

    def state_title(self, state_id: str | None) -> str:
        if state_id is None:
            return ""
        state = self.policy.states.get(state_id)
        if state is None:
            return state_id
        if state.is_phase:
            return f"Fase {state.order} · {state.title}"
        if state.parent is not None:
            return f"{self.state_title(state.parent)} · {state.title}"
        return state.title


def covers(override: str, path: str) -> bool:
    """Whether setting ``override`` changed what is at ``path`` (or inside it)."""
    return (
        override == path
        or override.startswith((path + ".", path + "["))
        or path.startswith((override + ".", override + "["))
    )


def state_path(state: StateDef) -> str:
    """Where ``state`` is set in the card's document, as an override path names it."""
    if state.final:
        return f"final.{state.id}"
    return "phases." + ".substates.states.".join(state.id.split("."))
