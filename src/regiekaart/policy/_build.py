"""The model of a card, built from its merged and validated document.

The document is plain data as YAML gave it; the model is frozen and typed, with
defaults filled in, so nothing that runs a case ever looks at the raw document again.
The digest is taken here, of the document in the order written.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

from regiekaart.policy import _choices, criteria
from regiekaart.policy._timing import deadline, time_limit
from regiekaart.policy.model import (
    Activity,
    Agreement,
    Criterion,
    Decision,
    InvariantDef,
    Measure,
    Obligation,
    Party,
    PartyGroup,
    Policy,
    Prohibition,
    RoleCell,
    RoleDef,
    StateDef,
    Tag,
    TransitionRule,
)
from regiekaart.policy.sourcemap import Located, dotted


def _tuple(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    return tuple(str(v) for v in value)


def _criteria(written: Any) -> dict[str, Any]:
    """A rule's criteria: what it requires, what it allows besides, and every id named."""
    requirement, optional = criteria.read(written)
    named = criteria.ids(requirement) if requirement is not None else ()
    return {
        "criteria": tuple(dict.fromkeys((*named, *optional))),
        "requirement": requirement,
        "optional_criteria": optional,
    }


def _deciders(raw: Any) -> tuple[tuple[str, ...], ...]:
    """YAML deciders → alternatives of slot groups; an any-of slot is joined with ``|``."""
    out: list[tuple[str, ...]] = []
    for alternative in raw or ():
        if isinstance(alternative, str):
            out.append((alternative,))
            continue
        group = []
        for slot in alternative["together"]:
            group.append(slot if isinstance(slot, str) else "|".join(slot))
        out.append(tuple(group))
    return tuple(out)


GROUP = "group:"
"""How a card names a party group where its members stand (``group:ID``)."""


def _party_groups(document: Mapping[str, Any]) -> dict[str, PartyGroup]:
    return {
        gid: PartyGroup(
            id=gid,
            title=str(g["title"]),
            members=_tuple(g.get("members")),
            description=str(g.get("description", "")).strip(),
            source=str(g.get("source", "")),
        )
        for gid, g in (document.get("groups") or {}).items()
        if g is not None
    }


def _members(written: tuple[str, ...], groups: Mapping[str, PartyGroup]) -> tuple[str, ...]:
    """A list of parties with each ``group:ID`` replaced by the group's members, once
    each, in the order written. An unknown group stays as written, for the semantic
    checks to name."""
    out: list[str] = []
    for item in written:
        group = groups.get(item[len(GROUP) :]) if item.startswith(GROUP) else None
        out.extend(group.members if group is not None else (item,))
    return tuple(dict.fromkeys(out))


def _written(lists: Mapping[str, tuple[str, ...]]) -> dict[str, tuple[str, ...]]:
    """The lists that name a party group, as written: what renderings and errors show."""
    return {key: ids for key, ids in lists.items() if any(i.startswith(GROUP) for i in ids)}


def _cell(role: str, raw: Mapping[str, Any], groups: Mapping[str, PartyGroup]) -> RoleCell:
    choices = _choices.read(raw.get("holders"), groups, _members)
    lists = {
        "holders": _tuple(_choices.plain(raw.get("holders"), choices)),
        "eligible": _tuple(raw.get("eligible")),
    }
    return RoleCell(
        role=role,
        choices=choices,
        holders=_members(lists["holders"], groups),
        eligible=_members(lists["eligible"], groups),
        optional=bool(raw.get("optional", False)),
        keep=bool(raw.get("keep", True)),
        from_measures=bool(raw.get("from_measures", False)),
        from_dominance=bool(raw.get("from_dominance", False)),
        appoint=_deciders(raw.get("appoint")),
        text=str(raw.get("text", "")),
        source=str(raw.get("source", "")),
        written=_written(lists),
        min_holders=int(raw.get("min_holders", 0)),
        max_holders=int(raw.get("max_holders", 0)),
        chair=raw.get("chair"),
    )


def _roles(raw: Mapping[str, Any] | None, groups: Mapping[str, PartyGroup]) -> dict[str, RoleCell]:
    return {
        role: _cell(role, cell, groups) for role, cell in (raw or {}).items() if cell is not None
    }


