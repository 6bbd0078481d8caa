"""A self-contained HTML report of a simulation, with matplotlib plots embedded as SVG.

The page opens offline (no scripts, no external files): households per phase over time
as a stacked area in the card's own colours, the flows between states, caseload per
party, time spent per phase, refusals by rule, and — when two policies were compared —
the paired differences with their 95% intervals.

May import: ``regiekaart.render``, ``regiekaart.testing``, ``regiekaart.store``,
``regiekaart.scenario``, ``regiekaart.analysis``, ``regiekaart.runtime``,
``regiekaart.policy`` and the foundation (never ``regiekaart.cli`` or ``regiekaart.verify``).
"""

from __future__ import annotations

import html
import io
from collections import defaultdict
from pathlib import Path
from typing import Any

from regiekaart.render.palette import PALETTE
from regiekaart.simulate.run import SimulationResult

__all__ = [
    "NEUTRAL",
    "render_report",
]

NEUTRAL = "#6b6b6b"


def _colour(result: SimulationResult, phase: str) -> str:
    state = result.model.policy.states.get(phase)
    word = (state.colour or "") if state is not None else ""
    if word.startswith("#") and len(word) == 7:
        return word
    return PALETTE.get(word.lower(), NEUTRAL)


def _svg(figure: Any) -> str:
    import matplotlib.pyplot as plt

    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
    plt.close(figure)
    text = buffer.getvalue()
    return text[text.index("<svg") :]


def _figure(width: float = 9.0, height: float = 4.0) -> tuple[Any, Any]:
    import matplotlib

    matplotlib.use("Agg")
    matplotlib.rcParams["svg.hashsalt"] = "regiekaart"  # the same run gives the same page
    import matplotlib.pyplot as plt

    return plt.subplots(figsize=(width, height))


def _phases_over_time(result: SimulationResult) -> str:
    table = result.tables[0].phases
    phases = result.model.phases
    weeks = max(table["week"]) + 1
    counts = {phase: [0] * weeks for phase in phases}
    for week, phase, value in zip(table["week"], table["phase"], table["households"], strict=True):
        counts[phase][week] += value
    figure, axes = _figure()
    axes.stackplot(
        range(weeks),
        [counts[p] for p in phases],
        labels=[_title(result, p) for p in phases],
        colors=[_colour(result, p) for p in phases],
    )
    axes.set_xlabel("week")
    axes.set_ylabel("households")
    axes.set_title("Households per phase (replication 1)")
    axes.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0))
    return _svg(figure)


def _title(result: SimulationResult, phase: str) -> str:
    state = result.model.policy.states.get(phase)
    return f"{phase}: {state.title}" if state is not None and state.title else phase


def _flows(result: SimulationResult) -> str:
    table = result.tables[0].transitions
    totals: dict[tuple[str, str], int] = defaultdict(int)
    for source, target, count in zip(table["source"], table["target"], table["count"], strict=True):
        totals[(source, target)] += count
    ranked = sorted(totals.items(), key=lambda item: -item[1])[:20]
    figure, axes = _figure(9.0, 0.35 * max(4, len(ranked)) + 1)
    labels = [f"{s} → {t}" for (s, t), _ in ranked]
    colours = [_colour(result, t.split(".")[0].split("+")[0]) for (_, t), _ in ranked]
    axes.barh(labels[::-1], [c for _, c in ranked][::-1], color=colours[::-1])
    axes.set_xlabel("transitions over the horizon (replication 1; colour: target phase)")
    axes.set_title("Flows between states")
    return _svg(figure)


def _caseload(result: SimulationResult) -> str:
    table = result.tables[0].caseload
    weeks = max(table["week"]) + 1
    series: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0] * weeks)
    for week, role, party, value in zip(
        table["week"], table["role"], table["party"], table["households"], strict=True
    ):
        if role.endswith("regie"):
            series[(role, party)][week] += value
    figure, axes = _figure(9.0, 4.5)
    ranked = sorted(series.items(), key=lambda item: -sum(item[1]))[:12]
    for (role, party), values in ranked:
        axes.plot(range(weeks), values, label=f"{role}: {party}")
    axes.set_yscale("log")
    axes.set_xlabel("week")
    axes.set_ylabel("households (log scale)")
    axes.set_title("Caseload per party and role")
    axes.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize="small")
    return _svg(figure)


