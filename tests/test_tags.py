"""Tags on rules and criteria: declared on the card, kept on the event, chained by the audit.

Utrecht sorts its upscaling by trigger (stalled co-operation, acute crisis, calamity);
the universal card tags its calamity steps (§1.6 "Bij een calamiteit", §2.3.4) and the
criteria of stalled co-operation and of danger (§2.3.2, §2.3.3). A step's event records
the tags of its rule and of the criteria it invokes, so the timeline, the verifier and
the simulator can name and count steps by them. Events without tags are written exactly
as before tags existed: a store of that time still verifies.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from regiekaart import (
    Case,
    CommandRefused,
    Deescalate,
    Escalate,
    ImposeMeasure,
    Policy,
    PolicyError,
    RecordDecision,
    Signal,
    StepClock,
    load_policy,
)
from regiekaart.analysis.enumeration import enumerate_commands
from regiekaart.analysis.situations import default_household
from regiekaart.runtime.records import Event, structure_event, unstructure
from regiekaart.store import open_store
from regiekaart.store.audit import chain_hash
from regiekaart.testing._checks import check_tags
from store_support import Backend, quiet_logs

ROOT = Path(__file__).resolve().parent.parent
MACHINES = ROOT / "machines"
OLD_STORE = Path(__file__).parent / "stores" / "zonder-tags.sqlite"
"""A SQLite store written by regiekaart before events had tags (commit 355e573): two
cases under the universal card of that time, one through the calamity step 1 → 4, one
through 2 → 3 on huiselijk geweld and stagnatie van de samenwerking."""

OLD_EVENT_KEYS = [
    "seq", "at", "command", "rule", "source", "before", "after", "handovers", "informed",
    "fulfilled",
]  # fmt: skip
"""The keys of an event's JSON as every store before tags holds it, in that order."""

CALAMITEIT = Escalate(
    actor="burgemeester", to="fase4", criteria=("totale-escalatie",), reason="Calamiteit."
)
HULP = Escalate(actor="wijkteam", to="fase2", criteria=("hulpbehoefte",))
STAGNATIE = Escalate(
    actor="wijkteam",
    together=("veilig-thuis",),
    to="fase3",
    criteria=("stagnatie-samenwerking", "huiselijk-geweld"),
    dominance="huiselijk-geweld",
)


@pytest.fixture(autouse=True)
def _quiet() -> None:
    quiet_logs()


@pytest.fixture(scope="module")
def universeel():  # type: ignore[no-untyped-def]
    return load_policy(MACHINES / "universeel.yaml")


def new_case(policy, case_id: str = "t-1") -> Case:  # type: ignore[no-untyped-def]
    return Case.create(
        policy,
        case_id,
        actor="wijkteam",
        members=default_household(policy),
        clock=StepClock(datetime(2027, 1, 1, tzinfo=UTC)),
    )


def card(tmp_path: Path, text: str, name: str = "lokaal.yaml") -> Path:
    path = tmp_path / name
    path.write_text(
        f"regiekaart: 2\nextends: {MACHINES / 'universeel.yaml'}\nid: lokaal\ntitle: t\n{text}",
        encoding="utf-8",
    )
    return path


# -- the card ----------------------------------------------------------------------------------


def test_the_universal_card_tags_its_calamity_steps_and_the_triggers_of_fase3(universeel) -> None:  # type: ignore[no-untyped-def]
    assert list(universeel.tags) == ["stagnatie-samenwerking", "onveiligheid", "calamiteit"]
    assert universeel.tags["calamiteit"].title == "Calamiteit"
    assert "§1.6" in universeel.tags["calamiteit"].source
    assert universeel.transitions["calamiteit-1-4"].tags == ("calamiteit",)
    assert universeel.transitions["calamiteit-2-4"].tags == ("calamiteit",)
    assert universeel.transitions["opschalen-2-3"].tags == ()
    assert universeel.criteria["stagnatie-samenwerking"].tags == ("stagnatie-samenwerking",)
    assert universeel.criteria["huiselijk-geweld"].tags == ("onveiligheid",)
    assert universeel.tag_title("onveiligheid") == "Onveiligheid"
    assert universeel.tag_title("elders") == "elders"


