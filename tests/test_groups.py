"""Party groups: a collective such as the lokale driehoek, named once, deciding and holding.

§2.3.4: "De burgemeester is als coördinator van de driehoek ook operationeel actief";
"In overleg met → Driehoek: Politie, OM, Burgemeester, communicatieadviseur". §2.3.3:
the klein team (ambtenaar OOV/IVZ, politie, OM) makes a joint risk assessment. A card
declares such a group under ``groups:`` and names it as ``group:ID`` (any one member in
a decider slot; the members in holders, eligible and assign) or ``all:ID`` (every member
together).
"""

from __future__ import annotations

import re
from pathlib import Path

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from regiekaart import (
    Case,
    Deescalate,
    Escalate,
    NotAuthorized,
    Policy,
    PolicyErrors,
    RecordDecision,
    Signal,
    StepClock,
    load_policy,
)
from regiekaart.analysis.situations import authorised_parties, outsider, party_classes
from regiekaart.cli import app
from regiekaart.policy.model import PartyGroup
from regiekaart.render.html import render_html
from regiekaart.render.markdown import render_markdown
from regiekaart.render.view import card_view
from regiekaart.runtime.authority import authorized, describe, resolve
from regiekaart.verify.diff import card_changes
from regiekaart.verify.exhaustive import explore

ROOT = Path(__file__).resolve().parents[1]
DRIEHOEK = "the lokale driehoek together (Burgemeester, Politie, Openbaar Ministerie)"


def _documented(tmp_path: Path) -> Path:
    """The small card and the groups example of docs/policy-format.md, as files."""
    text = (ROOT / "docs" / "policy-format.md").read_text(encoding="utf-8")
    kaart = re.search(r"```yaml\n(# file: kaart\.yaml\n.*?)```", text, re.S)
    groups = re.search(r"### `groups`.*?```yaml\n(.*?)```", text, re.S)
    assert kaart is not None
    assert groups is not None
    (tmp_path / "kaart.yaml").write_text(kaart.group(1), encoding="utf-8")
    path = tmp_path / "driehoek.yaml"
    path.write_text(groups.group(1), encoding="utf-8")
    return path


@pytest.fixture
def driehoek(tmp_path: Path) -> Policy:
    return load_policy(_documented(tmp_path))


def _in_fase2(policy: Policy) -> Case:
    case = Case.create(policy, "groep-1", actor="wijkteam", clock=StepClock())
    case.apply(Escalate(actor="wijkteam", to="fase2", criteria=("hulpbehoefte",)))
    return case


def _card(tmp_path: Path, body: str) -> Path:
    """A card on the documented small card, with ``body`` added."""
    _documented(tmp_path)
    path = tmp_path / "fout.yaml"
    path.write_text(
        "regiekaart: 2\nextends: kaart\nid: fout\ntitle: Fout\n"
        "parties:\n"
        "  burgemeester: {name: Burgemeester, kind: official}\n"
        "  politie: {name: Politie, kind: official}\n" + body,
        encoding="utf-8",
    )
    return path


def _errors(path: Path) -> list[str]:
    with pytest.raises(PolicyErrors) as caught:
        load_policy(path)
    return [str(e) for e in caught.value.errors]


# -- the model -------------------------------------------------------------------------------


def test_the_documented_group_is_read_with_its_members(driehoek: Policy) -> None:
    group = driehoek.party_groups["lokale-driehoek"]
    assert group.members == ("burgemeester", "politie", "om")
    assert group.source == "§2.3.4"
    cell = driehoek.states["fase3"].roles["in_overleg_met"]
    assert cell.holders == ("burgemeester", "politie", "om")
    assert cell.written == {"holders": ("group:lokale-driehoek",)}
    assert driehoek.transitions["opschalen-2-3"].deciders[1] == ("all:lokale-driehoek",)


