"""The case runtime: every command applied whole, or refused with the rule and nothing changed.

The stories are the handreiking's: a household escalated by the wijkteam (§2.3.1), a
child under OTS (§2.3.2), two casusregisseurs in one family (Bijlage 1, §2.3.3), a
calamity that goes straight to fase 4 and back only after the plan for fase 3 (§2.3.4).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from structlog.testing import capture_logs

from case_stories import (
    HOUSEHOLD,
    MACHINES,
    add_procesregie,
    back_to_fase3,
    calamity,
    open_case,
    ots,
    plan_fase3,
    reclassering,
    to_fase2,
    to_fase3,
)
from regiekaart import (
    Appoint,
    Case,
    CaseClosed,
    ChangeLevel,
    CloseCase,
    Command,
    CommandRefused,
    CriteriaNotMet,
    Deescalate,
    EndMeasure,
    Escalate,
    HolderRequired,
    ImposeMeasure,
    IneligibleHolder,
    Inform,
    InvalidCommand,
    Melding,
    Member,
    NotAuthorized,
    OpenCase,
    Policy,
    PreconditionNotMet,
    RecordAdvice,
    RecordDecision,
    Signal,
    SnapshotMismatch,
    StepClock,
    TransitionNotAllowed,
    load_policy,
)
from regiekaart.runtime.records import Handover

Story = Callable[[Case], object]


def _refused(
    case: Case, command: Command, error: type[CommandRefused], rule: str
) -> CommandRefused:
    """Apply ``command``, expect ``error`` naming ``rule``, and the case exactly as it was."""
    before = case.snapshot()
    with pytest.raises(error) as raised:
        case.apply(command)
    refusal = raised.value
    assert type(refusal) is error, f"{type(refusal).__name__}: {refusal}"
    assert refusal.rule == rule
    assert refusal.command is command
    assert refusal.configuration == before.state.configuration
    assert case.snapshot() == before
    return refusal


def _in_fase2(case: Case) -> None:
    to_fase2(case)


def _in_fase3(case: Case) -> None:
    to_fase2(case)
    to_fase3(case)


def _in_fase4(case: Case) -> None:
    calamity(case)


def _closed(case: Case) -> None:
    case.apply(CloseCase(actor="wijkteam"))


def _nothing(case: Case) -> None:
    return None


# -- every command type: accepted, with the rule it fired ---------------------------------

ACCEPTED: list[tuple[str, Story, Command, str]] = [
    ("signaal (§2.3.1)", _nothing, Signal(actor="naasten"), "signaal"),
    (
        "opschalen 1→2 (§2.3.1)",
        _nothing,
        Escalate(actor="wijkteam", to="fase2", criteria=["noodzaak-hulp"]),
        "opschalen-1-2",
    ),
    (
        "opschalen binnen 2 (§2.3.2)",
        _in_fase2,
        ChangeLevel(actor="wijkteam", direction="up", criteria=["veiligheidszaak"]),
        "opschalen-binnen-2",
    ),
    (
        "OTS door de kinderrechter (§2.3.2)",
        _in_fase2,
        ImposeMeasure(actor="kinderrechter", measure="ots", member="kind"),
        "ots",
    ),
    (
        "advies, geen melding (§2.3.2)",
        _in_fase2,
        RecordAdvice(actor="wijkteam", adviser="raad-kinderbescherming"),
        "advies",
    ),
    ("melding Meldcode (Bijlage 2)", _in_fase2, Melding(actor="zorgaanbieder"), "melding"),
    (
        "behandelregie aangewezen (§2.3.2)",
        _in_fase2,
        Appoint(
            actor="wijkteam", role="behandelregie", holders={"behandelregie": ["regiebehandelaar"]}
        ),
        "appoint:behandelregie",
    ),
    (
        "opschalen 3→4 door OOV (§2.3.3)",
        _in_fase3,
        Escalate(actor="ambtenaar-oov", to="fase4", criteria=["media-aandacht"]),
        "opschalen-3-4",
    ),
    (
        "informeren (§2.3.3)",
        _in_fase3,
        Inform(actor="veilig-thuis", recipient="ambtenaar-oov"),
        "inform",
    ),
    (
        "afschalen 3→2 door procesregisseur (§2.3.3)",
        _in_fase3,
        Deescalate(actor="veilig-thuis", to="fase2", criteria=["hulp-effectief"]),
        "afschalen-3-2",
    ),
    (
        "plan voor fase 3 (§2.3.4)",
        _in_fase4,
        RecordDecision(actor="veiligheidshuis", decision="fase3-plan"),
        "fase3-plan",
    ),
    ("afsluiten (§2.3.1)", _nothing, CloseCase(actor="wijkteam"), "afsluiten"),
]


@pytest.mark.parametrize(
    ("story", "command", "rule"), [a[1:] for a in ACCEPTED], ids=[a[0] for a in ACCEPTED]
)
def test_a_command_the_card_allows_is_accepted(
    universeel: Policy, story: Story, command: Command, rule: str
) -> None:
    case = open_case(universeel)
    story(case)
    version = case.version
    event = case.apply(command)
    assert event.rule == rule
    assert event.command is command
    assert event.seq == case.version == version + 1
    assert case.events[-1] == event


def test_end_measure_is_accepted_from_who_imposed_it(universeel: Policy) -> None:
    case = open_case(universeel)
    to_fase2(case)
    ots(case)
    event = case.apply(EndMeasure(actor="kinderrechter", measure="ots", member="kind"))
    assert event.rule == "ots"
    assert case.facts.measures == ()


# -- every command type: refused with the right error and rule ----------------------------

REFUSED: list[tuple[str, Story, Command, type[CommandRefused], str]] = [
    (
        "de cliënt schaalt niet op (§2.3.1)",
        _nothing,
        Escalate(actor="client", to="fase2", criteria=["hulpbehoefte"]),
        NotAuthorized,
        "opschalen-1-2",
    ),
    (
        "opschalen zonder criterium (Bijlage 2)",
        _nothing,
        Escalate(actor="wijkteam", to="fase2"),
        CriteriaNotMet,
        "opschalen-1-2",
    ),
    (
        "criterium van een andere overgang",
        _nothing,
        Escalate(actor="wijkteam", to="fase2", criteria=["overlast"]),
        CriteriaNotMet,
        "opschalen-1-2",
    ),
    (
        "geen regel van 1 naar 3",
        _nothing,
        Escalate(actor="wijkteam", to="fase3", criteria=["overlast"]),
        TransitionNotAllowed,
        "",
    ),
    (
        "geen afschalen vanuit fase 1 (§2.3.1)",
        _nothing,
        Deescalate(actor="wijkteam", to="fase1"),
        TransitionNotAllowed,
        "geen-afschalen-vanuit-fase1",
    ),
    (
        "geen opschalen vanuit fase 4 (§2.3.4)",
        _in_fase4,
        Escalate(actor="burgemeester", to="fase4"),
        TransitionNotAllowed,
        "geen-opschalen-vanuit-fase4",
    ),
    (
        "onbekende fase",
        _nothing,
        Escalate(actor="wijkteam", to="fase5", criteria=["hulpbehoefte"]),
        InvalidCommand,
        "",
    ),
    ("onbekende partij", _nothing, Signal(actor="buurman"), InvalidCommand, ""),
    (
        "onbekend criterium",
        _nothing,
        Escalate(actor="wijkteam", to="fase2", criteria=["zomaar"]),
        InvalidCommand,
        "",
    ),
    (
        "dominantie buiten fase 3",
        _nothing,
        Escalate(actor="wijkteam", to="fase2", criteria=["hulpbehoefte"], dominance="zorg"),
        InvalidCommand,
        "opschalen-1-2",
    ),
    (
        "niet-verkiesbare casusregisseur (§2.3)",
        _nothing,
        Escalate(
            actor="wijkteam",
            to="fase2",
            criteria=["hulpbehoefte"],
            holders={"casusregie": ["ggz-aanbieder"]},
        ),
        IneligibleHolder,
        "opschalen-1-2",
    ),
    (
        "fase 3 zonder dominantie (§2.3.2)",
        _in_fase2,
        Escalate(actor="wijkteam", together=["veilig-thuis"], to="fase3", criteria=["overlast"]),
        CriteriaNotMet,
        "opschalen-2-3",
    ),
    (
        "de casusregisseur schaalt niet alleen op naar 3 (§2.3.2)",
        _in_fase2,
        Escalate(actor="wijkteam", to="fase3", criteria=["overlast"], dominance="zorg"),
        NotAuthorized,
        "opschalen-2-3",
    ),
    (
        "het wijkteam schaalt niet af binnen 2 (§2.3.2)",
        _in_fase2,
        ChangeLevel(actor="wijkteam", direction="down", criteria=["situatie-verbeterd"]),
        NotAuthorized,
        "afschalen-binnen-2",
    ),
    (
        "geen verandering binnen fase 1",
        _nothing,
        ChangeLevel(actor="wijkteam", direction="up"),
        TransitionNotAllowed,
        "",
    ),
    (
        "afschalen uit 4 zonder plan (§2.3.4)",
        _in_fase4,
        Deescalate(actor="burgemeester", to="fase3", criteria=["gevaar-onder-controle"]),
        PreconditionNotMet,
        "afschalen-4-3",
    ),
    (
        "het wijkteam schaalt niet af uit fase 4 (§2.3.4)",
        _in_fase4,
        Deescalate(actor="wijkteam", to="fase3", criteria=["gevaar-onder-controle"]),
        NotAuthorized,
        "afschalen-4-3",
    ),
    (
        "maatregel niet in fase 1",
        _nothing,
        ImposeMeasure(actor="kinderrechter", measure="ots", member="kind"),
        TransitionNotAllowed,
        "ots",
    ),
    (
        "OTS alleen door de rechter (§2.3.2)",
        _in_fase2,
        ImposeMeasure(actor="wijkteam", measure="ots", member="kind"),
        NotAuthorized,
        "ots",
    ),
    (
        "OTS niet voor een volwassene",
        _in_fase2,
        ImposeMeasure(actor="kinderrechter", measure="ots", member="ouder"),
        InvalidCommand,
        "ots",
    ),
    (
        "onbekend gezinslid",
        _in_fase2,
        ImposeMeasure(actor="kinderrechter", measure="ots", member="buurkind"),
        InvalidCommand,
        "",
    ),
    (
        "maatregel die niet loopt",
        _in_fase2,
        EndMeasure(actor="kinderrechter", measure="ots", member="kind"),
        InvalidCommand,
        "ots",
    ),
    (
        "advies niet door de cliënt (§2.3.2)",
        _in_fase2,
        RecordAdvice(actor="client", adviser="veilig-thuis"),
        NotAuthorized,
        "advies",
    ),
    (
        "advies van wie geen advies geeft",
        _in_fase2,
        RecordAdvice(actor="wijkteam", adviser="wethouder"),
        InvalidCommand,
        "advies",
    ),
    (
        "geen advies in fase 4",
        _in_fase4,
        RecordAdvice(actor="wijkteam", adviser="veilig-thuis"),
        TransitionNotAllowed,
        "advies",
    ),
    (
        "melding alleen door professionals",
        _nothing,
        Melding(actor="naasten"),
        NotAuthorized,
        "melding",
    ),
    (
        "melding bij Veilig Thuis, niet elders",
        _nothing,
        Melding(actor="wijkteam", to="politie"),
        InvalidCommand,
        "melding",
    ),
    (
        "plan voor fase 3 niet in fase 1",
        _nothing,
        RecordDecision(actor="veiligheidshuis", decision="fase3-plan"),
        TransitionNotAllowed,
        "fase3-plan",
    ),
    (
        "plan alleen door het Veiligheidshuis (§2.3.4)",
        _in_fase4,
        RecordDecision(actor="wijkteam", decision="fase3-plan"),
        NotAuthorized,
        "fase3-plan",
    ),
    (
        "onbekend besluit",
        _in_fase4,
        RecordDecision(actor="burgemeester", decision="noodverordening"),
        InvalidCommand,
        "",
    ),
    (
        "behandelregie niet door de cliënt",
        _in_fase2,
        Appoint(
            actor="client", role="behandelregie", holders={"behandelregie": ["regiebehandelaar"]}
        ),
        NotAuthorized,
        "appoint:behandelregie",
    ),
    (
        "behandelregie alleen bij de regiebehandelaar",
        _in_fase2,
        Appoint(actor="wijkteam", role="behandelregie", holders={"behandelregie": ["wijkteam"]}),
        IneligibleHolder,
        "appoint:behandelregie",
    ),
    (
        "aanwijzen zonder houder",
        _in_fase2,
        Appoint(actor="wijkteam", role="behandelregie"),
        HolderRequired,
        "appoint:behandelregie",
    ),
    (
        "niemand wijst de teamleider aan",
        _in_fase2,
        Appoint(
            actor="wijkteam",
            role="operationeel_verantwoordelijk",
            holders={"operationeel_verantwoordelijk": ["teamleider-toegang"]},
        ),
        NotAuthorized,
        "appoint:operationeel_verantwoordelijk",
    ),
    (
        "geen procesregie in fase 1 (§2.3)",
        _nothing,
        Appoint(actor="wijkteam", role="procesregie", holders={"procesregie": ["veilig-thuis"]}),
        TransitionNotAllowed,
        "",
    ),
    (
        "afsluiten alleen vanuit fase 1",
        _in_fase2,
        CloseCase(actor="wijkteam"),
        TransitionNotAllowed,
        "",
    ),
    (
        "afsluiten door het wijkteam (§2.3.1)",
        _nothing,
        CloseCase(actor="client"),
        NotAuthorized,
        "afsluiten",
    ),
    (
        "openen van een open casus",
        _nothing,
        OpenCase(actor="wijkteam", members=HOUSEHOLD),
        InvalidCommand,
        "",
    ),
    (
        "informeren na afsluiten",
        _closed,
        Inform(actor="wijkteam", recipient="wethouder"),
        CaseClosed,
        "",
    ),
    ("signaal na afsluiten", _closed, Signal(actor="wijkteam"), CaseClosed, ""),
]


@pytest.mark.parametrize(
    ("story", "command", "error", "rule"), [r[1:] for r in REFUSED], ids=[r[0] for r in REFUSED]
)
def test_a_refused_command_names_the_rule_and_changes_nothing(
    universeel: Policy, story: Story, command: Command, error: type[CommandRefused], rule: str
) -> None:
    case = open_case(universeel)
    story(case)
    refusal = _refused(case, command, error, rule)
    if rule in universeel.transitions:
        assert refusal.source == universeel.transitions[rule].source


def test_west_brabant_wants_the_zorg_en_veiligheidshuis_of_the_werkgebied_named(
    west_brabant: Policy,
) -> None:
    """§2.1: with two huizen, opschalen under veiligheid dominance names which one."""
    case = open_case(west_brabant)
    to_fase2(case)
    command = Escalate(
        actor="wijkteam",
        together=["zvh-baronie"],
        to="fase3",
        criteria=["overlast"],
        dominance="veiligheid",
    )
    refusal = _refused(case, command, HolderRequired, "opschalen-2-3")
    assert "zvh-baronie" in str(refusal)
    assert "zvh-markiezaten" in str(refusal)
    to_fase3(case, dominance="veiligheid", procesregie=["zvh-markiezaten"])
    assert case.roles["procesregie"] == ("zvh-markiezaten",)
    assert case.roles["bestuurlijk_verantwoordelijk"] == ("burgemeester",)
    assert case.roles["operationeel_verantwoordelijk"] == ("manager-veiligheidshuis",)


def test_opening_a_case_checks_the_household(universeel: Policy) -> None:
    with pytest.raises(InvalidCommand, match="unknown party"):
        Case.create(universeel, "c", actor="buurman")
    with pytest.raises(InvalidCommand, match="unique"):
        Case.create(universeel, "c", actor="wijkteam", members=[Member(id="a", group="jeugd")] * 2)
    with pytest.raises(InvalidCommand, match="unknown member group 'senior'"):
        Case.create(universeel, "c", actor="wijkteam", members=[Member(id="a", group="senior")])


# -- the handreiking's stories ------------------------------------------------------------


def test_casusregie_is_handed_over_warmly_on_opschalen(universeel: Policy) -> None:
    """Gedragsregel 1: the wijkteam is in place as the client lets go of casusregie."""
    case = open_case(universeel)
    assert case.roles["casusregie"] == ("client",)
    event = to_fase2(case)
    assert Handover(role="casusregie", released=("client",), to=("wijkteam",)) in event.handovers
    for event in case.events:
        for handover in event.handovers:
            if handover.role == "casusregie" and "fase2" in event.after:
                assert handover.to, f"event {event.seq} let casusregie go without a successor"


def test_the_procesregisseur_is_added_when_it_must_and_goes_when_it_can(universeel: Policy) -> None:
    """§2.3.2: procesregie wordt toegevoegd wanneer het moet en verdwijnt wanneer het kan."""
    case = open_case(universeel)
    to_fase2(case)
    assert "procesregie" not in case.roles
    add_procesregie(case)
    assert case.roles["procesregie"] == ("gemeentelijk-procesregisseur",)
    case.apply(
        ChangeLevel(
            actor="multidisciplinair-team", direction="down", criteria=["situatie-verbeterd"]
        )
    )
    assert "procesregie" not in case.roles
    assert case.roles["casusregie"] == ("wijkteam",), "the casusregisseur keeps the daily regie"


def test_a_child_under_ots_moves_to_the_gedwongen_kader(universeel: Policy) -> None:
    """§2.3.2: with an OTS casusregie lies with the gecertificeerde instelling; when the
    measure ends the case returns to the vrijwillig kader and the wijkteam."""
    case = open_case(universeel)
    to_fase2(case)
    event = ots(case)
    assert case.configuration == ("fase2", "fase2.gedwongen")
    assert case.roles["casusregie"] == ("gecertificeerde-instelling",)
    assert event.handovers == (
        Handover(role="casusregie", released=("wijkteam",), to=("gecertificeerde-instelling",)),
    )
    case.apply(EndMeasure(actor="kinderrechter", measure="ots", member="kind"))
    assert case.configuration == ("fase2", "fase2.vrijwillig")
    assert case.roles["casusregie"] == ("wijkteam",)


def test_measures_in_force_keep_the_case_in_the_phases_of_the_measures(universeel: Policy) -> None:
    case = open_case(universeel)
    to_fase2(case)
    ots(case)
    refusal = _refused(
        case,
        Deescalate(actor="wijkteam", to="fase1", criteria=["draagkracht-in-balans"]),
        PreconditionNotMet,
        "afschalen-2-1",
    )
    assert "measures are in force" in str(refusal)


def test_two_casusregisseurs_are_informed_of_each_other(universeel: Policy) -> None:
    """Bijlage 1, §2.3.3: Reclassering for a parent and a gecertificeerde instelling for
    a child; both are recorded as informed of the other."""
    case = open_case(universeel)
    to_fase2(case)
    ots(case)
    event = reclassering(case)
    assert case.roles["casusregie"] == ("gecertificeerde-instelling", "reclassering")
    told = {(i.recipient, i.by, i.obligation) for i in event.informed}
    assert (
        "gecertificeerde-instelling",
        ("reclassering",),
        "casusregisseurs-kennen-elkaar",
    ) in told
    assert (
        "reclassering",
        ("gecertificeerde-instelling",),
        "casusregisseurs-kennen-elkaar",
    ) in told
    assert case.open_obligations == (), "a record obligation leaves no task open"


def test_regie_of_veilig_thuis_in_fase3_obliges_informing_oov_and_wethouder(
    universeel: Policy,
) -> None:
    """§2.3.3: neemt Veilig Thuis de regie, dan worden de ambtenaar OOV en de wethouder
    geïnformeerd — an open obligation of the procesregisseur until it is done."""
    case = open_case(universeel)
    to_fase2(case)
    to_fase3(case, dominance="huiselijk-geweld")
    assert case.roles["procesregie"] == ("veilig-thuis",)
    assert case.roles["bestuurlijk_verantwoordelijk"] == ("wethouder-jeugd",)
    duties = {(o.obligation, o.recipient, o.due_by) for o in case.open_obligations}
    assert duties == {
        ("oov-en-wethouder-informeren", "ambtenaar-oov", ("veilig-thuis",)),
        ("oov-en-wethouder-informeren", "wethouder", ("veilig-thuis",)),
    }
    someone_else = case.apply(Inform(actor="wijkteam", recipient="ambtenaar-oov"))
    assert someone_else.fulfilled == ()
    assert len(case.open_obligations) == 2
    done = case.apply(Inform(actor="veilig-thuis", recipient="ambtenaar-oov"))
    assert done.fulfilled == ("oov-en-wethouder-informeren:ambtenaar-oov",)
    case.apply(Inform(actor="veilig-thuis", recipient="wethouder"))
    assert not case.open_obligations


def test_the_wethouder_decides_to_inform_the_burgemeester(universeel: Policy) -> None:
    """§2.3.3: de wethouder bepaalt of ook de burgemeester wordt geïnformeerd."""
    case = open_case(universeel)
    to_fase2(case)
    to_fase3(case, dominance="zorg")
    _refused(
        case,
        RecordDecision(actor="ambtenaar-oov", decision="burgemeester-informeren"),
        NotAuthorized,
        "burgemeester-informeren",
    )
    event = case.apply(RecordDecision(actor="wethouder-wmo", decision="burgemeester-informeren"))
    assert [i.recipient for i in event.informed] == ["burgemeester"]


def test_the_calamity_returns_to_fase3_only_after_the_plan(universeel: Policy) -> None:
    """§1.6, §2.3.4: 1→4 directly; afschalen is refused until the Veiligheidshuis has made
    the plan for fase 3, then the burgemeester decides; the plan lapses with fase 4."""
    case = open_case(universeel)
    event = calamity(case)
    assert case.configuration == ("fase4", "fase4.veiligheid", "fase4.zorg")
    assert case.roles["procesregie"] == ("ambtenaar-oov", "coordinator-pshi")
    assert "burgemeester" in case.roles["bestuurlijk_verantwoordelijk"]
    assert [i.recipient for i in event.informed] == ["burgemeester"]
    _refused(
        case,
        Deescalate(actor="burgemeester", to="fase3", criteria=["gevaar-onder-controle"]),
        PreconditionNotMet,
        "afschalen-4-3",
    )
    plan_fase3(case)
    assert case.facts.has("fase3-plan")
    back_to_fase3(case)
    assert tuple(case.configuration) == ("fase3", "fase3.vrijwillig")
    assert tuple(case.roles["procesregie"]) == ("veiligheidshuis",)
    assert not case.facts.has("fase3-plan"), "a decision's fact lapses when its phase is left"
    case.apply(Escalate(actor="ambtenaar-oov", to="fase4", criteria=["dreigende-onrust"]))
    _refused(
        case,
        Deescalate(actor="burgemeester", to="fase3", criteria=["veilig-onderdak"]),
        PreconditionNotMet,
        "afschalen-4-3",
    )


def test_dominance_lapses_below_fase3(universeel: Policy) -> None:
    case = open_case(universeel)
    to_fase2(case)
    to_fase3(case, dominance="zorg")
    assert case.facts.dominance == "zorg"
    case.apply(Deescalate(actor="mass-oggz", to="fase2", criteria=["stagnatie-opgeheven"]))
    assert case.facts.dominance is None


def test_close_then_every_command_is_refused_as_closed(universeel: Policy) -> None:
    case = open_case(universeel)
    event = case.apply(CloseCase(actor="wijkteam"))
    assert case.closed
    assert case.configuration == ("afgesloten",)
    assert case.roles == {}
    assert {h.role for h in event.handovers} == {
        "casusregie",
        "bestuurlijk_verantwoordelijk",
        "operationeel_verantwoordelijk",
        "in_overleg_met",
    }
    for command in (
        Escalate(actor="wijkteam", to="fase2", criteria=["hulpbehoefte"]),
        CloseCase(actor="wijkteam"),
        Signal(actor="buurman"),
    ):
        _refused(case, command, CaseClosed, "")


# -- snapshot, restore, replay ------------------------------------------------------------


def _long_story(policy: Policy) -> Case:
    case = open_case(policy)
    to_fase2(case)
    add_procesregie(case)
    ots(case)
    reclassering(case)
    to_fase3(case, dominance="huiselijk-geweld")
    case.apply(Inform(actor="veilig-thuis", recipient="ambtenaar-oov"))
    case.apply(EndMeasure(actor="kinderrechter", measure="ots", member="kind"))
    case.apply(Escalate(actor="ambtenaar-oov", to="fase4", criteria=["dreigende-onrust"]))
    plan_fase3(case)
    return case


def test_a_snapshot_is_json_and_restores_an_identical_case(universeel: Policy) -> None:
    case = _long_story(universeel)
    snapshot = case.snapshot()
    text = json.dumps(snapshot.to_json(), ensure_ascii=False)
    restored = Case.restore(universeel, json.loads(text))
    assert restored.snapshot() == snapshot
    assert restored.state == case.state
    assert restored.events == case.events
    assert restored.restored_from_digest is None


def test_a_restored_case_goes_on_exactly_as_the_original(universeel: Policy) -> None:
    case = _long_story(universeel)
    restored = Case.restore(
        universeel, case.snapshot(), clock=StepClock(datetime(2027, 1, 1, tzinfo=UTC))
    )
    for copy in (case, restored):
        back_to_fase3(copy)
        _refused(copy, CloseCase(actor="wijkteam"), TransitionNotAllowed, "")
    assert restored.state == case.state
    assert restored.configuration == ("fase3", "fase3.gedwongen")


def test_replaying_the_log_gives_an_identical_case(universeel: Policy) -> None:
    case = _long_story(universeel)
    replayed = Case.replay(universeel, case.case_id, case.events)
    assert replayed.snapshot() == case.snapshot()


def test_a_snapshot_of_another_card_is_not_restored(
    universeel: Policy, west_brabant: Policy
) -> None:
    snapshot = open_case(universeel).snapshot()
    with pytest.raises(SnapshotMismatch, match="policy 'universeel', not 'west-brabant'"):
        Case.restore(west_brabant, snapshot)
    with pytest.raises(SnapshotMismatch, match="format"):
        Case.restore(universeel, {**snapshot.to_json(), "format": 99})


def test_a_malformed_snapshot_is_a_snapshot_mismatch(universeel: Policy) -> None:
    snapshot = open_case(universeel).snapshot()
    with pytest.raises(SnapshotMismatch, match="malformed"):
        Case.restore(universeel, {**snapshot.to_json(), "state": {"roles": {}}})


def test_events_carry_the_injected_clock(universeel: Policy) -> None:
    start = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
    case = Case.create(universeel, "c", actor="wijkteam", clock=StepClock(start, timedelta(days=1)))
    to_fase2(case)
    assert [e.at for e in case.events] == [start, start + timedelta(days=1)]


# -- the audit log: one structlog event per command, no personal data ---------------------


def test_every_command_is_one_log_event_with_the_case_id_and_no_reason(universeel: Policy) -> None:
    case = open_case(universeel, "casus-42")
    reason = "Mevrouw J. de Vries, Dorpsstraat 1: zorgen om de kinderen"
    accepted = Escalate(actor="wijkteam", to="fase2", criteria=["hulpbehoefte"], reason=reason)
    refused = Escalate(actor="client", to="fase3", criteria=["overlast"], reason=reason)
    with capture_logs() as logs:
        case.apply(accepted)
        with pytest.raises(CommandRefused):
            case.apply(refused)
    assert [entry["event"] for entry in logs] == ["command.accepted", "command.refused"]
    for entry in logs:
        assert entry["case"] == "casus-42"
        assert "reason" not in entry
        assert not any(reason in str(value) for value in entry.values())
    assert logs[0]["rule"] == "opschalen-1-2"
    assert logs[1]["error"] == "NotAuthorized"


def test_opening_a_case_is_logged_too(universeel: Policy) -> None:
    with capture_logs() as logs:
        open_case(universeel, "casus-7")
    assert logs == [
        {
            "event": "command.accepted",
            "log_level": "info",
            "case": "casus-7",
            "command": "open",
            "actor": "wijkteam",
            "rule": "open",
            "seq": 1,
            "configuration": ["fase1"],
        }
    ]


@pytest.mark.parametrize("card", ["universeel", "west-brabant"])
@pytest.mark.parametrize("party", ["huisarts", "wijkagent", "school"])
def test_the_signallers_the_handreiking_names_are_parties_who_may_signal(
    card: str, party: str
) -> None:
    """§2.3.1, Bijlage 2: signals come from the huisarts, the wijkagent, school and
    others; a signal of one of them is a signal, not an unknown party."""
    policy = load_policy(MACHINES / f"{card}.yaml")
    case = Case.create(policy, "k", actor="wijkteam", clock=StepClock())
    event = case.apply(Signal(actor=party, reason="zorgen over het gezin"))
    assert event.rule == "signaal"
    assert case.state.configuration == ("fase1",)
