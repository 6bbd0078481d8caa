"""Population scenarios: who attempts what, how often, in which phase, as data.

An analyst states weekly chances per phase or sub-state and *which party attempts*
each step; the policy then decides, exactly as for a real case, whether the attempt is
accepted or refused. Both simulation engines read the attempts from here, so they try
the same commands against the same cumulative tables.

May import: ``regiekaart.render``, ``regiekaart.testing``, ``regiekaart.store``,
``regiekaart.scenario``, ``regiekaart.analysis``, ``regiekaart.runtime``,
``regiekaart.policy`` and the foundation.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import attrs
import jsonschema

from regiekaart.errors import PolicyError, PolicyErrors
from regiekaart.limits import Limits, exceeded
from regiekaart.limits import resolve as resolve_limits
from regiekaart.policy.loader import load_policy
from regiekaart.policy.model import Policy
from regiekaart.policy.roots import SearchPath, find_card
from regiekaart.policy.sourcemap import (
    KeyPath,
    Located,
    load_yaml,
    schema_errors,
)
from regiekaart.runtime.commands import (
    ChangeLevel,
    CloseCase,
    Command,
    Deescalate,
    EndMeasure,
    Escalate,
    ImposeMeasure,
    Member,
    RecordDecision,
    Signal,
)
from regiekaart.runtime.records import CaseState
from regiekaart.simulate._checker import SUM_TOLERANCE, Checker, read_share, schema_message
from regiekaart.simulate._criteria import satisfying

__all__ = [
    "SUM_TOLERANCE",
    "Attempt",
    "Composition",
    "PopulationScenario",
    "load_population",
    "simulation_schema",
]


@cache
def simulation_schema() -> dict[str, Any]:
    """The JSON Schema of population scenarios, shipped in the package."""
    text = (
        resources.files("regiekaart.simulate").joinpath("simulation.schema.json").read_text("utf-8")
    )
    schema: dict[str, Any] = json.loads(text)
    return schema


@attrs.frozen
class Attempt:
    """One kind of command a household may see attempted in a week, with its chance.

    A dominance mix is expanded into one attempt per option (``p`` times its share), so
    that one uniform draw picks both the step and the dominance.
    """

    label: str
    kind: str
    by: str
    p: float
    together: tuple[str, ...] = ()
    to: str | None = None
    criteria: tuple[str, ...] = ()
    holders: Mapping[str, tuple[str, ...]] = attrs.field(factory=dict)
    dominance: str | None = None
    measure: str | None = None
    member: str | None = None
    decision: str | None = None
    activity: str | None = None
    source: str = ""

    def command(self, state: CaseState) -> Command | None:
        """The command this attempt makes in ``state``; a party named ``role:X`` is the
        current holder of X. None when nobody would attempt it: nobody holds the role
        named, the household has no member of the measure's group (no OTS without a
        child), the measure to impose is in force already or the one to end is not."""
        parties: list[str] = []
        for slot in (self.by, *self.together):
            party = _resolve(slot, state)
            if party is None:
                return None
            parties.append(party)
        common: dict[str, Any] = {"actor": parties[0], "together": tuple(parties[1:])}
        if self.kind in ("opschalen", "calamiteit", "afschalen", "close"):
            common["criteria"] = self.criteria
            common["holders"] = dict(self.holders)
        if self.kind in ("opschalen", "calamiteit"):
            if self.to is None:
                return ChangeLevel(direction="up", **common)
            return Escalate(to=self.to, dominance=self.dominance, **common)
        if self.kind == "afschalen":
            if self.to is None:
                return ChangeLevel(direction="down", **common)
            return Deescalate(to=self.to, dominance=self.dominance, **common)
        if self.kind == "close":
            return CloseCase(**common)
        return self._other(state, common)

    def _other(self, state: CaseState, common: dict[str, Any]) -> Command | None:
        if self.kind == "signal":
            return Signal(activity=self.activity, **common)
        if self.kind == "decision":
            assert self.decision is not None
            return RecordDecision(decision=self.decision, **common)
        return self._measure(state, common)

    def _measure(self, state: CaseState, common: dict[str, Any]) -> Command | None:
        assert self.measure is not None
        assert self.member is not None
        member = _member_of(state, self.member)
        if member is None:
            return None
        in_force = any(
            m.measure == self.measure and m.member == member for m in state.facts.measures
        )
        if in_force == (self.kind == "impose"):
            return None  # imposing what is in force, or ending what is not: not attempted
        if self.kind == "impose":
            return ImposeMeasure(measure=self.measure, member=member, **common)
        return EndMeasure(measure=self.measure, member=member, **common)


def _resolve(party: str, state: CaseState) -> str | None:
    if not party.startswith("role:"):
        return party
    holders = state.roles.get(party[5:], ())
    return holders[0] if holders else None


def _member_of(state: CaseState, group: str) -> str | None:
    """The first household member of ``group``, if the household has one."""
    for member in state.members:
        if member.group == group:
            return member.id
    return None


@attrs.frozen
class Composition:
    """A kind of household: which member groups live in it, and its share."""

    name: str
    groups: tuple[str, ...]
    share: float

    def members(self) -> tuple[Member, ...]:
        return tuple(Member(id=f"{group}-1", group=group) for group in self.groups)


@attrs.frozen
class PopulationScenario:
    """A validated population scenario (see ``docs/simulation.md``)."""

    file: str
    policy_path: Path
    policy: Policy
    households: int
    horizon_weeks: int
    seed: int
    replications: int
    opened_by: str
    mix: tuple[Composition, ...]
    under_measure: float
    start: tuple[tuple[str, float], ...]
    events: Mapping[str, tuple[Attempt, ...]]
    title: str = ""
    raw: Mapping[str, Any] = attrs.field(factory=dict)

    def table_key(self, configuration: Sequence[str]) -> str | None:
        """The events that apply in ``configuration``: those of its most specific state
        listed in the scenario (a sub-state's list replaces its phase's)."""
        best: str | None = None
        for key in self.events:
            if key in configuration and (best is None or key.count(".") > best.count(".")):
                best = key
        return best

    def attempts(self, configuration: Sequence[str]) -> tuple[Attempt, ...]:
        key = self.table_key(configuration)
        return self.events[key] if key is not None else ()

    def with_(self, **changes: Any) -> PopulationScenario:
        """A copy with some settings changed (households, weeks, seed, policy)."""
        return attrs.evolve(self, **changes)

    def width(self) -> int:
        """The most attempts any state lists: the kernel's table width (plus "nothing")."""
        return max((len(a) for a in self.events.values()), default=0)


