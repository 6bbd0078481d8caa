"""Where tags are read: the card's renderings, a case's timeline and history, the
verifier's stories and the card diff.

The universal card tags its calamity steps (§1.6 "Bij een calamiteit", §2.3.4) and the
criteria of stalled co-operation and of danger (§2.3.2, §2.3.3); every report that
tells a step names the tags it was recorded with, in the card's words.
"""

from __future__ import annotations

import json
import re
import shutil
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

from rich.console import Console
from typer.testing import CliRunner

from regiekaart import Case, Escalate, Policy, StepClock, load_policy
from regiekaart.analysis.situations import default_household
from regiekaart.cli import app
from regiekaart.render.cardview import transitions_table
from regiekaart.render.formats import render_card
from regiekaart.render.scxml import RK_NS, SCXML_NS, render_scxml
from regiekaart.render.timeline import render_timeline, timeline_from_events
from regiekaart.render.view import card_view
from regiekaart.verify.counterexample import tell, trace_tags
from regiekaart.verify.diff import card_changes
from regiekaart.verify.report import verify_policy
from store_support import quiet_logs

ROOT = Path(__file__).resolve().parent.parent
MACHINES = ROOT / "machines"
CALAMITEIT = Escalate(
    actor="burgemeester", to="fase4", criteria=("totale-escalatie", "dreigende-onveiligheid")
)
runner = CliRunner(env={"COLUMNS": "240", "NO_COLOR": "1", "TERM": "dumb"})


@cache
def universeel() -> Policy:
    return load_policy(MACHINES / "universeel.yaml")


def local_card(tmp_path: Path, text: str) -> Path:
    """A local card over the universal one that says ``text``."""
    path = tmp_path / "lokaal.yaml"
    universal = MACHINES / "universeel.yaml"
    head = f"regiekaart: 2\nextends: {universal}\nid: lokaal\ntitle: t\n"
    path.write_text(head + text, encoding="utf-8")
    return path


def calamity_case() -> Case:
    policy = universeel()
    case = Case.create(
        policy,
        "c-1",
        actor="wijkteam",
        members=default_household(policy),
        clock=StepClock(datetime(2027, 1, 1, tzinfo=UTC)),
    )
    case.apply(CALAMITEIT)
    return case


def test_the_neutral_view_carries_the_tags_in_words() -> None:
    view = card_view(universeel())
    assert [t.title for t in view.tags] == [
        "Stagnatie in de samenwerking",
        "Onveiligheid",
        "Calamiteit",
    ]
    step = next(s for s in view.steps if s.id == "calamiteit-1-4")
    assert [t.title for t in step.tags] == ["Calamiteit"]
    criterion = next(c for c in step.criteria if c.id == "dreigende-onveiligheid")
    assert [t.id for t in criterion.tags] == ["onveiligheid"]


def test_the_html_and_markdown_cards_show_the_tags() -> None:
    page = render_card(universeel(), "html")
    article = page[page.index('id="stap-calamiteit-1-4"') :]
    article = article[: article.index("</article>")]
    assert "<dt>Tags</dt>" in article
    assert '<span class="tag" title="Situaties volgen' in article
    assert ">Calamiteit</span>" in article
    assert '<dl class="tags">' in page
    markdown = render_card(universeel(), "md")
    assert "- **Tags:** Calamiteit" in markdown
    assert "Bij gevaarlijke omstandigheden. *(Onveiligheid)*" in markdown
    assert "- **Stagnatie in de samenwerking**: Zaken waarbij" in markdown


def test_the_terminal_table_of_show_names_the_tags() -> None:
    console = Console(width=240, record=True, color_system=None)
    console.print(transitions_table(card_view(universeel())))
    text = console.export_text()
    assert "tags: Calamiteit" in text
    assert "huiselijk-geweld (Onveiligheid)" in text


def test_a_measure_shows_its_tags_on_the_card(tmp_path: Path) -> None:
    path = local_card(
        tmp_path,
        "tags:\n  gedwongen: {title: Gedwongen kader}\n"
        "measures:\n  options:\n    ots: {tags: [gedwongen]}\n",
    )
    view = card_view(load_policy(path))
    ots = next(o for o in view.measures if o.id == "ots")
    assert ("Tags", ("Gedwongen kader",)) in ots.effect


def test_the_timeline_names_each_steps_tags() -> None:
    case = calamity_case()
    timeline = timeline_from_events(universeel(), case.case_id, case.events)
    assert [e.tags for e in timeline.entries] == [(), ("Calamiteit", "Onveiligheid")]
    assert '<span class="tag">Calamiteit</span>' in render_timeline(timeline)


def test_a_story_of_the_verifier_tells_the_tags_of_its_steps() -> None:
    case = calamity_case()
    story = tell(universeel(), case.events[1:])
    assert story[0].endswith("[Calamiteit, Onveiligheid]")
    assert trace_tags(case.events) == ("calamiteit", "onveiligheid")


