"""Reading policy files: YAML → validated, resolved :class:`~regiekaart.policy.model.Policy`.

A local card ``extends:`` another and overrides only what differs: mappings merge key
by key, a list replaces the list it overrides, and ``null`` removes a key. The merged
document is validated against the JSON Schema shipped in the package, then checked for
what a schema cannot say (a party that does not exist, a role without a holder, a
transition to an unknown phase). Every error names the file, the line and the path.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema

from regiekaart.errors import PolicyError, PolicyErrors
from regiekaart.limits import Limits, exceeded
from regiekaart.limits import resolve as resolve_limits
from regiekaart.policy import semantics
from regiekaart.policy.model import (
    Activity,
    Agreement,
    Criterion,
    Decision,
    DominanceOption,
    InvariantDef,
    Measure,
    Obligation,
    Party,
    Policy,
    Prohibition,
    RoleCell,
    RoleDef,
    StateDef,
    TransitionRule,
)
from regiekaart.policy.roots import SearchPath, find_card
from regiekaart.policy.sourcemap import KeyPath, Located, dotted, load_yaml, schema_errors


@cache
def policy_schema() -> dict[str, Any]:
    """The JSON Schema every (merged) policy document must satisfy."""
    text = resources.files("regiekaart.policy").joinpath("policy.schema.json").read_text("utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


def load_policy(
    path: str | Path, *, limits: Limits | None = None, search_path: SearchPath = ()
) -> Policy:
    """Load, merge, validate and resolve the policy file at ``path``.

    ``extends:`` is followed only to cards in the directory tree of the file that names
    it, in a directory of ``search_path`` or ``REGIEKAART_PATH``, or in the shipped
    ``machines/`` (see :mod:`regiekaart.policy.roots`); every file read is bounded by ``limits``
    (the defaults and ``REGIEKAART_MAX_*`` when None). Raises
    :class:`~regiekaart.errors.PolicyError` (or :class:`PolicyErrors` with every problem
    found) that names file, line and path; never a bare traceback for bad input.
    """
    bounds = resolve_limits(limits)
    name = str(path)
    try:
        document, located, chain, overrides = _resolve(Path(path), (), bounds, search_path)
        return _checked(document, located, chain, overrides)
    except RecursionError:
        raise exceeded(
            "nested too deeply to check", "max_depth", bounds.max_depth, file=name
        ) from None


def load_policy_document(document: Mapping[str, Any], *, name: str) -> Policy:
    """Validate and build a policy from an already merged document (``Policy.document``).

    A store keeps the card it ran a case under as that text, so an audit replay can
    rebuild exactly that card when the file has changed since; the digest is the same as
    the file's. ``name`` stands for the file in error messages. The document must be
    merged already: an ``extends:`` is refused, since it would read a file.
    """
    if not isinstance(document, Mapping):
        raise PolicyError("a policy document must be a mapping of keys", file=name)
    if "extends" in document:
        raise PolicyError(
            "a merged policy document cannot extend another", file=name, path="extends"
        )
    try:
        data = json.loads(json.dumps(dict(document), ensure_ascii=False, default=str))
        return _checked(data, {}, (), ())
    except PolicyError as error:
        for problem in (*getattr(error, "errors", ()), error):
            problem.file = problem.file or name
        raise
    except (RecursionError, ValueError) as exc:
        raise PolicyError(
            f"the document cannot be checked ({type(exc).__name__})", file=name
        ) from None


def _checked(
    document: dict[str, Any], located: Located, chain: tuple[str, ...], overrides: tuple[str, ...]
) -> Policy:
    _validate_schema(document, located)
    policy = _build(document, located, chain, overrides)
    problems = semantics.check(policy, document, located)
    if problems:
        raise PolicyErrors(problems)
    return policy


def _resolve(
    path: Path, seen: tuple[Path, ...], limits: Limits, search_path: SearchPath
) -> tuple[dict[str, Any], Located, tuple[str, ...], tuple[str, ...]]:
    """Read ``path`` and, depth first, what it extends; merge child over parent.

    Every file in the chain must be a card (have ``regiekaart:``), so no other file's
    content reaches a schema message.
    """
    resolved = path.resolve()
    if resolved in seen:
        cycle = " → ".join(str(p) for p in (*seen, resolved))
        raise PolicyError(f"cycle in extends: {cycle}", file=str(path), path="extends")
    data, located = load_yaml(path, kind="card", limits=limits)
    parent_ref = data.get("extends")
    if parent_ref is None:
        return _without_nulls(data), located, (), ()
    line = located.get(("extends",), (str(path), 0))[1]
    if not isinstance(parent_ref, str) or not parent_ref:
        raise PolicyError(
            "extends must name a policy file", file=str(path), line=line, path="extends"
        )
    parent_path = find_card(path, parent_ref, key="extends", line=line, search_path=search_path)
    if parent_path in (*seen, resolved):
        cycle = " → ".join(str(p) for p in (*seen, resolved, parent_path))
        raise PolicyError(f"cycle in extends: {cycle}", file=str(path), line=line, path="extends")
    base, base_located, base_chain, _ = _resolve(
        parent_path, (*seen, resolved), limits, search_path
    )
    overrides: list[str] = []
    merged = _merge(base, data, (), base_located, located, overrides)
    merged.pop("extends", None)
    base_id = str(base.get("id", parent_ref))
    return merged, base_located, (base_id, *base_chain), tuple(overrides)


def _without_nulls(data: dict[str, Any]) -> dict[str, Any]:
    """A card that extends none, with its ``null`` entries gone: ``null`` removes what a
    card inherits, and in a card that inherits nothing it removes nothing. (Left in,
    the schema would accept ``parties: {x: null}`` and building the policy would fail.)
    Lists are kept as written."""
    return {
        key: _without_nulls(value) if isinstance(value, dict) else value
        for key, value in data.items()
        if value is not None
    }


def _merge(
    base: dict[str, Any],
    child: dict[str, Any],
    prefix: KeyPath,
    base_located: Located,
    child_located: Located,
    overrides: list[str],
) -> dict[str, Any]:
    """Merge ``child`` over ``base``; ``base_located`` is updated to the merged result."""
    merged = dict(base)
    for key, value in child.items():
        path = (*prefix, key)
        if key == "extends" and not prefix:
            continue
        if value is None:
            merged.pop(key, None)
            overrides.append(dotted(path))
            for known in [p for p in base_located if p[: len(path)] == path]:
                del base_located[known]
            continue
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            base_located[path] = child_located[path]
            merged[key] = _merge(merged[key], value, path, base_located, child_located, overrides)
            continue
        if prefix or key not in ("regiekaart", "id", "title", "version", "description", "source"):
            overrides.append(dotted(path))
        merged[key] = value
        for known in [p for p in base_located if p[: len(path)] == path]:
            del base_located[known]
        for known, where in child_located.items():
            if known[: len(path)] == path:
                base_located[known] = where
    return merged


def _validate_schema(document: dict[str, Any], located: Located) -> None:
    problems = schema_errors(
        jsonschema.Draft202012Validator(policy_schema()),
        document,
        located,
        _schema_message,
        leaves=_specific,
        place=lambda error: (*error.absolute_path, *_unexpected(error)[:1]),
    )
    if problems:
        raise PolicyErrors(problems)


def _specific(error: jsonschema.ValidationError) -> list[jsonschema.ValidationError]:
    """The errors inside a ``oneOf`` of the one alternative whose type fits the value.

    Most entries are "a mapping, or null to remove the inherited one"; reporting that a
    mapping "is not valid under any of the given schemas" hides the key that is wrong.
    """
    if error.validator not in ("oneOf", "anyOf") or not error.context:
        return [error]
    by_alternative: dict[Any, list[jsonschema.ValidationError]] = {}
    for sub in error.context:
        by_alternative.setdefault(sub.schema_path[0] if sub.schema_path else None, []).append(sub)
    fitting = [
        subs
        for subs in by_alternative.values()
        if not any(s.validator == "type" and not s.relative_path for s in subs)
    ]
    if len(fitting) != 1:
        return [error]
    return [leaf for sub in fitting[0] for leaf in _specific(sub)]


def _unexpected(error: jsonschema.ValidationError) -> list[str]:
    """The keys an ``additionalProperties: false`` error is about."""
    if error.validator != "additionalProperties" or not isinstance(error.instance, dict):
        return []
    allowed = error.schema.get("properties", {}) if isinstance(error.schema, dict) else {}
    return [str(key) for key in error.instance if key not in allowed]


def _schema_message(error: jsonschema.ValidationError, path: KeyPath) -> str:
    if error.validator == "additionalProperties":
        return f"{error.message}; see `regiekaart schema` for the keys allowed here"
    if error.validator == "oneOf" and isinstance(error.instance, dict | list | str):
        expected = error.schema.get("description") if isinstance(error.schema, dict) else None
        return f"{error.message}" + (f" (expected: {expected})" if expected else "")
    return str(error.message)


def locate(policy_sources: Mapping[str, str], path: str) -> tuple[str | None, int | None]:
    """``file`` and ``line`` of a dotted path in a policy's source map."""
    while path:
        where = policy_sources.get(path)
        if where:
            file, _, line = where.rpartition(":")
            return file, int(line)
        path = path.rpartition(".")[0]
    return None, None