def test_a_misspelt_tag_is_a_located_error(tmp_path: Path) -> None:
    path = card(
        tmp_path,
        "transitions:\n  opschalen-3-4:\n    tags: [calamitiet]\n"
        "criteria:\n  overlast:\n    text: Overlast.\n    tags: [onveiligheid, overlst]\n",
    )
    with pytest.raises(PolicyError) as raised:
        load_policy(path)
    text = str(raised.value)
    assert "lokaal.yaml:7 transitions.opschalen-3-4.tags[0]: unknown tag 'calamitiet'" in text
    assert "criteria.overlast.tags[1]: unknown tag 'overlst'" in text
    assert "(known tags: stagnatie-samenwerking, onveiligheid, calamiteit)" in text


def test_a_tag_on_a_measure_decision_or_activity_is_checked_too(tmp_path: Path) -> None:
    path = card(
        tmp_path,
        "measures:\n  options:\n    ots:\n      tags: [x1]\n"
        "decisions:\n  fase3-plan:\n    tags: [x2]\n"
        "activities:\n  signaal:\n    tags: [x3]\n",
    )
    with pytest.raises(PolicyError) as raised:
        load_policy(path)
    text = str(raised.value)
    for where in ("measures.options.ots.tags[0]", "decisions.fase3-plan.tags[0]"):
        assert where in text
    assert "activities.signaal.tags[0]: unknown tag 'x3'" in text


def test_a_card_that_declares_no_tags_may_use_any(tmp_path: Path) -> None:
    path = tmp_path / "kaart.yaml"
    text = (MACHINES / "universeel.yaml").read_text(encoding="utf-8")
    start, end = text.index("\ntags:\n"), text.index("\nphases:\n")
    path.write_text(text[:start] + text[end:], encoding="utf-8")
    policy = load_policy(path)
    assert policy.tags == {}
    assert policy.transitions["calamiteit-1-4"].tags == ("calamiteit",)
    assert policy.tag_title("calamiteit") == "calamiteit"


@pytest.mark.parametrize(
    ("yaml", "message"),
    [
        ("tags:\n  Calamiteit: {title: C}\n", "tags"),
        ("tags:\n  crisis: {}\n", "'title' is a required property"),
        ("tags:\n  crisis: {title: C, colour: rood}\n", "colour"),
        ("transitions:\n  opschalen-3-4:\n    tags: calamiteit\n", "is not of type 'array'"),
        ("transitions:\n  opschalen-3-4:\n    tags: [calamiteit, calamiteit]\n", "unique"),
    ],
)
def test_the_schema_refuses_a_malformed_tag(tmp_path: Path, yaml: str, message: str) -> None:
    with pytest.raises(PolicyError, match=message):
        load_policy(card(tmp_path, yaml))


def test_a_local_card_adds_a_tag_and_removes_one(tmp_path: Path) -> None:
    path = card(
        tmp_path,
        "tags:\n  crisis: {title: Acute crisis, source: Utrecht}\n  calamiteit: null\n"
        "transitions:\n  calamiteit-1-4: {tags: [crisis]}\n  calamiteit-2-4: {tags: [crisis]}\n",
    )
    policy = load_policy(path)
    assert list(policy.tags) == ["stagnatie-samenwerking", "onveiligheid", "crisis"]
    assert policy.transitions["calamiteit-1-4"].tags == ("crisis",)


# -- the event ---------------------------------------------------------------------------------


def test_the_calamity_is_recorded_with_its_tag(universeel) -> None:  # type: ignore[no-untyped-def]
    case = new_case(universeel)
    event = case.apply(CALAMITEIT)
    assert (event.rule, event.tags) == ("calamiteit-1-4", ("calamiteit",))
    assert unstructure(event)["tags"] == ["calamiteit"]


def test_the_event_records_the_tags_of_the_criteria_invoked_once_and_sorted(universeel) -> None:  # type: ignore[no-untyped-def]
    case = new_case(universeel)
    assert case.apply(HULP).tags == ()
    event = case.apply(STAGNATIE)
    assert event.rule == "opschalen-2-3"
    assert event.tags == ("onveiligheid", "stagnatie-samenwerking")
    both = Escalate(actor="ambtenaar-oov", to="fase4", criteria=("dreigende-onveiligheid",))
    assert case.apply(both).tags == ("onveiligheid",)


