"""Time on a case: a measure's term runs out, a stay in a phase is up, a duty is late.

On ``tests/cards/termijnen.yaml`` an IBS lasts at most three days, an OTS two weeks,
extendable by the kinderrechter two weeks at a time up to six weeks, a machtiging a
calendar month; fase 3 lasts at most eight weeks, after which the card expects
afschalen naar fase 2; the burgemeester is informed of fase 4 within a day. Nothing
ends by itself: ``Case.due`` says what is due, and an ``expire`` command, refused
before its time, ends a measure like any other command.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from case_stories import HOUSEHOLD
from regiekaart import (
    Case,
    CommandRefused,
    EndMeasure,
    Escalate,
    ExpireMeasure,
    ExtendMeasure,
    ExtensionNotAllowed,
    ImposeMeasure,
    Inform,
    InvalidCommand,
    InvalidTime,
    NotAuthorized,
    NotExpired,
    Policy,
    SnapshotMismatch,
    load_policy,
)
from regiekaart.runtime.deadlines import Due, due, next_due
from regiekaart.runtime.records import ActiveMeasure, unstructure

CARD = Path(__file__).resolve().parent / "cards" / "termijnen.yaml"
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


class Clock:
    """A clock a story moves by hand: every command is recorded at ``now``."""

    def __init__(self, now: datetime = T0) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def later(self, **length: float) -> datetime:
        self.now += timedelta(**length)
        return self.now


@pytest.fixture(scope="module")
def termijnen() -> Policy:
    return load_policy(CARD)


def opened(policy: Policy, clock: Clock) -> Case:
    """A household in fase 2: the wijkteam took the case on the person's need of help."""
    case = Case.create(policy, "casus-t", actor="wijkteam", members=HOUSEHOLD, clock=clock)
    case.apply(Escalate(actor="wijkteam", to="fase2", criteria=["hulpbehoefte"]))
    return case


IBS = ImposeMeasure(actor="burgemeester", measure="ibs", member="ouder")
OTS = ImposeMeasure(actor="kinderrechter", measure="ots", member="kind")
EXPIRE_IBS = ExpireMeasure(actor="wijkteam", measure="ibs", member="ouder")


def unchanged(case: Case, refused: type[CommandRefused], command: object) -> CommandRefused:
    """Apply ``command``, which must be refused as ``refused``, and leave the case as it was."""
    before, log = case.state, case.events
    with pytest.raises(refused) as raised:
        case.apply(command)  # type: ignore[arg-type]
    assert case.state == before
    assert case.events == log
    return raised.value


# -- a measure's term --------------------------------------------------------------------------


def test_an_imposed_measure_records_its_term(termijnen: Policy) -> None:
    clock = Clock()
    case = opened(termijnen, clock)
    case.apply(IBS)
    (ibs,) = case.facts.measures
    assert (ibs.since, ibs.until) == (T0, T0 + timedelta(days=3))


def test_a_measure_is_due_exactly_at_its_end_and_overdue_after(termijnen: Policy) -> None:
    clock = Clock()
    case = opened(termijnen, clock)
    case.apply(IBS)
    end = T0 + timedelta(days=3)
    assert case.due(end - timedelta(microseconds=1)) == ()
    (item,) = case.due(end)
    assert item == Due(at=end, kind="measure", what="ibs", status="due", since=T0, member="ouder")
    assert item.action == "expire"
    assert case.due(end + timedelta(seconds=1))[0].status == "overdue"
    assert case.due(T0, within=timedelta(days=3))[0].status == "upcoming"
    assert case.due(T0, within=timedelta(days=3) - timedelta(microseconds=1)) == ()


def test_due_takes_timezone_aware_times_only(termijnen: Policy) -> None:
    case = opened(termijnen, Clock())
    case.apply(IBS)
    with pytest.raises(InvalidTime, match="no time zone"):
        case.due(datetime(2026, 3, 5, 9))
    with pytest.raises(ValueError, match="negative"):
        case.due(T0, within=timedelta(days=-1))
    # Any zone is the same instant: 10:00 in Amsterdam in March is 09:00 UTC.
    amsterdam = datetime(2026, 3, 5, 10, tzinfo=ZoneInfo("Europe/Amsterdam"))
    assert amsterdam == T0 + timedelta(days=3)
    assert case.due(amsterdam)[0].status == "due"


