"""Reading policy files: YAML → validated, resolved :class:`~regiekaart.policy.model.Policy`.

A card is read with the cards it ``extends:`` (see :mod:`regiekaart.policy._extends`), the
merged document is validated against the JSON Schema shipped in the package, and the
model is built and checked for what a schema cannot say (a party that does not exist, a
role without a holder, a transition to an unknown phase). Every error names the file,
the line and the path.

May import: the foundation (``regiekaart.errors``, ``ids``, ``limits``, ``clock``,
``terminal``) and this package, nothing else of regiekaart.
"""

from __future__ import annotations

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
from regiekaart.policy._build import build
from regiekaart.policy._extends import resolve
from regiekaart.policy._formats import upgrade
from regiekaart.policy._timing import timing_problems
from regiekaart.policy.model import Policy
from regiekaart.policy.roots import SearchPath
from regiekaart.policy.sourcemap import KeyPath, Located, schema_errors

__all__ = ["load_policy", "load_policy_document", "policy_schema"]


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
        document, located, chain, overrides = resolve(Path(path), (), bounds, search_path)
        return _checked(document, located, chain, overrides, name)
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
        return _checked(data, {}, (), (), name)
    except PolicyError as error:
        for problem in (*getattr(error, "errors", ()), error):
            problem.file = problem.file or name
        raise
    except (RecursionError, ValueError) as exc:
        raise PolicyError(
            f"the document cannot be checked ({type(exc).__name__})", file=name
        ) from None


def _checked(
    written: dict[str, Any],
    located: Located,
    chain: tuple[str, ...],
    overrides: tuple[str, ...],
    name: str,
) -> Policy:
    document, located = upgrade(written, located, name)
    _validate_schema(document, located)
    unreadable = timing_problems(document, located)
    if unreadable:
        raise PolicyErrors(unreadable)
    policy = build(document, located, chain, overrides, written=written)
    problems = semantics.check(policy, document, located)
    if problems:
        raise PolicyErrors(problems)
    return policy


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
    if error.validator == "not" and isinstance(error.validator_value, dict):
        said = error.validator_value.get("description")
        instance: Any = error.instance
        if said and isinstance(instance, dict):
            return f"{said} (written: {', '.join(map(str, instance))})"
    return str(error.message)