def test_all_members_together_is_the_together_of_the_members(driehoek: Policy) -> None:
    deciders = driehoek.transitions["opschalen-2-3"].deciders
    assert resolve(deciders, driehoek)[1] == ("burgemeester", "politie", "om")
    assert resolve((("role:procesregie|group:lokale-driehoek",),), driehoek) == (
        ("role:procesregie|burgemeester|politie|om",),
    )


# -- the runtime -----------------------------------------------------------------------------


def test_the_driehoek_escalates_only_all_together(driehoek: Policy) -> None:
    case = _in_fase2(driehoek)
    before = case.snapshot()
    command = Escalate(
        actor="burgemeester",
        together=("politie",),
        to="fase3",
        criteria=("huiselijk-geweld",),
        dominance="huiselijk-geweld",
    )
    with pytest.raises(NotAuthorized) as refused:
        case.apply(command)
    assert refused.value.rule == "opschalen-2-3"
    assert refused.value.source == "§2.3.2"
    assert str(refused.value).startswith("burgemeester with politie may not decide this")
    assert f"; or {DRIEHOEK}" in str(refused.value)
    assert case.snapshot() == before, "a refused command leaves the case as it was"
    case.apply(
        Escalate(
            actor="om",
            together=("burgemeester", "politie"),
            to="fase3",
            criteria=("huiselijk-geweld",),
            dominance="huiselijk-geweld",
        )
    )
    assert case.state.roles["in_overleg_met"] == ("burgemeester", "politie", "om")


def test_any_one_member_of_the_driehoek_may_deescalate(driehoek: Policy) -> None:
    for member in ("burgemeester", "politie", "om"):
        case = _in_fase2(driehoek)
        case.apply(
            Escalate(
                actor="wijkteam",
                together=("veilig-thuis",),
                to="fase3",
                criteria=("huiselijk-geweld",),
                dominance="huiselijk-geweld",
            )
        )
        case.apply(RecordDecision(actor="veilig-thuis", decision="veiligheidsplan"))
        with pytest.raises(NotAuthorized, match="one of the lokale driehoek"):
            case.apply(Deescalate(actor="wethouder", to="fase2", criteria=("veiligheid-hersteld",)))
        case.apply(Deescalate(actor=member, to="fase2", criteria=("veiligheid-hersteld",)))
        assert case.state.configuration[0] == "fase2"
        assert "in_overleg_met" not in case.state.roles


def test_the_klein_team_assesses_the_risk_together(universeel: Policy) -> None:
    """§2.3.3: ambtenaar OOV/IVZ, politie en OM maken een gezamenlijke risico-inschatting."""
    decision = universeel.decisions["risico-inschatting"]
    assert decision.by == (("all:klein-team",),)
    text = describe(decision.by, universeel)
    assert text == (
        "the klein team together (Ambtenaar Openbare Orde en Veiligheid (OOV/IVZ), "
        "Politie, Openbaar Ministerie)"
    )
    roles: dict[str, tuple[str, ...]] = {}
    assert authorized(decision.by, "politie", ("om", "ambtenaar-oov"), roles, universeel)
    assert not authorized(decision.by, "politie", ("om",), roles, universeel)


def test_the_driehoek_is_in_overleg_in_fase4_as_before(universeel: Policy) -> None:
    cell = universeel.states["fase4"].roles["in_overleg_met"]
    assert cell.holders == ("politie", "om", "burgemeester", "communicatieadviseur")


# -- who the explorer tries ------------------------------------------------------------------


def test_the_explorer_tries_the_whole_group_and_someone_outside_it(driehoek: Policy) -> None:
    deciders = driehoek.transitions["opschalen-2-3"].deciders
    roles = {"casusregie": ("wijkteam",)}
    tried = authorised_parties(deciders, roles, driehoek)
    assert ("burgemeester", ("politie", "om")) in tried
    stranger = outsider(driehoek, deciders, roles)
    assert stranger not in ("burgemeester", "politie", "om", "wijkteam")
    assert not authorized(deciders, stranger, (), roles, driehoek)