def test_an_expiry_before_the_end_is_refused_and_changes_nothing(termijnen: Policy) -> None:
    clock = Clock()
    case = opened(termijnen, clock)
    case.apply(IBS)
    clock.later(days=3, microseconds=-1)
    refusal = unchanged(case, NotExpired, EXPIRE_IBS)
    assert isinstance(refusal, NotExpired)
    assert refusal.until == T0 + timedelta(days=3)
    assert (refusal.rule, refusal.source) == ("ibs", "test")
    assert "lasts until 2026-03-05T09:00:00+00:00" in refusal.message


def test_an_expiry_at_the_end_ends_the_measure_like_any_ending(termijnen: Policy) -> None:
    clock = Clock()
    case = opened(termijnen, clock)
    case.apply(IBS)
    assert "fase2.gedwongen" in case.configuration
    clock.later(days=3)
    event = case.apply(EXPIRE_IBS)
    assert (event.rule, event.at, event.command.type) == ("ibs", clock.now, "expire")
    assert case.facts.measures == ()
    assert "fase2.vrijwillig" in case.configuration  # back in the voluntary frame
    assert case.due(clock.now + timedelta(days=365)) == ()


def test_any_party_of_the_card_may_record_an_expiry(termijnen: Policy) -> None:
    clock = Clock()
    case = opened(termijnen, clock)
    case.apply(IBS)
    clock.later(weeks=1)
    case.apply(ExpireMeasure(actor="veilig-thuis", measure="ibs", member="ouder"))
    assert case.facts.measures == ()


def test_only_a_measure_in_force_with_a_term_expires(termijnen: Policy) -> None:
    clock = Clock()
    case = opened(termijnen, clock)
    unchanged(case, InvalidCommand, EXPIRE_IBS)
    case.apply(ImposeMeasure(actor="kinderrechter", measure="voogdij", member="kind"))
    clock.later(days=400)
    refusal = unchanged(
        case, NotExpired, ExpireMeasure(actor="wijkteam", measure="voogdij", member="kind")
    )
    assert "without a term" in refusal.message
    unchanged(case, InvalidCommand, ExpireMeasure(actor="wijkteam", measure="ibs", member="kind"))


def test_a_calendar_month_ends_on_the_same_day_of_the_next_month(termijnen: Policy) -> None:
    clock = Clock(datetime(2026, 1, 31, 12, tzinfo=UTC))
    case = opened(termijnen, clock)
    case.apply(Escalate(actor="wijkteam", to="fase3", together=["veilig-thuis"],
                        criteria=["vermoeden-onveiligheid"], dominance="zorg"))  # fmt: skip
    case.apply(ImposeMeasure(actor="rechter", measure="rm", member="ouder"))
    (rm,) = case.facts.measures
    assert rm.until == datetime(2026, 2, 28, 12, tzinfo=UTC)


# -- extending a term --------------------------------------------------------------------------


def extend(by: str = "", actor: str = "kinderrechter") -> ExtendMeasure:
    return ExtendMeasure(actor=actor, measure="ots", member="kind", by=by)


def test_a_term_is_extended_as_far_as_the_card_allows(termijnen: Policy) -> None:
    clock = Clock()
    case = opened(termijnen, clock)
    case.apply(OTS)
    clock.later(days=10)
    event = case.apply(extend())  # by what the card allows at a time: 2 weeks
    assert (event.rule, event.command.type) == ("ots", "extend")
    assert case.facts.measures[0].until == T0 + timedelta(weeks=4)
    assert case.facts.measures[0].since == T0  # the term still counts from the imposition
    case.apply(extend("1w"))
    assert case.facts.measures[0].until == T0 + timedelta(weeks=5)
    refusal = unchanged(case, ExtensionNotAllowed, extend("2w"))  # 7 weeks > 6
    assert isinstance(refusal, ExtensionNotAllowed)
    assert refusal.limit == T0 + timedelta(weeks=6)
    assert refusal.until == T0 + timedelta(weeks=5)
    assert "at most 6w from its imposition" in refusal.message
    case.apply(extend())  # the last extension stops at the limit
    assert case.facts.measures[0].until == T0 + timedelta(weeks=6)
    refusal = unchanged(case, ExtensionNotAllowed, extend())
    assert "as far as the card allows already" in refusal.message


