"""What a card records and requires besides its states and steps: activities and
decisions a case records, informing duties, prohibitions, local agreements, tags and
the obligations the verifier checks.

Part of the neutral model (:mod:`regiekaart.policy.model` names them all); kept apart
so that each module of the model can be read whole.

May import: the foundation and this package, nothing else of regiekaart.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

from attrs import frozen

from regiekaart.policy._kinds import TransitionKind
from regiekaart.policy.durations import Duration


@frozen
class Activity:
    """A recordable step that changes no phase: a signal, an advice, a melding."""

    id: str
    command: Literal["signal", "advice", "melding"]
    title: str
    in_states: tuple[str, ...]
    by: tuple[str, ...] = ()
    by_kinds: tuple[str, ...] = ()
    to: tuple[str, ...] = ()
    description: str = ""
    source: str = ""
    tags: tuple[str, ...] = ()
    """Tags that classify it (ids of :attr:`Policy.tags`); recorded on its events."""


@frozen
class Decision:
    """A formal decision a party records; it may set a fact and oblige informing."""

    id: str
    title: str
    by: tuple[tuple[str, ...], ...]
    in_states: tuple[str, ...]
    sets: str | None = None
    """The fact it sets; it holds until the case leaves the phase it was taken in."""
    inform: tuple[str, ...] = ()
    description: str = ""
    source: str = ""
    tags: tuple[str, ...] = ()
    """Tags that classify it (ids of :attr:`Policy.tags`); recorded on its events."""


@frozen
class Obligation:
    """An informing duty: when its trigger fires, recipients must be informed."""

    id: str
    title: str
    inform: tuple[str, ...] = ()
    by_role: str | None = None
    on_enter: str | None = None
    when_role: str | None = None
    when_holders: tuple[str, ...] = ()
    mutual_role: str | None = None
    """When this role has two or more holders, each is informed of the others."""
    mode: Literal["task", "record"] = "task"
    source: str = ""
    closes_when: tuple[Literal["recipient_acts", "state_left"], ...] = ()
    """When an open duty is moot and closes without an ``inform``: its recipient takes or
    co-takes a step of the card (``recipient_acts``), or the case leaves ``on_enter``
    (``state_left``). The card says so, because a stored case must replay as it was
    decided: a card without the key keeps its duties open until informed."""
    deadline: Duration | None = None
    """How soon after it arises the informing must be done (``None``: no deadline)."""


@frozen
class Prohibition:
    """A step the card rules out explicitly ("afschalen niet aan de orde")."""

    id: str
    kind: TransitionKind
    source_state: str
    title: str
    description: str = ""
    source: str = ""


@frozen
class Agreement:
    """An existing working agreement, route or guideline that applies in some phases.

    The card lists them per phase ("Bestaande werkafspraken, routes en richtlijnen") so
    that professionals know which protocol or covenant governs their work there; the
    engine does not enforce them, it carries them for rendering and reports.
    """

    id: str
    title: str
    phases: tuple[str, ...]
    source: str = ""
    description: str = ""


@frozen
class Tag:
    """A word the card classifies rules and criteria by (Utrecht sorts upscaling by its
    trigger: stalled co-operation, acute crisis, calamity); events, timelines, the
    verifier's and the simulator's reports name and count steps by it."""

    id: str
    title: str
    description: str = ""
    source: str = ""


@frozen
class InvariantDef:
    """A declared obligation of the handreiking that must hold in every situation."""

    id: str
    title: str
    checks: tuple[tuple[str, Mapping[str, object]], ...]
    """Each a generic check of :mod:`regiekaart.analysis.invariants` with its parameters."""
    source: str = ""
    description: str = ""