def _state(
    qualified: str,
    raw: Mapping[str, Any],
    parent: str | None,
    groups: Mapping[str, PartyGroup],
    out: dict[str, StateDef],
) -> None:
    """Add a phase or sub-state to ``out``, followed by its sub-states at any depth (the
    reader has refused a document nested deeper than the depth limit). The schema lets
    only a phase say ``order``, ``colour`` and ``situation``, only a sub-state ``when``."""
    sub = raw.get("substates") or {}
    written = sub.get("states") or {}
    out[qualified] = StateDef(
        id=qualified,
        title=str(raw["title"]),
        order=int(raw.get("order", 0)),
        colour=str(raw.get("colour", "")),
        situation=str(raw.get("situation", "")).strip(),
        parent=parent,
        initial=bool(raw.get("initial", False)),
        parallel=bool(sub.get("parallel", False)),
        when_measures=(raw.get("when") or {}).get("measures"),
        roles=_roles(raw.get("roles"), groups),
        children=tuple(f"{qualified}.{c}" for c in written),
        source=str(raw.get("source", "")),
        duration=time_limit(raw.get("duration")),
    )
    for child_id, child in written.items():
        _state(f"{qualified}.{child_id}", child, qualified, groups, out)


def _states(document: Mapping[str, Any]) -> dict[str, StateDef]:
    groups = _party_groups(document)
    states: dict[str, StateDef] = {}
    for phase_id, raw in (document.get("phases") or {}).items():
        _state(phase_id, raw, None, groups, states)
    for final_id, raw in (document.get("final") or {}).items():
        states[final_id] = StateDef(
            id=final_id, title=str(raw["title"]), final=True, source=str(raw.get("source", ""))
        )
    return states


def _transitions(document: Mapping[str, Any]) -> dict[str, TransitionRule]:
    groups = _party_groups(document)
    rules: dict[str, TransitionRule] = {}
    for rule_id, raw in (document.get("transitions") or {}).items():
        assign = {role: _tuple(h) for role, h in (raw.get("assign") or {}).items()}
        rules[rule_id] = TransitionRule(
            id=rule_id,
            kind=raw["kind"],
            source_state=raw["from"],
            target_state=raw.get("to"),
            deciders=_deciders(raw["deciders"]),
            **_criteria(raw.get("criteria")),
            requires=_tuple(raw.get("requires")),
            needs_dominance=raw.get("dominance") == "required",
            direction=raw.get("direction"),
            assign={role: _members(h, groups) for role, h in assign.items()},
            release=_tuple(raw.get("release")),
            title=str(raw.get("title", "")),
            description=str(raw.get("description", "")).strip(),
            source=str(raw.get("source", "")),
            assign_written=_written(assign),
            tags=_tuple(raw.get("tags")),
        )
    return rules


def _tags(document: Mapping[str, Any]) -> dict[str, Tag]:
    return {
        tid: Tag(
            id=tid,
            title=str(t["title"]).strip(),
            description=str(t.get("description", "")).strip(),
            source=str(t.get("source", "")),
        )
        for tid, t in (document.get("tags") or {}).items()
        if t is not None
    }