def test_members_of_a_deciding_group_are_not_merged_with_outsiders(driehoek: Policy) -> None:
    classes = party_classes(driehoek)
    assert classes["politie"] != classes["wethouder"]


def test_every_accepted_step_of_the_group_card_was_made_by_its_deciders(
    driehoek: Policy,
) -> None:
    run = explore(driehoek, max_states=5_000)
    assert not run.bound_hit
    assert run.status("authority") == "holds"
    assert not run.findings_for("authority")


# -- the semantic checks ---------------------------------------------------------------------


def test_a_member_must_be_a_party(tmp_path: Path) -> None:
    errors = _errors(
        _card(tmp_path, "groups:\n  g: {title: G, members: [politie, marechaussee]}\n")
    )
    assert any(
        "groups.g.members[1]: unknown party 'marechaussee' in group 'g'" in e for e in errors
    ), errors


def test_a_group_cannot_have_the_id_of_a_party(tmp_path: Path) -> None:
    errors = _errors(_card(tmp_path, "groups:\n  politie: {title: P, members: [politie]}\n"))
    assert any("groups.politie: group 'politie' has the id of a party" in e for e in errors)


def test_a_group_needs_members(tmp_path: Path) -> None:
    errors = _errors(_card(tmp_path, "groups:\n  g: {title: G, members: []}\n"))
    assert any("groups.g.members" in e for e in errors), errors


def test_an_unknown_group_in_a_decider_is_located(tmp_path: Path) -> None:
    body = "transitions:\n  afsluiten:\n    deciders: [group:driehoek]\n"
    errors = _errors(_card(tmp_path, body))
    assert any(
        re.search(
            r"fout\.yaml:\d+ transitions\.afsluiten\.deciders\[0\]: unknown group 'driehoek'", e
        )
        for e in errors
    ), errors


def test_all_members_cannot_be_one_of_a_list_of_alternatives(tmp_path: Path) -> None:
    body = (
        "groups:\n  g: {title: G, members: [burgemeester, politie]}\n"
        "transitions:\n  afsluiten:\n    deciders:\n      - together: [[wijkteam, all:g]]\n"
    )
    errors = _errors(_card(tmp_path, body))
    assert any("cannot be one of a list of alternatives" in e for e in errors), errors


def test_a_bare_group_id_in_a_decider_says_how_to_write_it(tmp_path: Path) -> None:
    body = (
        "groups:\n  g: {title: G, members: [burgemeester, politie]}\n"
        "transitions:\n  afsluiten:\n    deciders: [g]\n"
    )
    errors = _errors(_card(tmp_path, body))
    assert any("is a group, not a party: write group:g" in e for e in errors), errors


def test_a_group_where_one_party_at_a_time_is_named_is_an_error(tmp_path: Path) -> None:
    body = (
        "groups:\n  g: {title: G, members: [burgemeester, politie]}\n"
        "obligations:\n  wethouder-informeren:\n    inform: [g]\n"
    )
    errors = _errors(_card(tmp_path, body))
    assert any(
        "obligations.wethouder-informeren.inform[0]: 'g' is a party group" in e for e in errors
    ), errors


def test_an_unknown_group_among_holders_is_located_at_its_index(tmp_path: Path) -> None:
    body = "phases:\n  fase1:\n    roles:\n      casusregie:\n        eligible: [client, group:x]\n"
    errors = _errors(_card(tmp_path, body))
    assert any(
        "phases.fase1.roles.casusregie.eligible[1]: unknown group 'x'" in e for e in errors
    ), errors