def load_population(
    path: str | Path,
    *,
    policy: str | Path | None = None,
    limits: Limits | None = None,
    search_path: SearchPath = (),
) -> PopulationScenario:
    """Read and check the scenario at ``path``; ``policy`` replaces the file the scenario
    names (to compare policies on one population).

    The ``policy:`` the file names must be a card in its directory tree, in a directory
    of ``search_path`` or ``REGIEKAART_PATH``, or in the shipped ``machines/`` (see
    :mod:`regiekaart.policy.roots`); files are bounded by ``limits``. Raises
    :class:`~regiekaart.errors.PolicyError` (or :class:`PolicyErrors`) naming the file,
    line and path of every problem; nothing is run on a bad scenario.
    """
    path = Path(path)
    name = str(path)
    bounds = resolve_limits(limits)
    data, located = load_yaml(path, kind="simulation", limits=bounds)
    try:
        problems = _schema_problems(data, located, name)
    except RecursionError:
        raise exceeded(
            "nested too deeply to check", "max_depth", bounds.max_depth, file=name
        ) from None
    if problems:
        raise PolicyErrors(problems)
    if policy is not None:
        policy_path = Path(policy)
    else:
        line = located.get(("policy",), (name, None))[1]
        policy_path = find_card(
            path, data["policy"], key="policy", line=line, search_path=search_path
        )
    try:
        loaded = load_policy(policy_path, limits=bounds, search_path=search_path)
    except PolicyError as exc:
        line = located.get(("policy",), (name, None))[1]
        raise PolicyErrors(
            [
                PolicyError(
                    f"the policy {str(policy_path)!r} does not load: {exc}",
                    file=name,
                    line=line,
                    path="policy",
                )
            ]
        ) from None
    checker = _Reader(loaded, located, name)
    scenario = checker.build(data, policy_path)
    if checker.problems:
        raise PolicyErrors(sorted(checker.problems, key=lambda e: (e.line or 0, e.path)))
    assert scenario is not None
    return scenario