def test_an_extension_is_refused_beyond_the_card(termijnen: Policy) -> None:
    clock = Clock()
    case = opened(termijnen, clock)
    case.apply(OTS)
    case.apply(IBS)
    refusal = unchanged(case, ExtensionNotAllowed, extend("3w"))
    assert "at most 2w at a time" in refusal.message
    unchanged(case, NotAuthorized, extend(actor="wijkteam"))
    refusal = unchanged(
        case,
        ExtensionNotAllowed,
        ExtendMeasure(actor="burgemeester", measure="ibs", member="ouder"),
    )
    assert "no extension" in refusal.message
    clock.later(weeks=2)
    refusal = unchanged(case, ExtensionNotAllowed, extend())
    assert "cannot be extended (impose it anew)" in refusal.message
    assert isinstance(refusal, ExtensionNotAllowed)
    assert refusal.until == T0 + timedelta(weeks=2)


def test_an_extension_names_a_duration_as_a_card_writes_one() -> None:
    with pytest.raises(ValueError, match="by: '2 weken' is not a duration"):
        extend("2 weken")


# -- a state's longest stay and a duty's deadline ----------------------------------------------


def test_a_stay_in_a_phase_is_due_with_the_rule_the_card_expects(termijnen: Policy) -> None:
    clock = Clock()
    case = opened(termijnen, clock)
    clock.later(days=1)
    case.apply(Escalate(actor="wijkteam", to="fase3", together=["veilig-thuis"],
                        criteria=["vermoeden-onveiligheid"], dominance="zorg"))  # fmt: skip
    entered = clock.now
    (timer,) = case.state.timers
    assert (timer.state, timer.since, timer.until) == (
        "fase3",
        entered,
        entered + timedelta(weeks=8),
    )
    clock.later(weeks=3)
    case.apply(IBS)  # the frame changes within fase 3: the stay goes on
    assert case.state.timers == (timer,)
    (item,) = [d for d in case.due(entered + timedelta(weeks=9)) if d.kind == "state"]
    assert (item.what, item.status, item.rule, item.action) == (
        "fase3",
        "overdue",
        "afschalen-3-2",
        "afschalen-3-2",
    )


def test_a_duty_with_a_deadline_is_due_until_it_is_done(termijnen: Policy) -> None:
    clock = Clock()
    case = Case.create(termijnen, "casus-t", actor="wijkteam", members=HOUSEHOLD, clock=clock)
    case.apply(Escalate(actor="ambtenaar-oov", to="fase4", criteria=["totale-escalatie"]))
    (duty,) = [d for d in case.open_obligations if d.obligation == "burgemeester-bij-fase4"]
    assert duty.due == T0 + timedelta(days=1)
    (item,) = case.due(T0 + timedelta(days=2))
    assert (item.kind, item.what, item.recipient, item.status, item.action) == (
        "duty",
        "burgemeester-bij-fase4",
        "burgemeester",
        "overdue",
        "inform",
    )
    assert item.by == duty.due_by
    clock.later(hours=2)
    case.apply(Inform(actor=duty.due_by[0], recipient="burgemeester"))
    assert case.due(T0 + timedelta(days=2)) == ()


def test_a_closed_case_has_nothing_due(termijnen: Policy) -> None:
    clock = Clock()
    case = opened(termijnen, clock)
    case.apply(OTS)
    case.reset(attrs.evolve(case.state, configuration=("afgesloten",), roles={}), case.events)
    assert case.closed
    assert case.due(T0 + timedelta(days=400)) == ()
    assert next_due(case.state) == T0 + timedelta(weeks=2)  # the state still says it


# -- records and snapshots ---------------------------------------------------------------------


def test_a_record_without_times_is_written_as_before(universeel: Policy) -> None:
    """Stored states are hash-chained over their JSON: a measure, a duty or a state
    without a time limit writes no key it did not write before."""
    untimed = ActiveMeasure(measure="voogdij", member="kind")
    assert unstructure(untimed) == {"measure": "voogdij", "member": "kind"}
    case = Case.create(universeel, "c", actor="wijkteam", members=HOUSEHOLD, clock=Clock())
    case.apply(Escalate(actor="wijkteam", to="fase2", criteria=["hulpbehoefte"]))
    assert "timers" not in unstructure(case.state)


def test_a_snapshot_with_times_restores_and_replays(termijnen: Policy) -> None:
    clock = Clock()
    case = opened(termijnen, clock)
    case.apply(OTS)
    case.apply(IBS)
    clock.later(days=4)
    case.apply(EXPIRE_IBS)
    case.apply(extend())
    data = json.loads(json.dumps(case.snapshot().to_json()))
    again = Case.restore(termijnen, data, clock=clock)
    assert again.state == case.state
    assert again.due(clock.now, within=timedelta(weeks=5)) == case.due(
        clock.now, within=timedelta(weeks=5)
    )
    assert Case.replay(termijnen, "casus-t", case.events).state == case.state


