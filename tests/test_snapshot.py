"""A snapshot restores only as a case could have become it.

``Case.restore`` is where a host hands the runtime a state it kept itself (a JSON file,
a queue message, its own database): each way a snapshot can lie about a case is tried
here, and each must be a :class:`SnapshotMismatch` that says what is wrong, never a
restored case and never another exception.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from case_stories import calamity, open_case, ots, to_fase2, to_fase3
from regiekaart import Case, InvalidTime, Policy, Snapshot, SnapshotMismatch, StepClock
from regiekaart.runtime.snapshot import configuration_problems, differences, state_digest

Edit = Callable[[dict[str, Any]], None]


def _story(policy: Policy) -> Case:
    case = open_case(policy)
    to_fase2(case)
    ots(case)
    return case


def _json(case: Case) -> dict[str, Any]:
    return copy.deepcopy(case.snapshot().to_json())


def _set(path: str, value: Any) -> Edit:
    def edit(data: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        target: Any = data
        for key in parents:
            target = target[int(key)] if isinstance(target, list) else target[key]
        if isinstance(target, list):
            target[int(last)] = value
        else:
            target[last] = value

    return edit


def _reverse_log(data: dict[str, Any]) -> None:
    data["log"].reverse()


def _empty_log(data: dict[str, Any]) -> None:
    data["log"] = []


def _twin_members(data: dict[str, Any]) -> None:
    members = data["state"]["members"]
    members[1]["id"] = members[0]["id"]


def _two_phases(data: dict[str, Any]) -> None:
    data["state"]["configuration"] = ["fase1", "fase2", "fase2.vrijwillig"]


# Each forgery, and a phrase the refusal must contain.
FORGERIES: dict[str, tuple[Edit, str]] = {
    "fase4 with a log that ends in fase2": (
        _set("state.configuration", ["fase4", "fase4.veiligheid", "fase4.zorg"]),
        "the last event ends in fase2",
    ),
    "fase1 and fase2 together": (_two_phases, "2 top-level states are active"),
    "an ineligible holder": (_set("state.roles.casusregie", ["client"]), "client may not hold"),
    "a required role missing": (
        _set("state.roles", {}),
        "must be held",
    ),
    "seq -5": (_set("state.seq", -5), "version -5 is outside"),
    "seq 10^30": (_set("state.seq", 10**30), "outside 1.."),
    "an empty log at version 3": (_empty_log, "the log is empty but the case is at version 3"),
    "duplicate member ids": (_twin_members, "member ids occur twice"),
    "an unknown member group": (_set("state.members.0.group", "huisdier"), "unknown group"),
    "a reversed log": (_reverse_log, "the log holds events 3, 2, 1"),
    "a sub-state without its phase": (
        _set("state.configuration", ["fase1", "fase2.vrijwillig"]),
        "fase2.vrijwillig is active without fase2",
    ),
    "a compound phase without its sub-state": (
        _set("state.configuration", ["fase2"]),
        "fase2 has 0 active sub-states",
    ),
    "a measure for a stranger": (
        _set("state.facts.measures", [{"measure": "ots", "member": "buurman"}]),
        "in force for someone who is not a member",
    ),
    "a time going backwards": (
        _set("log.2.at", "2001-01-01T00:00:00+00:00"),
        "times go backwards",
    ),
}


@pytest.mark.parametrize("name", FORGERIES)
def test_a_snapshot_no_case_could_be_in_is_refused(universeel: Policy, name: str) -> None:
    edit, said = FORGERIES[name]
    data = _json(_story(universeel))
    edit(data)
    with pytest.raises(SnapshotMismatch) as refused:
        Case.restore(universeel, data)
    assert said in str(refused.value)
    assert "case casus-1" in str(refused.value)


def test_a_state_its_log_does_not_lead_to_is_refused(universeel: Policy) -> None:
    """The forgery that passes every check of shape: an eligible holder, a legal
    configuration, a log that ends where the state is; only the replay can tell."""
    case = open_case(universeel)
    to_fase2(case)
    data = _json(case)
    assert data["state"]["roles"]["casusregie"] == ["wijkteam"]
    data["state"]["roles"]["casusregie"] = ["cjg"]
    cell = universeel.role_cell(frozenset(case.configuration), "casusregie")
    assert cell is not None
    assert "cjg" in cell.eligible_set
    with pytest.raises(SnapshotMismatch, match="not the one its log leads to") as refused:
        Case.restore(universeel, data)
    assert "roles" in str(refused.value)


def test_an_event_its_command_does_not_give_is_refused(universeel: Policy) -> None:
    data = _json(_story(universeel))
    data["log"][1]["rule"] = "opschalen-1-3"
    with pytest.raises(SnapshotMismatch, match="event 2 of the log is not what its command gives"):
        Case.restore(universeel, data)


def test_a_log_refused_under_the_card_is_named_by_its_event(universeel: Policy) -> None:
    data = _json(_story(universeel))
    data["log"][1]["command"]["actor"] = "client"
    with pytest.raises(SnapshotMismatch, match=r"event 2 \(escalate\) is refused"):
        Case.restore(universeel, data)


@pytest.mark.parametrize(
    "data",
    [
        None,
        [],
        "snapshot",
        {"format": 1},
        {"format": 1, "case": "c", "policy": "universeel", "state": {}, "log": []},
        {"format": 1, "case": "c", "policy": {}, "state": [], "log": {}},
        {"format": 1, "case": 5, "policy": {"id": 1}, "state": {"configuration": "fase1"}},
        {"format": "1"},
    ],
)
def test_a_snapshot_of_the_wrong_shape_is_a_snapshot_mismatch(
    universeel: Policy, data: Any
) -> None:
    with pytest.raises(SnapshotMismatch):
        Case.restore(universeel, data)


def test_a_snapshot_value_and_its_json_restore_alike(universeel: Policy) -> None:
    case = _story(universeel)
    value = case.snapshot()
    assert Snapshot.from_json(json.loads(json.dumps(value.to_json()))) == value
    assert Case.restore(universeel, value).snapshot() == value
    assert Case.restore(universeel, value.to_json()).snapshot() == value


def test_a_snapshot_without_its_log_restores_where_the_log_is_kept_elsewhere(
    universeel: Policy,
) -> None:
    case = _story(universeel)
    last = case.events[-1].at
    partial = case.snapshot().without_log()
    assert partial.log_from == case.version + 1
    restored = Case.restore(universeel, partial, clock=StepClock(last), since=last)
    assert restored.state == case.state
    assert restored.events == ()
    to_fase3(restored)
    late = Case.restore(universeel, partial, clock=StepClock(last), since=last + timedelta(days=1))
    with pytest.raises(InvalidTime, match="earlier than the case's last event"):
        to_fase3(late)
    assert late.state == case.state


def test_differences_name_the_changed_part_of_a_state(universeel: Policy) -> None:
    case = _story(universeel)
    forged = Snapshot.from_json(
        {**case.snapshot().to_json(), "state": {**_json(case)["state"], "seq": 7}}
    ).state
    assert differences(forged, case.state) == ["state.seq: stored 7, the events give 3"]
    assert state_digest(forged) != state_digest(case.state)
    assert state_digest(case.state) == state_digest(Case.restore(universeel, case.snapshot()).state)


def test_the_shipped_cards_configurations_are_all_legal(
    universeel: Policy, west_brabant: Policy
) -> None:
    for policy in (universeel, west_brabant):
        case = open_case(policy)
        to_fase2(case)
        ots(case)
        calamity(case)
        assert configuration_problems(policy, case.configuration) == []


# -- the clock: aware, in range, never backwards ---------------------------------------------


def test_a_naive_clock_is_refused_and_the_case_is_unchanged(universeel: Policy) -> None:
    with pytest.raises(InvalidTime, match="has no time zone"):
        Case.create(universeel, "c", actor="wijkteam", clock=lambda: datetime(2026, 1, 1))
    case = open_case(universeel)
    before = case.snapshot()
    case._clock = lambda: datetime(2027, 1, 1)
    with pytest.raises(InvalidTime):
        to_fase2(case)
    assert case.snapshot() == before


def test_times_are_recorded_in_utc(universeel: Policy) -> None:
    summer = timezone(timedelta(hours=2))
    at = datetime(2026, 6, 1, 10, 0, tzinfo=summer)
    case = Case.create(universeel, "c", actor="wijkteam", clock=lambda: at)
    assert case.events[0].at == at
    assert case.events[0].at.tzinfo is UTC
    assert case.events[0].at.hour == 8


@pytest.mark.parametrize(
    "at",
    [
        datetime(1969, 12, 31, tzinfo=UTC),
        datetime(9999, 12, 31, 23, 0, tzinfo=timezone(timedelta(hours=-2))),
    ],
)
def test_a_time_outside_the_range_is_refused(universeel: Policy, at: datetime) -> None:
    with pytest.raises(InvalidTime, match="outside the range a store keeps"):
        Case.create(universeel, "c", actor="wijkteam", clock=lambda: at)


def test_time_may_not_run_backwards_on_a_case(universeel: Policy) -> None:
    readings = iter([datetime(2026, 5, 1, tzinfo=UTC), datetime(2026, 4, 30, tzinfo=UTC)])
    case = Case.create(universeel, "c", actor="wijkteam", clock=lambda: next(readings))
    before = case.snapshot()
    with pytest.raises(InvalidTime, match="time may not run backwards"):
        to_fase2(case)
    assert case.snapshot() == before


# -- fuzz: whatever bytes a snapshot holds, restore answers in its own words -----------------

_json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=20,
)


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix]
    if isinstance(value, dict):
        for key, item in value.items():
            out += _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            out += _paths(item, (*prefix, index))
    return out


def _replace(value: Any, path: tuple[Any, ...], new: Any) -> Any:
    if not path:
        return new
    head, rest = path[0], path[1:]
    if isinstance(value, dict):
        return {**value, head: _replace(value[head], rest, new)}
    items = list(value)
    items[head] = _replace(items[head], rest, new)
    return items


@settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(data=st.data())
def test_restore_answers_any_mutation_with_a_mismatch_or_a_case(
    universeel: Policy, data: st.DataObject
) -> None:
    original = _json(_story(universeel))
    paths = _paths(original)
    mutated: Any = original
    for _ in range(data.draw(st.integers(1, 3), label="mutations")):
        path = data.draw(st.sampled_from(paths), label="path")
        try:
            mutated = _replace(mutated, path, data.draw(_json_values, label="value"))
        except (KeyError, IndexError, TypeError):
            continue
    try:
        restored = Case.restore(universeel, mutated)
    except SnapshotMismatch:
        return  # any other exception, a RegiekaartError of another kind included, fails
    # A mutation that restores must describe a case its own log leads to.
    assert Case.replay(universeel, restored.case_id, restored.events).state == restored.state


@pytest.mark.parametrize(
    ("edit", "said"),
    [
        (_set("state.seq", 2**31 - 1), "the log holds events 1, 2, 3"),
        (_set("log.1.seq", 10**8), "the log holds events 1, 100000000, 3"),
        (_set("log.1.seq", 2**64), "the log holds events 1,"),
        (_set("state.seq", "3"), "not of its type"),
        (_set("state.seq", 3.0), "not of its type"),
        (_set("format", True), "unknown snapshot format"),
        (_set("state.roles.casusregie", "wijkteam"), "not of its type"),
    ],
    ids=[
        "max-seq",
        "huge-seq",
        "seq-2**64",
        "seq-as-text",
        "seq-as-float",
        "format-true",
        "holders-as-text",
    ],
)
def test_a_snapshot_that_is_huge_or_of_another_type_is_refused_at_once(
    universeel: Policy, edit: Edit, said: str
) -> None:
    data = _json(_story(universeel))
    edit(data)
    with pytest.raises(SnapshotMismatch, match=re.escape(said)):
        Case.restore(universeel, data)


def test_the_default_log_start_may_be_written_out(universeel: Policy) -> None:
    data = _json(_story(universeel))
    data["log_from"] = 1
    assert Case.restore(universeel, data).version == 3


def test_a_refusal_does_not_repeat_member_ids(universeel: Policy) -> None:
    data = _json(_story(universeel))
    data["state"]["members"] = [{"id": "BSN123456789", "group": "jeugd"}] * 2
    with pytest.raises(SnapshotMismatch, match="occur twice") as refused:
        Case.restore(universeel, data)
    assert "BSN123456789" not in str(refused.value)
    data = _json(_story(universeel))
    data["log"][0]["command"]["members"][0]["id"] = "BSN123456789"
    with pytest.raises(SnapshotMismatch) as refused:
        Case.restore(universeel, data)
    assert "BSN123456789" not in str(refused.value)