def _schema_problems(data: dict[str, Any], located: Located, name: str) -> list[PolicyError]:
    validator = jsonschema.Draft202012Validator(simulation_schema())
    return schema_errors(validator, data, located, schema_message, file=name)


class _Reader(Checker):
    """Builds the scenario from the checked file: the household mix, the starting shares
    and the weekly attempts per state, each dominance mix expanded."""

    def build(self, data: Mapping[str, Any], policy_path: Path) -> PopulationScenario | None:
        self.party(("opened_by",), data["opened_by"])
        mix = []
        for cname, raw in data["mix"].items():
            for index, group in enumerate(raw["groups"]):
                if group not in self.policy.member_groups:
                    self.error(("mix", cname, "groups", index), f"unknown member group {group!r}")
            mix.append(Composition(cname, tuple(raw["groups"]), float(raw["share"])))
        self.total(("mix",), [c.share for c in mix], True, "household shares")
        start = []
        for sid, raw in data["start"].items():
            self.state(("start", sid), sid)
            start.append((sid, read_share(raw)[0]))
        self.total(("start",), [s for _, s in start], True, "starting shares")
        events: dict[str, tuple[Attempt, ...]] = {}
        for sid, raws in data["events"].items():
            if not self.state(("events", sid), sid):
                continue
            attempts: list[Attempt] = []
            for index, raw in enumerate(raws):
                attempts.extend(self.attempts(("events", sid, index), sid, raw))
            self.total(("events", sid), [a.p for a in attempts], False, "weekly chances")
            events[sid] = tuple(attempts)
        if self.problems:
            return None
        return PopulationScenario(
            file=self.name,
            policy_path=policy_path,
            policy=self.policy,
            households=int(data["households"]),
            horizon_weeks=int(data["horizon_weeks"]),
            seed=int(data["seed"]),
            replications=int(data.get("replications", 1)),
            opened_by=data["opened_by"],
            mix=tuple(mix),
            under_measure=read_share(data.get("under_measure", 0.0))[0],
            start=tuple(start),
            events=events,
            title=str(data.get("title", "")),
            raw=data,
        )

    def attempts(self, path: KeyPath, sid: str, raw: Mapping[str, Any]) -> list[Attempt]:
        policy = self.policy
        kind = raw["kind"]
        self.party((*path, "by"), raw["by"])
        for index, party in enumerate(raw.get("together", ())):
            self.party((*path, "together", index), party)
        to = raw.get("to")
        if to is not None:
            self.state((*path, "to"), to)
        elif kind == "calamiteit":
            self.error(path, "a calamity names the state it jumps to ('to')")
        for index, criterion in enumerate(raw.get("criteria", ())):
            if criterion not in policy.criteria:
                self.error((*path, "criteria", index), f"unknown criterion {criterion!r}")
        holders = {role: tuple(parties) for role, parties in raw.get("holders", {}).items()}
        self.holders((*path, "holders"), holders)
        self.names(path, kind, raw)
        base = Attempt(
            label=f"{sid}[{path[-1]}]:{kind}",
            kind=kind,
            by=raw["by"],
            p=float(raw["p"]),
            together=tuple(raw.get("together", ())),
            to=to,
            criteria=tuple(raw["criteria"])
            if "criteria" in raw
            else satisfying(policy, sid, kind, to),
            holders=holders,
            measure=raw.get("measure"),
            member=raw.get("member"),
            decision=raw.get("decision"),
            activity=raw.get("activity"),
            source=str(raw.get("source", "")),
        )
        mix = raw.get("dominance")
        if not mix:
            return [base]
        out = []
        shares = []
        for option, value in mix.items():
            if option not in policy.dominance:
                self.error((*path, "dominance", option), f"unknown dominance option {option!r}")
            share, _ = read_share(value)
            shares.append(share)
            extra = value.get("holders", {}) if isinstance(value, dict) else {}
            option_holders = {**holders, **{r: tuple(p) for r, p in extra.items()}}
            self.holders((*path, "dominance", option, "holders"), option_holders)
            out.append(
                attrs.evolve(
                    base,
                    label=f"{base.label}:{option}",
                    p=base.p * share,
                    dominance=option,
                    holders=option_holders,
                )
            )
        self.total((*path, "dominance"), shares, True, "dominance shares")
        return out