def test_a_counterexample_names_the_tags_of_its_rules(tmp_path: Path) -> None:
    """An invariant broken by a calamity: the verdict names the calamity tag."""
    path = local_card(
        tmp_path,
        "invariants:\n  nooit-fase4:\n    title: Geen fase 4\n    source: test\n"
        "    checks:\n      - role_held: {role: casusregie, in: [fase4]}\n"
        "      - holders_include: {role: casusregie, parties: [wijkteam], in: [fase4]}\n",
    )
    policy = load_policy(path)
    report = verify_policy(policy, path, max_states=40, examples=0, out=tmp_path / "out")
    row = next(r for r in report.rows if r.check == "nooit-fase4")
    assert row.status == "violated"
    assert "calamiteit" in row.tags
    assert any("[Calamiteit" in line for line in row.story)
    written = json.dumps(report.as_json())
    assert '"tags": [' in written


def test_the_diff_reports_a_retagged_rule_and_a_retitled_tag(tmp_path: Path) -> None:
    path = local_card(
        tmp_path,
        "tags:\n  calamiteit: {title: Acute crisis}\n  crisis: {title: Crisis}\n"
        "transitions:\n  calamiteit-2-4: {tags: [crisis]}\n"
        "criteria:\n  overlast: {tags: [onveiligheid]}\n",
    )
    changes = card_changes(universeel(), load_policy(path))
    found = {(c.kind, c.where, c.what) for c in changes}
    assert ("tag", "calamiteit", "changed: title") in found
    assert ("tag", "crisis", "added") in found
    assert ("tags", "transitions.calamiteit-2-4", "changed") in found
    retagged = next(c for c in changes if c.where == "criteria.overlast")
    assert (retagged.old, retagged.new) == ([], ["onveiligheid"])


def test_case_history_and_send_show_the_tags(tmp_path: Path) -> None:
    quiet_logs()
    url = f"sqlite:///{tmp_path / 'store.sqlite'}"
    card = str(MACHINES / "universeel.yaml")
    base = ["--db", url]
    opened = runner.invoke(
        app, ["case", "new", "c-1", "--actor", "wijkteam", *base, "--policy", card]
    )
    assert opened.exit_code == 0, opened.output
    command = json.dumps(
        {"type": "escalate", "actor": "burgemeester", "to": "fase4",
         "criteria": ["totale-escalatie"]}
    )  # fmt: skip
    sent = runner.invoke(app, ["case", "send", "c-1", command, *base, "--policy", card])
    assert sent.exit_code == 0, sent.output
    assert "tags" in sent.stdout
    assert "calamiteit" in sent.stdout
    history = runner.invoke(app, ["case", "history", "c-1", *base])
    assert history.exit_code == 0, history.output
    header = next(line for line in history.stdout.splitlines() if "criteria" in line)
    assert re.search(r"criteria\s*┃\s*tags\s*┃\s*reason", header), header
    assert "calamiteit" in history.stdout
    trail = json.loads(runner.invoke(app, ["case", "history", "c-1", *base, "--json"]).stdout)
    assert [e.get("tags") for e in trail["events"]] == [None, ["calamiteit"]]
    verified = runner.invoke(app, ["audit", "verify", *base])
    assert verified.exit_code == 0, verified.output


def test_the_documented_example_validates_and_tags_its_steps(tmp_path: Path) -> None:
    """The tags example of docs/policy-format.md is a real card over the small card."""
    text = (ROOT / "docs" / "policy-format.md").read_text(encoding="utf-8")
    small = re.search(r"```yaml\n# file: kaart\.yaml\n(.*?)```", text, re.S)
    tagged = re.search(r"```yaml\n(# tags\.yaml.*?)```", text, re.S)
    assert small is not None
    assert tagged is not None
    (tmp_path / "kaart.yaml").write_text(small.group(1), encoding="utf-8")
    (tmp_path / "tags.yaml").write_text(tagged.group(1), encoding="utf-8")
    policy = load_policy(tmp_path / "tags.yaml")
    assert list(policy.tags) == ["onveiligheid", "stagnatie-samenwerking", "gedwongen-kader"]
    case = Case.create(
        policy, "d-1", actor="wijkteam", members=default_household(policy), clock=StepClock()
    )
    case.apply(Escalate(actor="wijkteam", to="fase2", criteria=("hulpbehoefte",)))
    event = case.apply(
        Escalate(
            actor="wijkteam",
            together=("veilig-thuis",),
            to="fase3",
            criteria=("huiselijk-geweld", "stagnatie-samenwerking"),
            dominance="huiselijk-geweld",
        )
    )
    assert event.tags == ("onveiligheid", "stagnatie-samenwerking")


def test_the_scxml_export_keeps_a_steps_tags_in_the_cards_namespace() -> None:
    root = ET.fromstring(render_scxml(card_view(universeel())))
    step = root.find(f".//{{{SCXML_NS}}}transition[@event='calamiteit_1_4']")
    assert step is not None
    assert step.get(f"{{{RK_NS}}}tags") == "calamiteit"
    untagged = root.find(f".//{{{SCXML_NS}}}transition[@event='opschalen_2_3']")
    assert untagged is not None
    assert untagged.get(f"{{{RK_NS}}}tags") is None


def test_audit_verify_on_a_store_written_before_tags(tmp_path: Path) -> None:
    store = tmp_path / "zonder-tags.sqlite"
    shutil.copyfile(ROOT / "tests" / "stores" / "zonder-tags.sqlite", store)
    done = runner.invoke(app, ["audit", "verify", "--db", f"sqlite:///{store}", "--json"])
    assert done.exit_code == 0, done.output
    report = json.loads(done.stdout)
    assert report["ok"] is True
    assert all(c["ok"] and c["replayed"] for c in report["cases"])
