"""The case's state and audit records: plain JSON out, identical values back in."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import cattrs
import pytest

from case_stories import open_case, ots, to_fase2, to_fase3
from regiekaart import CaseState, Escalate, Event, Facts, Policy
from regiekaart.runtime.records import (
    ActiveMeasure,
    Handover,
    Informed,
    OpenObligation,
    structure_event,
    structure_state,
    unstructure,
)


def test_a_decided_fact_is_known_by_name() -> None:
    facts = Facts(flags=(("fase3-plan", "fase4"),))
    assert facts.has("fase3-plan")
    assert not facts.has("grip")


def test_a_state_round_trips_through_json(universeel: Policy) -> None:
    case = open_case(universeel)
    to_fase2(case)
    ots(case)
    to_fase3(case, dominance="zorg")
    data = json.loads(json.dumps(unstructure(case.state)))
    state = structure_state(data)
    assert state == case.state
    imposed = case.events[2].at  # an OTS lasts at most a year (BW art. 1:258)
    assert state.facts.measures == (
        ActiveMeasure(
            measure="ots", member="kind", since=imposed, until=imposed.replace(year=2027)
        ),
    )
    assert state.facts.dominance == "zorg"
    assert state.obligations[0] == OpenObligation(
        obligation="oov-en-wethouder-informeren",
        recipient="ambtenaar-oov",
        due_by=("mass-oggz",),
        since=4,
    )


def test_an_event_round_trips_with_its_command_and_time() -> None:
    event = Event(
        seq=2,
        at=datetime(2026, 1, 5, 10, 0, tzinfo=UTC),
        command=Escalate(actor="wijkteam", to="fase2", criteria=["hulpbehoefte"]),
        rule="opschalen-1-2",
        source="§2.3.1, Bijlage 2",
        before=("fase1",),
        after=("fase2", "fase2.vrijwillig"),
        handovers=(Handover(role="casusregie", released=("client",), to=("wijkteam",)),),
        informed=(Informed(recipient="wethouder", by=("wijkteam",), obligation="x", done=False),),
        fulfilled=("x:wethouder",),
    )
    data = unstructure(event)
    assert data["at"] == "2026-01-05T10:00:00+00:00"
    assert data["command"]["type"] == "escalate"
    assert structure_event(json.loads(json.dumps(data))) == event


def test_a_record_with_an_unknown_key_is_refused() -> None:
    """Records are read strictly: a key the format does not know is an error, not lost."""
    data = unstructure(CaseState(configuration=("fase1",), roles={}))
    with pytest.raises(cattrs.BaseValidationError) as raised:
        structure_state({**data, "district": "Baronie"})
    assert "extra fields found (district)" in "; ".join(cattrs.transform_error(raised.value))
