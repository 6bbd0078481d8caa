"""The criteria a household's attempt invokes when its scenario names none.

A population scenario says who attempts which step; the card says on which criteria.
An attempt that names no criteria invokes a smallest set that meets the rule it would
take, so that leaving them out models a step that is well founded, not one refused on
its criteria. The same tuple goes to the reference engine and the kernel, which
therefore agree on it.
"""

from __future__ import annotations

from regiekaart.policy.criteria import ways
from regiekaart.policy.model import Policy, TransitionRule

_KINDS = {
    ("opschalen", True): ("escalate", None),
    ("calamiteit", True): ("escalate", None),
    ("afschalen", True): ("deescalate", None),
    ("opschalen", False): ("change", "up"),
    ("afschalen", False): ("change", "down"),
    ("close", False): ("close", None),
    ("close", True): ("close", None),
}


def _rule(policy: Policy, state: str, kind: str, to: str | None) -> TransitionRule | None:
    """The rule an attempt of ``kind`` made in ``state`` would take: of its kind, leaving
    the innermost of ``state`` and its parents, and leading to ``to`` or into it."""
    wanted = _KINDS.get((kind, to is not None))
    if wanted is None or state not in policy.states:
        return None
    for source in policy.ancestors(state):
        for rule in policy.transitions.values():
            if (rule.kind, rule.direction if rule.kind == "change" else None) != wanted:
                continue
            if rule.source_state != source.id:
                continue
            target = rule.target_state
            if to is None or target is None or to in (target, policy.phase_of(target).id):
                return rule
    return None


def satisfying(policy: Policy, state: str, kind: str, to: str | None) -> tuple[str, ...]:
    """A smallest set of criteria that meets the rule the attempt would take; none when
    it takes no rule or the rule requires none."""
    rule = _rule(policy, state, kind, to)
    if rule is None or rule.requirement is None:
        return ()
    return min(ways(rule.requirement, 16), key=len, default=())