def _tuple(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    return tuple(str(v) for v in value)


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


def _cell(role: str, raw: Mapping[str, Any]) -> RoleCell:
    return RoleCell(
        role=role,
        holders=_tuple(raw.get("holders")),
        eligible=_tuple(raw.get("eligible")),
        optional=bool(raw.get("optional", False)),
        keep=bool(raw.get("keep", True)),
        from_measures=bool(raw.get("from_measures", False)),
        from_dominance=bool(raw.get("from_dominance", False)),
        appoint=_deciders(raw.get("appoint")),
        text=str(raw.get("text", "")),
        source=str(raw.get("source", "")),
    )


def _roles(raw: Mapping[str, Any] | None) -> dict[str, RoleCell]:
    return {role: _cell(role, cell) for role, cell in (raw or {}).items() if cell is not None}


def _states(document: Mapping[str, Any]) -> dict[str, StateDef]:
    states: dict[str, StateDef] = {}
    for phase_id, raw in (document.get("phases") or {}).items():
        sub = raw.get("substates") or {}
        children = tuple(f"{phase_id}.{c}" for c in (sub.get("states") or {}))
        states[phase_id] = StateDef(
            id=phase_id,
            title=str(raw["title"]),
            order=int(raw["order"]),
            colour=str(raw.get("colour", "")),
            situation=str(raw.get("situation", "")).strip(),
            initial=bool(raw.get("initial", False)),
            parallel=bool(sub.get("parallel", False)),
            roles=_roles(raw.get("roles")),
            children=children,
            source=str(raw.get("source", "")),
        )
        for child_id, child in (sub.get("states") or {}).items():
            when = (child.get("when") or {}).get("measures")
            states[f"{phase_id}.{child_id}"] = StateDef(
                id=f"{phase_id}.{child_id}",
                title=str(child["title"]),
                parent=phase_id,
                initial=bool(child.get("initial", False)),
                when_measures=when,
                roles=_roles(child.get("roles")),
                source=str(child.get("source", "")),
            )
    for final_id, raw in (document.get("final") or {}).items():
        states[final_id] = StateDef(
            id=final_id, title=str(raw["title"]), final=True, source=str(raw.get("source", ""))
        )
    return states


def _transitions(document: Mapping[str, Any]) -> dict[str, TransitionRule]:
    rules: dict[str, TransitionRule] = {}
    for rule_id, raw in (document.get("transitions") or {}).items():
        rules[rule_id] = TransitionRule(
            id=rule_id,
            kind=raw["kind"],
            source_state=raw["from"],
            target_state=raw.get("to"),
            deciders=_deciders(raw["deciders"]),
            criteria=_tuple(raw.get("criteria")),
            criteria_mode=raw.get("criteria_mode", "any" if raw.get("criteria") else "none"),
            requires=_tuple(raw.get("requires")),
            needs_dominance=raw.get("dominance") == "required",
            direction=raw.get("direction"),
            assign={role: _tuple(h) for role, h in (raw.get("assign") or {}).items()},
            release=_tuple(raw.get("release")),
            title=str(raw.get("title", "")),
            description=str(raw.get("description", "")).strip(),
            source=str(raw.get("source", "")),
        )
    return rules


def _build(
    document: dict[str, Any],
    located: Located,
    chain: tuple[str, ...],
    overrides: tuple[str, ...],
) -> Policy:
    measures = document.get("measures") or {}
    dominance = document.get("dominance") or {}
    # In the order written, not sorted: the order of rules, cells and obligations is
    # part of what a card means (the first rule that fits is tried first), so two cards
    # that differ only in order must not share a digest.
    canonical = json.dumps(document, ensure_ascii=False, separators=(",", ":"), default=str)
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
            )
            for rid, r in (document.get("roles") or {}).items()
        },
        states=_states(document),
        transitions=_transitions(document),
        criteria={
            cid: Criterion(id=cid, text=str(c["text"]).strip(), source=c.get("source", ""))
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
            )
            for mid, m in (measures.get("options") or {}).items()
        },
        measures_in=_tuple(measures.get("applies_in")),
        dominance={
            did: DominanceOption(
                id=did,
                title=d["title"],
                roles={role: _tuple(h) for role, h in d["roles"].items()},
                source=d.get("source", ""),
            )
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
        extends=chain,
        overrides=overrides,
        sources={dotted(p): f"{f}:{line}" for p, (f, line) in located.items() if p},
        # The whole sha256: a card's digest is what an audit trusts to name the card its
        # cases were decided under, so no one may write two cards that share it.
        digest=hashlib.sha256(canonical.encode("utf-8")).hexdigest(),
        document=canonical,
    )
