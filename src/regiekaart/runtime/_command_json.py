"""The JSON text of commands, read within bounds and strictly.

Text from outside (a file, stdin, a queue) is bounded in size and nesting before it is
parsed, so a huge or deeply nested document is refused as a
:class:`~regiekaart.errors.LimitExceeded` instead of exhausting memory or the stack. It
is read strictly where Python's reader is lenient, and every failure is a
:class:`~regiekaart.errors.PolicyError` that names the source and quotes nothing of it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from regiekaart.errors import PolicyError
from regiekaart.limits import Limits, decode_text, exceeded
from regiekaart.limits import resolve as resolve_limits

_JSON_TOKENS = re.compile(r'"(?:[^"\\]|\\.)*"?|[\[{]|[\]}]')
"""A JSON string (closed or not), or a bracket: what the depth scan needs to see."""


def json_depth(text: str) -> int:
    """The deepest bracket nesting of JSON ``text``, brackets inside strings skipped.

    Counted without recursion, before ``json.loads`` recurses into a document that a
    100,000-deep array would make end in ``RecursionError``.
    """
    depth = deepest = 0
    for match in _JSON_TOKENS.finditer(text):
        char = match.group(0)[0]
        if char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}":
            depth -= 1
    return deepest


def read_json(text: str | bytes, source: str, limits: Limits | None) -> Any:
    """The JSON value of a command text, its size and nesting bounded by ``limits``."""
    bounds = resolve_limits(limits)
    size = len(text) if isinstance(text, bytes) else len(text.encode("utf-8", "surrogatepass"))
    if size > bounds.max_command_bytes:
        raise exceeded(
            f"the command has {size:,} bytes",
            "max_command_bytes",
            bounds.max_command_bytes,
            file=source,
        )
    if isinstance(text, bytes):
        text = decode_text(text, file=source)
    if json_depth(text) > bounds.max_depth:
        raise exceeded(
            "the command is nested too deeply", "max_depth", bounds.max_depth, file=source
        )
    return _json(text, source)


def _json(text: str, source: str) -> Any:
    """``json.loads`` with every failure as a :class:`PolicyError` that quotes nothing.

    Strict where Python's reader is lenient: ``NaN`` and ``Infinity`` are not JSON, and a
    key given twice is refused rather than the last one silently winning (a reviewer
    reading the first would see another command than the one applied).
    """
    try:
        return json.loads(text, parse_constant=_not_json, object_pairs_hook=_unique_keys)
    except _Ambiguous as exc:
        raise PolicyError(str(exc), file=source) from None
    except json.JSONDecodeError as exc:
        raise PolicyError(
            f"the command is not JSON: {exc.msg} (column {exc.colno})",
            file=source,
            line=exc.lineno,
        ) from None
    except ValueError as exc:
        # A number of more than 4,300 digits: Python's own bound on reading integers.
        raise PolicyError(f"the command is not usable JSON: {exc}", file=source) from None
    except RecursionError:
        raise PolicyError("the command is nested too deeply", file=source) from None


class _Ambiguous(ValueError):
    """A JSON text Python would read but a person could read otherwise."""


def _not_json(constant: str) -> Any:
    raise _Ambiguous(f"the command holds {constant}, which is not a JSON number")


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out = dict(pairs)
    if len(out) == len(pairs):
        return out
    seen: set[str] = set()  # one pass: a million-key object is refused as fast as read
    for key, _ in pairs:
        if key in seen:
            raise _Ambiguous(f"the command gives the key {key!r} twice")
        seen.add(key)
    raise AssertionError("unreachable: fewer keys than pairs means one came twice")


def coerced(given: Mapping[str, Any], read: Mapping[str, Any]) -> str | None:
    """The first field the reader had to convert (``5`` read as the reason ``"5"``, the
    text ``"PARTY"`` as a list of letters): taken as typed, a command is what it says."""
    for key, value in given.items():
        if json.dumps(value, sort_keys=True) != json.dumps(read.get(key), sort_keys=True):
            return repr(key)
    return None
