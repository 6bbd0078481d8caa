"""The informing a card's obligations call for after a step, and the duties left open.

An obligation fires on entering its state (under the named holders, if it names any)
or when several holders of a role newly share it; a duty to inform that is not
recorded as done on the spot stays open until an ``inform`` command fulfils it.

A card may say a duty is moot, and so closed, in two cases a handreiking takes for
granted (``closes_when``): its recipient took or co-took a step of the card itself (the
official who declared a phase need not be told of it), or the case left the state whose
entry called for it. Either is recorded on the event, so the audit shows why a duty
closed without an ``inform``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import datetime

from attrs import frozen

from regiekaart.policy.model import Obligation, Policy
from regiekaart.runtime.commands import Command
from regiekaart.runtime.records import CaseState, Informed, OpenObligation

ROLE = "role:"
"""A recipient written ``role:ROLE``: whoever holds the role after the step."""


@frozen
class Duties:
    """The informing a step calls for, the duties open after it, and those it closed."""

    called_for: tuple[Informed, ...]
    open: tuple[OpenObligation, ...]
    met: tuple[str, ...]
    """Open duties to a party that took or co-took the step, as ``obligation:recipient``."""
    lapsed: tuple[str, ...]
    """Open duties of a state the case left, as ``obligation:recipient``."""


def settle(
    policy: Policy,
    before: CaseState,
    command: Command,
    step: bool,
    after: tuple[str, ...],
    new_roles: Mapping[str, tuple[str, ...]],
    duties: Iterable[OpenObligation],
    *,
    deadlines: Callable[[], Mapping[str, datetime]] | None = None,
) -> Duties:
    """What the duties are after a command: ``step`` says it took a rule of the card, so
    its parties know the case as it now stands; ``deadlines`` gives, when a duty arises,
    when each duty with a deadline must be done."""
    seq = before.seq + 1
    parties = frozenset(command.parties) if step else frozenset()
    called_for = tuple(
        _known(item)
        if not item.done and _acted(policy, item.obligation, item.recipient, parties)
        else item
        for item in triggered(policy, before, after, new_roles)
    )
    met: list[str] = []
    lapsed: list[str] = []
    kept: list[OpenObligation] = []
    active = frozenset(after)
    for duty in duties:
        key = f"{duty.obligation}:{duty.recipient}"
        if _acted(policy, duty.obligation, duty.recipient, parties):
            met.append(key)
        elif _left(policy, duty, active):
            lapsed.append(key)
        else:
            kept.append(duty)
    return Duties(
        called_for=called_for,
        open=still_open(
            kept, called_for, seq, deadlines() if deadlines is not None and called_for else None
        ),
        met=tuple(met),
        lapsed=tuple(lapsed),
    )


def _acted(policy: Policy, obligation: str, recipient: str, parties: frozenset[str]) -> bool:
    """Whether the recipient took part in the step, and the card says that closes it."""
    if recipient not in parties:
        return False
    duty = policy.obligations.get(obligation)
    return duty is not None and "recipient_acts" in duty.closes_when


def _known(item: Informed) -> Informed:
    """A recipient who took the step itself: informed by its own hand, on the spot."""
    return Informed(
        recipient=item.recipient,
        by=(item.recipient,),
        obligation=item.obligation,
        about=item.about,
        done=True,
    )


def _left(policy: Policy, duty: OpenObligation, active: frozenset[str]) -> bool:
    """Whether the case left the state whose entry opened ``duty``, and the card says
    that closes it."""
    obligation = policy.obligations.get(duty.obligation)
    if obligation is None or obligation.on_enter is None:
        return False
    if "state_left" not in obligation.closes_when:
        return False
    return obligation.on_enter not in active


def recipients(duty: Obligation, new_roles: Mapping[str, tuple[str, ...]]) -> tuple[str, ...]:
    """Who ``duty`` informs: its parties, and the holders of the roles it names."""
    out: list[str] = []
    for written in duty.inform:
        named = new_roles.get(written[len(ROLE) :], ()) if written.startswith(ROLE) else (written,)
        out.extend(party for party in named if party not in out)
    return tuple(out)


def triggered(
    policy: Policy,
    before: CaseState,
    after: tuple[str, ...],
    new_roles: Mapping[str, tuple[str, ...]],
) -> tuple[Informed, ...]:
    """The informing the policy's obligations call for after this step."""
    out: list[Informed] = []
    for duty in policy.obligations.values():
        out.extend(_on_enter(duty, before, after, new_roles))
        out.extend(_mutual(duty, before, new_roles))
    return tuple(out)


def still_open(
    duties: Iterable[OpenObligation],
    informed: Iterable[Informed],
    seq: int,
    deadlines: Mapping[str, datetime] | None = None,
) -> tuple[OpenObligation, ...]:
    """``duties`` with a new open duty for each informing called for and not yet done
    (nor already pending), since event ``seq``; one whose obligation is in
    ``deadlines`` must be done by then."""
    out = list(duties)
    for item in informed:
        pending = any(
            d.obligation == item.obligation and d.recipient == item.recipient for d in out
        )
        if not item.done and not pending:
            out.append(
                OpenObligation(
                    obligation=item.obligation,
                    recipient=item.recipient,
                    due_by=item.by,
                    since=seq,
                    due=(deadlines or {}).get(item.obligation),
                )
            )
    return tuple(out)


def _on_enter(
    duty: Obligation,
    before: CaseState,
    after: tuple[str, ...],
    new_roles: Mapping[str, tuple[str, ...]],
) -> list[Informed]:
    """Entering ``duty.on_enter`` (under the named holders, if any) calls for informing."""
    if duty.on_enter is None or duty.on_enter not in after or duty.on_enter in before.configuration:
        return []
    if duty.when_role is not None:
        holders = set(new_roles.get(duty.when_role, ()))
        if not holders or (duty.when_holders and not holders & set(duty.when_holders)):
            return []
    by = new_roles.get(duty.by_role, ()) if duty.by_role else ()
    done = duty.mode == "record"
    return [
        Informed(recipient=r, by=by, obligation=duty.id, done=done)
        for r in recipients(duty, new_roles)
    ]


def _mutual(
    duty: Obligation, before: CaseState, new_roles: Mapping[str, tuple[str, ...]]
) -> list[Informed]:
    """Several holders of ``duty.mutual_role``, newly together, are informed of each other."""
    if duty.mutual_role is None:
        return []
    now = new_roles.get(duty.mutual_role, ())
    old = set(before.roles.get(duty.mutual_role, ()))
    if len(now) < 2 or (set(now) <= old and len(old) >= 2):
        return []
    return [
        Informed(
            recipient=holder,
            by=(other,),
            obligation=duty.id,
            about=f"{duty.mutual_role}:{other}",
        )
        for holder in now
        for other in now
        if other != holder
    ]