def _forged(case: Case, change: object) -> dict[str, object]:
    data = json.loads(json.dumps(case.snapshot().without_log().to_json()))
    change(data["state"])  # type: ignore[operator]
    return data


@pytest.mark.parametrize(
    ("change", "said"),
    [
        (lambda s: s["facts"]["measures"][0].update(until="2026-03-01T09:00:00+00:00"),
         "not after it began"),
        (lambda s: s["facts"]["measures"][0].update(until="2026-03-05T09:00:00"),
         "without a time zone"),
        (lambda s: s["facts"]["measures"][0].pop("until"), "a start without an end"),
        (lambda s: s.update(timers=[{"state": "fase4", "since": "2026-03-02T09:00:00+00:00",
                                     "until": "2026-03-09T09:00:00+00:00"}]),
         "fase4 has a timer but is not active"),
    ],
)  # fmt: skip
def test_a_snapshot_with_impossible_times_is_refused(
    termijnen: Policy, change: object, said: str
) -> None:
    case = opened(termijnen, Clock())
    case.apply(IBS)
    with pytest.raises(SnapshotMismatch, match=said):
        Case.restore(termijnen, _forged(case, change))


def test_a_snapshot_from_before_time_limits_restores_under_a_card_with_them(
    universeel: Policy, termijnen: Policy
) -> None:
    """A case stored before its card gave the OTS a term keeps its OTS without one: the
    term is what the measure was imposed under, so nothing is due for it."""
    case = Case.create(universeel, "c", actor="wijkteam", members=HOUSEHOLD, clock=Clock())
    case.apply(Escalate(actor="wijkteam", to="fase2", criteria=["hulpbehoefte"]))
    case.apply(ImposeMeasure(actor="kinderrechter", measure="voogdij", member="kind"))
    data = case.snapshot().without_log().to_json()
    data["policy"]["id"] = termijnen.id
    again = Case.restore(termijnen, data)
    assert again.facts.measures == case.facts.measures
    assert again.due(T0 + timedelta(days=4000)) == ()


# -- properties --------------------------------------------------------------------------------

ACTIONS = st.lists(
    st.tuples(
        st.sampled_from(["impose-ibs", "impose-ots", "expire-ibs", "expire-ots", "extend", "end"]),
        st.integers(0, 24 * 20),  # hours that pass before the command
    ),
    max_size=14,
)
COMMANDS = {
    "impose-ibs": IBS,
    "impose-ots": OTS,
    "expire-ibs": EXPIRE_IBS,
    "expire-ots": ExpireMeasure(actor="wijkteam", measure="ots", member="kind"),
    "extend": ExtendMeasure(actor="kinderrechter", measure="ots", member="kind"),
    "end": EndMeasure(actor="kinderrechter", measure="ots", member="kind"),
}


@settings(derandomize=True, database=None, deadline=None, max_examples=60)
@given(ACTIONS, st.integers(0, 24 * 30))
def test_due_lists_only_measures_in_force_and_an_expiry_is_accepted_iff_the_term_is_over(
    actions: list[tuple[str, int]], ask_after: int
) -> None:
    termijnen = load_policy(CARD)
    clock = Clock()
    case = opened(termijnen, clock)
    for action, hours in actions:
        clock.later(hours=hours)
        command = COMMANDS[action]
        before = case.state
        term = next(
            (m.until for m in before.facts.measures if m.same(command.measure, command.member)),  # type: ignore[attr-defined]
            None,
        )
        try:
            case.apply(command)
            accepted = True
        except CommandRefused:
            accepted = False
            assert case.state == before
        if isinstance(command, ExpireMeasure):
            assert accepted == (term is not None and clock.now >= term), (action, term, clock.now)
        in_force = {(m.measure, m.member) for m in case.facts.measures}
        at = clock.now + timedelta(hours=ask_after)
        for item in case.due(at, within=timedelta(weeks=8)):
            assert item.kind != "measure" or (item.what, item.member) in in_force
            assert item.status == (
                "overdue" if item.at < at else "due" if item.at == at else "upcoming"
            )
        assert list(case.due(at)) == sorted(case.due(at), key=lambda d: (d.at, d.kind, d.what))
        assert due(case.state, at) == case.due(at)
