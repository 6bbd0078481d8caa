"""The informing a card's obligations call for after a step, and the duties left open.

An obligation fires on entering its state (under the named holders, if it names any)
or when several holders of a role newly share it; a duty to inform that is not
recorded as done on the spot stays open until an ``inform`` command fulfils it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from regiekaart.policy.model import Obligation, Policy
from regiekaart.runtime.records import CaseState, Informed, OpenObligation


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
    duties: Iterable[OpenObligation], informed: Iterable[Informed], seq: int
) -> tuple[OpenObligation, ...]:
    """``duties`` with a new open duty for each informing called for and not yet done
    (nor already pending), since event ``seq``."""
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
    return [Informed(recipient=r, by=by, obligation=duty.id, done=done) for r in duty.inform]


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
