"""Case stories in the handreiking's words, shared by the tests of the case runtime.

Each function moves a case on the universal card one step of a story and returns the
accepted event; the parties are the ones §2.3.1-§2.3.4 name as deciders.
"""

from __future__ import annotations

from pathlib import Path

from regiekaart import (
    Case,
    ChangeLevel,
    Deescalate,
    Escalate,
    Event,
    ImposeMeasure,
    Member,
    Policy,
    RecordDecision,
    StepClock,
)

MACHINES = Path(__file__).resolve().parent.parent / "machines"
POLICIES = Path(__file__).resolve().parent / "policies"

KIND = Member(id="kind", group="jeugd")
OUDER = Member(id="ouder", group="volwassen")
HOUSEHOLD = (KIND, OUDER)


def open_case(policy: Policy, case_id: str = "casus-1") -> Case:
    """A household with a child and a parent, registered by the wijkteam in fase 1."""
    return Case.create(policy, case_id, actor="wijkteam", members=HOUSEHOLD, clock=StepClock())


def to_fase2(case: Case) -> Event:
    """§2.3.1: the wijkteam escalates to fase 2 on the person's need of help."""
    return case.apply(Escalate(actor="wijkteam", to="fase2", criteria=["hulpbehoefte"]))


def add_procesregie(case: Case) -> Event:
    """§2.3.2: opschalen within fase 2; the gemeentelijk procesregisseur is added."""
    return case.apply(
        ChangeLevel(actor="wijkteam", direction="up", criteria=["complexere-problematiek"])
    )


def to_fase3(case: Case, dominance: str = "huiselijk-geweld", **holders: list[str]) -> Event:
    """§2.3.2: the wijkteam together with Veilig Thuis escalates to fase 3."""
    return case.apply(
        Escalate(
            actor="wijkteam",
            together=["veilig-thuis"],
            to="fase3",
            criteria=["vermoeden-onveiligheid"],
            dominance=dominance,
            holders=holders,
        )
    )


def calamity(case: Case) -> Event:
    """§1.6, §2.3.4: from apparently green straight to dark red."""
    return case.apply(Escalate(actor="ambtenaar-oov", to="fase4", criteria=["totale-escalatie"]))


def plan_fase3(case: Case, by: str = "veiligheidshuis") -> Event:
    """§2.3.4: the Veiligheidshuis first makes the plan for fase 3."""
    return case.apply(RecordDecision(actor=by, decision="fase3-plan"))


def back_to_fase3(case: Case, dominance: str | None = None, **holders: list[str]) -> Event:
    """§2.3.4: the burgemeester formally decides to de-escalate to fase 3."""
    return case.apply(
        Deescalate(
            actor="burgemeester",
            to="fase3",
            criteria=["gevaar-onder-controle"],
            dominance=dominance,
            holders=holders,
        )
    )


def ots(case: Case) -> Event:
    """§2.3.2: the kinderrechter imposes an OTS on the child."""
    return case.apply(ImposeMeasure(actor="kinderrechter", measure="ots", member="kind"))


def reclassering(case: Case) -> Event:
    """§2.3.3: the court places the parent under supervision of the Reclassering."""
    return case.apply(
        ImposeMeasure(actor="rechter", measure="reclasseringstoezicht", member="ouder")
    )