def test_measures_decisions_and_activities_record_their_own_tags(tmp_path: Path) -> None:
    path = card(
        tmp_path,
        "tags:\n  gedwongen: {title: Gedwongen kader}\n  melding: {title: Signaal}\n"
        "measures:\n  options:\n    ots: {tags: [gedwongen]}\n"
        "decisions:\n  burgemeester-informeren: {tags: [calamiteit]}\n"
        "activities:\n  signaal: {tags: [melding]}\n",
    )
    policy = load_policy(path)
    case = new_case(policy)
    assert case.apply(Signal(actor="wijkteam")).tags == ("melding",)
    case.apply(HULP)
    member = next(m.id for m in case.state.members if m.group == "jeugd")
    imposed = case.apply(ImposeMeasure(actor="kinderrechter", measure="ots", member=member))
    assert imposed.tags == ("gedwongen",)
    case.apply(STAGNATIE)
    decided = case.apply(
        RecordDecision(actor="wethouder-jeugd", decision="burgemeester-informeren")
    )
    assert decided.tags == ("calamiteit",)


def test_an_event_without_tags_is_written_exactly_as_before(universeel) -> None:  # type: ignore[no-untyped-def]
    case = new_case(universeel)
    case.apply(HULP)
    for event in case.events:
        data = unstructure(event)
        assert list(data) == OLD_EVENT_KEYS
        assert structure_event(data) == event
    snapshot = case.snapshot().to_json()
    assert all("tags" not in event for event in snapshot["log"])


def test_a_stored_event_of_before_tags_reads_back_without_tags() -> None:
    con = sqlite3.connect(OLD_STORE)
    bodies = [json.loads(b) for (b,) in con.execute("SELECT body FROM events ORDER BY seq")]
    con.close()
    for body in bodies:
        assert list(body) == OLD_EVENT_KEYS
        event = structure_event(body)
        assert event.tags == ()
        assert unstructure(event) == body


def test_replay_gives_the_same_tags(universeel) -> None:  # type: ignore[no-untyped-def]
    case = new_case(universeel)
    for command in (HULP, STAGNATIE):
        case.apply(command)
    again = Case.replay(universeel, case.case_id, case.events)
    assert [e.tags for e in again.events] == [e.tags for e in case.events]
    assert again.events == case.events
    restored = Case.restore(universeel, json.loads(json.dumps(case.snapshot().to_json())))
    assert [e.tags for e in restored.events] == [e.tags for e in case.events]


@cache
def _universeel() -> Policy:
    return load_policy(MACHINES / "universeel.yaml")


@settings(max_examples=20, deadline=None, derandomize=True, database=None)
@given(st.lists(st.integers(min_value=0, max_value=10_000), min_size=1, max_size=10))
def test_every_accepted_step_carries_its_rules_and_criterias_tags(choices: list[int]) -> None:
    """Whatever a case goes through, each event's tags are exactly those the card gives
    its rule and the criteria its command invokes (the same check the hypothesis machine
    of ``regiekaart.testing`` runs after every step)."""
    policy = _universeel()
    case = new_case(policy)
    for choice in choices:
        options = enumerate_commands(policy, case.state, refusals=False)
        if not options:
            break  # closed
        try:
            event = case.apply(options[choice % len(options)])
        except CommandRefused:
            continue
        check_tags(policy, event, ())


# -- the store ---------------------------------------------------------------------------------


@pytest.fixture
def old_store(tmp_path: Path) -> str:
    copy = tmp_path / "zonder-tags.sqlite"
    shutil.copyfile(OLD_STORE, copy)
    return f"sqlite:///{copy}"


def test_a_store_written_before_tags_verifies_and_replays(old_store: str) -> None:
    with open_store(old_store) as store:
        reports = store.verify()
        assert [(r.case_id, r.ok, r.replayed) for r in reports] == [
            ("voor-tags-1", True, True),
            ("voor-tags-2", True, True),
        ]
        assert all(e.event().tags == () for e in store.history("voor-tags-1"))