def _time_in_phase(result: SimulationResult) -> str:
    import numpy as np

    households = result.tables[0].households
    phases = result.model.phases
    figure, axes = _figure()
    for phase in phases:
        weeks = np.asarray(households[f"weeks_{phase}"])
        weeks = weeks[weeks > 0]
        if len(weeks):
            axes.hist(
                weeks,
                bins=min(52, result.weeks),
                histtype="step",
                linewidth=1.8,
                color=_colour(result, phase),
                label=phase,
            )
    axes.set_yscale("log")
    axes.set_xlabel("weeks in the phase (households that were in it)")
    axes.set_ylabel("households")
    axes.set_title("Time spent per phase")
    axes.legend()
    return _svg(figure)


def _refusals(result: SimulationResult) -> str:
    totals: dict[str, int] = defaultdict(int)
    for part in result.tables:
        for rule, count in zip(part.refusals["rule"], part.refusals["count"], strict=True):
            totals[rule] += count
    reps = len(result.tables)
    ranked = sorted(totals.items(), key=lambda item: -item[1])
    figure, axes = _figure(9.0, 0.4 * max(3, len(ranked)) + 1)
    axes.barh([r for r, _ in ranked][::-1], [c / reps for _, c in ranked][::-1], color=NEUTRAL)
    axes.set_xlabel("refused attempts over the horizon (mean per replication)")
    axes.set_title("Refusals by rule")
    return _svg(figure)


def _differences(difference: dict[str, dict[str, float]], other: str) -> str:
    keys = [k for k in difference if k.startswith(("households at horizon/", "mean caseload/"))]
    keys = [k for k in keys if difference[k]["mean"] or difference[k]["high"]]
    figure, axes = _figure(9.0, 0.35 * max(4, len(keys)) + 1)
    means = [difference[k]["mean"] for k in keys]
    errors = [
        [difference[k]["mean"] - difference[k]["low"] for k in keys],
        [difference[k]["high"] - difference[k]["mean"] for k in keys],
    ]
    axes.errorbar(means, range(len(keys)), xerr=errors, fmt="o", color="#1f5f99", capsize=3)
    axes.set_yticks(range(len(keys)), keys)
    axes.axvline(0.0, color=NEUTRAL, linewidth=0.8)
    axes.set_xlabel(f"{other} minus base (mean and 95% interval over replications)")
    axes.set_title("Differences between the policies")
    return _svg(figure)


def render_report(
    result: SimulationResult,
    path: Path,
    *,
    other: SimulationResult | None = None,
    difference: dict[str, dict[str, float]] | None = None,
) -> Path:
    """Write the report for ``result`` (and the comparison with ``other``) to ``path``."""
    summary = result.summary()
    policy = summary["policy"]
    sections = [
        ("Households per phase", _phases_over_time(result)),
        ("Flows", _flows(result)),
        ("Caseload", _caseload(result)),
        ("Time in phase", _time_in_phase(result)),
        ("Refusals", _refusals(result)),
    ]
    if other is not None and difference is not None:
        sections.append(("Comparison", _differences(difference, other.model.policy.id)))
    rows = "".join(
        f"<tr><td>{html.escape(key)}</td><td>{value['mean']:,.2f}</td>"
        f"<td>{value['low']:,.2f} – {value['high']:,.2f}</td></tr>"
        for key, value in summary["results"].items()
        if not key.startswith("mean caseload/") or key.split("/")[1].endswith("regie")
    )
    body = "".join(
        f'<section class="plot"><h2>{html.escape(title)}</h2>{svg}</section>'
        for title, svg in sections
    )
    title = html.escape(f"Simulation: {result.model.scenario.title or summary['scenario']['file']}")
    page = f"""<!DOCTYPE html>
<html lang="nl"><head><meta charset="utf-8"><title>{title}</title>
<style>body{{font-family:sans-serif;max-width:70rem;margin:2rem auto;color:#222}}
table{{border-collapse:collapse}}td{{padding:.15rem .6rem;border-bottom:1px solid #ddd}}
td+td{{text-align:right}}svg{{max-width:100%;height:auto}}</style></head>
<body><h1>{title}</h1>
<p>Policy <b>{html.escape(policy["id"])}</b> {html.escape(str(policy["version"]))}
(digest <code>{html.escape(policy["digest"])}</code>), seed {summary["seed"]},
{summary["households"]:,} households × {summary["weeks"]} weeks ×
{summary["replications"]} replications; regiekaart {html.escape(summary["regiekaart"])}.</p>
{body}
<section><h2>Figures (mean and 95% interval over replications)</h2>
<table><tr><th>figure</th><th>mean</th><th>95% interval</th></tr>{rows}</table></section>
</body></html>
"""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(page, "utf-8")
    return path