def build(
    document: dict[str, Any],
    located: Located,
    chain: tuple[str, ...],
    overrides: tuple[str, ...],
    *,
    written: dict[str, Any] | None = None,
) -> Policy:
    """The policy ``document`` (merged, validated, in the current format) describes.

    ``written`` is the card as its files spell it, when an older format was rewritten
    for ``document``; the digest and :attr:`Policy.document` are of what was written.
    """
    measures = document.get("measures") or {}
    dominance = document.get("dominance") or {}
    groups = _party_groups(document)
    # In the order written, not sorted: the order of rules, cells and obligations is
    # part of what a card means (the first rule that fits is tried first), so two cards
    # that differ only in order must not share a digest.
    canonical = json.dumps(
        document if written is None else written,
        ensure_ascii=False,
        separators=(",", ":"),
        default=str,
    )
    return Policy(
        id=document["id"],
        title=document["title"],
        version=str(document.get("version", "")),
        description=str(document.get("description", "")).strip(),
        parties={
            pid: Party(id=pid, name=p["name"], kind=p["kind"], description=p.get("description", ""))
            for pid, p in (document.get("parties") or {}).items()
        },
        roles={
            rid: RoleDef(
                id=rid,
                title=r["title"],
                description=str(r.get("description", "")).strip(),
                source=r.get("source", ""),
                max_holders=int(r.get("max_holders", 0)),
                min_holders=int(r.get("min_holders", 0)),
                chair=r.get("chair"),
                order=int(r.get("order", 0)),
            )
            for rid, r in (document.get("roles") or {}).items()
        },
        states=_states(document),
        transitions=_transitions(document),
        criteria={
            cid: Criterion(
                id=cid,
                text=str(c["text"]).strip(),
                source=c.get("source", ""),
                tags=_tuple(c.get("tags")),
            )
            for cid, c in (document.get("criteria") or {}).items()
        },
        member_groups={g: str(t) for g, t in (document.get("member_groups") or {}).items()},
        measures={
            mid: Measure(
                id=mid,
                title=m["title"],
                group=m["group"],
                imposed_by=_tuple(m["imposed_by"]),
                roles={role: _tuple(parties) for role, parties in m["roles"].items()},
                ended_by=_tuple(m.get("ended_by")),
                description=str(m.get("description", "")).strip(),
                source=m.get("source", ""),
                tags=_tuple(m.get("tags")),
                duration=time_limit(m.get("duration")),
            )
            for mid, m in (measures.get("options") or {}).items()
        },
        measures_in=_tuple(measures.get("applies_in")),
        dominance={
            did: _choices.dominance_option(did, d, groups, _members)
            for did, d in (dominance.get("options") or {}).items()
        },
        dominance_in=_tuple(dominance.get("applies_in")),
        activities={
            aid: Activity(
                id=aid,
                command=a["command"],
                title=a["title"],
                in_states=_tuple(a["in"]),
                by=_tuple(a.get("by")),
                by_kinds=_tuple(a.get("by_kinds")),
                to=_tuple(a.get("to")),
                description=str(a.get("description", "")).strip(),
                source=a.get("source", ""),
                tags=_tuple(a.get("tags")),
            )
            for aid, a in (document.get("activities") or {}).items()
        },
        decisions={
            did: Decision(
                id=did,
                title=d["title"],
                by=_deciders(d["by"]),
                in_states=_tuple(d["in"]),
                sets=d.get("sets"),
                inform=_tuple(d.get("inform")),
                description=str(d.get("description", "")).strip(),
                source=d.get("source", ""),
                tags=_tuple(d.get("tags")),
            )
            for did, d in (document.get("decisions") or {}).items()
        },
        obligations={
            oid: Obligation(
                id=oid,
                title=o["title"],
                inform=_tuple(o.get("inform")),
                by_role=o.get("by_role"),
                on_enter=o.get("on_enter"),
                when_role=o.get("when_role"),
                when_holders=_tuple(o.get("when_holders")),
                mutual_role=o.get("mutual_role"),
                mode=o.get("mode", "task"),
                source=o.get("source", ""),
                closes_when=_tuple(o.get("closes_when")),  # type: ignore[arg-type]
                deadline=deadline(o.get("deadline")),
            )
            for oid, o in (document.get("obligations") or {}).items()
        },
        invariants={
            iid: InvariantDef(
                id=iid,
                title=i["title"],
                checks=tuple(
                    (name, dict(params or {}))
                    for item in i["checks"]
                    for name, params in item.items()
                ),
                source=i.get("source", ""),
                description=str(i.get("description", "")).strip(),
            )
            for iid, i in (document.get("invariants") or {}).items()
        },
        prohibitions={
            pid: Prohibition(
                id=pid,
                kind=p["kind"],
                source_state=p["from"],
                title=str(p["title"]).strip(),
                description=str(p.get("description", "")).strip(),
                source=p.get("source", ""),
            )
            for pid, p in (document.get("prohibitions") or {}).items()
        },
        agreements={
            aid: Agreement(
                id=aid,
                title=str(a["title"]).strip(),
                phases=_tuple(a["phases"]),
                source=str(a.get("source", "")),
                description=str(a.get("description", "")).strip(),
            )
            for aid, a in (document.get("agreements") or {}).items()
        },
        party_groups=_party_groups(document),
        tags=_tags(document),
        extends=chain,
        overrides=overrides,
        sources={dotted(p): f"{f}:{line}" for p, (f, line) in located.items() if p},
        # The whole sha256: a card's digest is what an audit trusts to name the card its
        # cases were decided under, so no one may write two cards that share it.
        digest=hashlib.sha256(canonical.encode("utf-8")).hexdigest(),
        document=canonical,
    )