def test_a_case_of_before_tags_goes_on_with_tagged_events(old_store: str, universeel) -> None:  # type: ignore[no-untyped-def]
    clock = StepClock(datetime(2027, 1, 1, tzinfo=UTC))
    with open_store(old_store) as store:
        deescalate = Deescalate(
            actor="burgemeester", to="fase3", criteria=("gevaar-onder-controle",)
        )
        plan = RecordDecision(actor="veiligheidshuis", decision="fase3-plan")
        store.send(universeel, "voor-tags-1", plan, clock=clock)
        store.send(universeel, "voor-tags-1", deescalate, clock=clock)
        case = store.load(universeel, "voor-tags-1", clock=clock)
        assert [e.tags for e in case.events] == [()] * 5
        fresh = new_case(universeel, "na-tags")
        fresh.apply(CALAMITEIT)
        store.create(fresh)
        assert store.load(universeel, "na-tags").events[-1].tags == ("calamiteit",)
        assert all(r.ok and r.replayed for r in store.verify())


def test_a_changed_tag_breaks_the_chain(tmp_path: Path, universeel) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "store.sqlite"
    with open_store(f"sqlite:///{path}") as store:
        case = new_case(universeel, "k-1")
        case.apply(CALAMITEIT)
        store.create(case)
        assert store.verify()[0].ok
    con = sqlite3.connect(path)
    (body,) = con.execute("SELECT body FROM events WHERE seq = 2").fetchone()
    forged = json.loads(body)
    assert forged["tags"] == ["calamiteit"]
    forged["tags"] = ["stagnatie-samenwerking"]
    _drop_guards(con)
    con.execute("UPDATE events SET body = ? WHERE seq = 2", (json.dumps(forged),))
    con.commit()
    con.close()
    with open_store(f"sqlite:///{path}") as store:
        report = store.verify()[0]
    assert not report.ok
    assert report.broken is not None
    assert report.broken.seq == 2
    assert "altered" in report.broken.detail


def test_a_changed_tag_rehashed_is_caught_by_the_replay(tmp_path: Path, universeel) -> None:  # type: ignore[no-untyped-def]
    """A writer who rewrites the chain over a forged tag is still caught: replaying the
    command under the card it was decided under gives the card's tags."""
    path = tmp_path / "store.sqlite"
    with open_store(f"sqlite:///{path}") as store:
        case = new_case(universeel, "k-1")
        case.apply(CALAMITEIT)
        store.create(case)
    con = sqlite3.connect(path)
    _drop_guards(con)
    rows = con.execute(
        "SELECT seq, policy_digest, body, state_digest FROM events ORDER BY seq"
    ).fetchall()
    prev = "0" * 64
    for seq, digest, body, state in rows:
        data = json.loads(body)
        if seq == 2:
            data["tags"] = []
        hashed = chain_hash(prev, "k-1", digest, data, state)
        con.execute(
            "UPDATE events SET body = ?, prev_hash = ?, hash = ? WHERE seq = ?",
            (json.dumps(data), prev, hashed, seq),
        )
        prev = hashed
    con.execute("UPDATE cases SET head_hash = ?", (prev,))
    con.commit()
    con.close()
    with open_store(f"sqlite:///{path}") as store:
        report = store.verify()[0]
    assert report.broken is not None
    assert "its tags differs" in report.broken.detail


def _drop_guards(con: sqlite3.Connection) -> None:
    """What a writer with full access to the database file can do."""
    for (name,) in con.execute("SELECT name FROM sqlite_master WHERE type='trigger'").fetchall():
        con.execute(f"DROP TRIGGER {name}")


def test_the_event_type_keeps_tags_last() -> None:
    """New fields of an event go after the ones stores already hold: tags came after
    every field of the first stores, and later fields come after tags."""
    names = [f.name for f in attrs.fields(Event)]
    first = ["seq", "at", "command", "rule", "source", "before", "after", "handovers"]
    assert names[: len(first) + 3] == [*first, "informed", "fulfilled", "tags"]


def test_a_tagged_case_comes_back_with_its_tags_from_every_backend(db: Backend) -> None:
    policy = _universeel()
    with open_store(db.url) as store:
        case = new_case(policy, "k-1")
        case.apply(HULP)
        store.create(case)
        store.send(policy, "k-1", STAGNATIE, clock=StepClock(datetime(2027, 2, 1, tzinfo=UTC)))
        loaded = store.load(policy, "k-1")
        assert [e.tags for e in loaded.events] == [
            (),
            (),
            ("onveiligheid", "stagnatie-samenwerking"),
        ]
        bodies = [row.body for row in store.history("k-1")]
        assert ["tags" in body for body in bodies] == [False, False, True]
        report = store.verify()[0]
        assert report.ok
        assert report.replayed