def test_a_group_in_a_transitions_assign_stands_for_its_members(tmp_path: Path) -> None:
    body = (
        "groups:\n  g: {title: G, members: [burgemeester, politie]}\n"
        "roles:\n  overleg: {title: Overleg}\n"
        "phases:\n  fase2:\n    roles:\n      overleg:\n        optional: true\n"
        "        eligible: [group:g]\n"
        "transitions:\n  opschalen-1-2:\n    assign: {casusregie: [wijkteam], overleg: [group:g]}\n"
    )
    policy = load_policy(_card(tmp_path, body))
    rule = policy.transitions["opschalen-1-2"]
    assert rule.assign["overleg"] == ("burgemeester", "politie")
    case = Case.create(policy, "groep-2", actor="wijkteam", clock=StepClock())
    case.apply(Escalate(actor="wijkteam", to="fase2", criteria=("hulpbehoefte",)))
    assert case.state.roles["overleg"] == ("burgemeester", "politie")


# -- an invariant: a group means its members -------------------------------------------------

PARTIES = ("a", "b", "c", "d", "e")


@settings(max_examples=200, deadline=None)
@given(
    members=st.lists(st.sampled_from(PARTIES), min_size=1, max_size=4, unique=True),
    actor=st.sampled_from(PARTIES),
    together=st.lists(st.sampled_from(PARTIES), max_size=4),
    joint=st.booleans(),
)
def test_a_group_decides_exactly_as_its_members_written_out(
    members: list[str], actor: str, together: list[str], joint: bool
) -> None:
    """``all:g`` is ``together: [members]``; ``group:g`` is ``[members]`` as one slot."""
    plain = Policy(
        id="k", title="K", version="", parties={}, roles={}, states={}, transitions={}, criteria={}
    )
    group = PartyGroup(id="g", title="G", members=tuple(members))
    with_group = attrs.evolve(plain, party_groups={"g": group})
    written = (("all:g",),) if joint else (("group:g", "e"),)
    spelled_out = (tuple(members),) if joint else (("|".join(members), "e"),)
    assert authorized(written, actor, together, {}, with_group) == authorized(
        spelled_out, actor, together, {}, plain
    )


# -- what the renderers say ------------------------------------------------------------------


def test_the_card_names_the_group_with_its_members(driehoek: Policy) -> None:
    view = card_view(driehoek)
    html = render_html(view)
    markdown = render_markdown(view)
    for text in (html, markdown):
        assert "de lokale driehoek samen (Burgemeester, Politie, Openbaar Ministerie)" in text
        assert "een van de lokale driehoek (Burgemeester, Politie, Openbaar Ministerie)" in text
        assert "Lokale driehoek (Burgemeester, Politie, Openbaar Ministerie)" in text


def test_show_says_who_decides_in_the_words_of_a_refusal(tmp_path: Path) -> None:
    """``regiekaart show`` on the documented card: the group by its title and members."""
    runner = CliRunner(env={"COLUMNS": "1600", "NO_COLOR": "1", "TERM": "dumb"})
    result = runner.invoke(app, ["show", str(_documented(tmp_path))])
    assert result.exit_code == 0, result.stdout
    assert DRIEHOEK in result.stdout
    assert "one of the lokale driehoek (Burgemeester, Politie, Openbaar Ministerie)" in (
        result.stdout
    )


def test_a_change_of_members_is_a_change_of_the_card(tmp_path: Path, driehoek: Policy) -> None:
    path = tmp_path / "driehoek.yaml"
    path.write_text(
        path.read_text(encoding="utf-8").replace(
            "members: [burgemeester, politie, om]", "members: [burgemeester, politie]"
        ),
        encoding="utf-8",
    )
    changes = card_changes(driehoek, load_policy(path))
    kinds = {(c.kind, c.where) for c in changes}
    assert ("group", "lokale-driehoek") in kinds
    assert ("role", "fase3.in_overleg_met") in kinds


def test_a_signal_is_untouched_by_groups(driehoek: Policy) -> None:
    case = _in_fase2(driehoek)
    case.apply(Signal(actor="wijkteam"))
    assert case.state.configuration[0] == "fase2"
