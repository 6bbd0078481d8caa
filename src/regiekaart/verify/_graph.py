"""The checks decided on the explored graph as a whole, once the search is done.

"From every situation the initial phase is reachable again" and every ``path_to``
check are decided backwards from the situations in the target state — one pass over
the edges rather than a search per situation; states never reached and rules never
fired are read off what the search saw.
"""

from __future__ import annotations

from collections import deque

from regiekaart.analysis.situations import SituationKey
from regiekaart.policy.model import Policy
from regiekaart.runtime.records import Event
from regiekaart.verify.counterexample import tag_words
from regiekaart.verify.findings import (
    NO_DEAD_END,
    REACHABILITY,
    RULES_FIRE,
    SEARCH_KINDS,
    Exploration,
    Finding,
)


def dead_ends(
    policy: Policy,
    result: Exploration,
    configs: dict[SituationKey, tuple[str, ...]],
    paths: dict[SituationKey, tuple[Event, ...]],
    closed: set[SituationKey],
    edges: dict[SituationKey, set[SituationKey]],
) -> None:
    """Decide "a way back to S" for the initial phase and every ``path_to`` check, on the graph."""
    targets: list[tuple[str, str, str, str, str]] = []
    initial = policy.initial_state().id
    targets.append((NO_DEAD_END, initial, "no way back", "", "no_dead_end"))
    for inv in result.invariants:
        for name, params in inv.checks:
            if name in SEARCH_KINDS:
                targets.append((inv.id, str(params["state"]), inv.title, inv.source, name))
    reverse: dict[SituationKey, list[SituationKey]] = {}
    unknown: set[SituationKey] = set()
    for source_key, targets_of in edges.items():
        for target in targets_of:
            if target not in configs:
                unknown.add(source_key)
            reverse.setdefault(target, []).append(source_key)
    for check_id, state, title, section, kind in targets:
        goals = [k for k, conf in configs.items() if state in conf]
        back = _backwards(goals, reverse)
        maybe = _backwards(list(unknown), reverse) if result.bound_hit else set()
        # A closed case is finished, not stuck: the runtime's own path_to exempts it too.
        dead = [k for k in configs if k not in back and k not in maybe and k not in closed]
        if check_id == NO_DEAD_END:
            result.undetermined = sum(
                1 for k in configs if k not in back and k in maybe and k not in closed
            )
        if not dead:
            continue
        worst = min(dead, key=lambda k: len(paths[k]))
        where = ", ".join(configs[worst])
        name = (
            title
            if check_id != NO_DEAD_END
            else f"From every situation {state} can be reached again"
        )
        result.findings.append(
            Finding(
                "dead_end",
                check_id,
                name,
                section,
                f"no way back to {state} from {where} ({len(dead)} such situations)",
                paths[worst][1:],
                subject=state,
                check_kind=kind,
            )
        )


def _backwards(
    goals: list[SituationKey], reverse: dict[SituationKey, list[SituationKey]]
) -> set[SituationKey]:
    seen = set(goals)
    queue = deque(goals)
    while queue:
        node = queue.popleft()
        for parent in reverse.get(node, ()):
            if parent not in seen:
                seen.add(parent)
                queue.append(parent)
    return seen


def card_coverage(policy: Policy, result: Exploration) -> None:
    """States never reached and rules never fired (only meaningful on a complete run)."""
    if result.bound_hit:
        return
    for state in policy.states.values():
        if state.id not in result.reached:
            result.findings.append(
                Finding(
                    "unreachable",
                    REACHABILITY,
                    "Every phase and sub-state can be reached",
                    state.source,
                    f"{state.title or state.id} ({state.id}) is never reached",
                    subject=state.id,
                )
            )
    for rule in policy.transitions.values():
        if rule.id not in result.fired:
            result.findings.append(
                Finding(
                    "dead_rule",
                    RULES_FIRE,
                    "Every transition of the card can fire",
                    rule.source,
                    f"{rule.title or rule.id} ({rule.id}) never fires"
                    + (f" [{tag_words(policy, rule.tags)}]" if rule.tags else ""),
                    subject=rule.id,
                )
            )
