"""A case opened: the household checked, the chart started, the first event recorded.

Opening is not a step from a state: the chart enters its initial phase as it starts,
applying that phase's cells of the card, and the first event of every log records the
roles it settled on. The household's members must have distinct ids, each in a group
the card knows.
"""

from __future__ import annotations

from typing import Any

from statemachine import StateChart

from regiekaart.clock import Clock
from regiekaart.errors import InvalidCommand
from regiekaart.policy.model import Policy
from regiekaart.runtime import roles
from regiekaart.runtime._applying import Accepted, checked_time, event_tags, handovers
from regiekaart.runtime.chart import ChartModel, CompiledPolicy
from regiekaart.runtime.commands import OpenCase
from regiekaart.runtime.deadlines import timers_after
from regiekaart.runtime.guards import Work
from regiekaart.runtime.records import CaseState, Event, Facts


def check_open(policy: Policy, command: OpenCase) -> None:
    """Refuse an opening by an unknown party, or of a household the card cannot group."""
    if command.actor not in policy.parties:
        raise InvalidCommand(f"unknown party {command.actor!r}", command=command)
    ids = [m.id for m in command.members]
    if len(set(ids)) != len(ids):
        raise InvalidCommand("household member ids must be unique", command=command)
    for member in command.members:
        if member.group not in policy.member_groups:
            known = ", ".join(policy.member_groups)
            raise InvalidCommand(
                f"unknown member group {member.group!r} (known: {known})", command=command
            )


def open_case(
    compiled: CompiledPolicy, command: OpenCase, clock: Clock
) -> tuple[ChartModel, StateChart[Any], Accepted]:
    """A started chart on its model, and the first event with the state it opens in."""
    policy = compiled.policy
    check_open(policy, command)
    model = ChartModel()
    empty = CaseState(configuration=(), roles={}, members=command.members)
    model.work = Work(policy=policy, command=command, before=empty, facts=Facts())
    chart = compiled.new_chart(model)
    work = model.work
    configuration = compiled.configuration(chart)
    role_map = roles.settle(policy, work.roles, frozenset(configuration))
    at = checked_time(clock(), None, command)
    event = Event(
        seq=1,
        at=at,
        command=command,
        rule="open",
        after=configuration,
        handovers=handovers({}, role_map),
        tags=event_tags(policy, (), command.criteria),
    )
    state = CaseState(
        configuration=configuration,
        roles=role_map,
        members=command.members,
        seq=1,
        timers=timers_after(policy, empty, configuration, at),
    )
    return model, chart, Accepted(event=event, state=state)
