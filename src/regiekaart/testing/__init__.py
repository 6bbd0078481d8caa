"""Property tests of a card for a host's own suite: public API.

A host imports :func:`policy_state_machine` into its pytest suite and gets a hypothesis
stateful test that drives real cases on its card and checks the card's obligations
after every step.

May import: ``regiekaart.store``, ``scenario``, ``analysis``, ``runtime``, ``policy`` and
the foundation; never ``render`` (its neighbour in the layer order), ``verify``,
``simulate`` or ``cli``.
"""

from regiekaart.testing.machine import (
    SEARCH_CHECKS,
    PolicyStateMachine,
    policy_state_machine,
    run_policy_state_machine,
)

__all__ = [
    "SEARCH_CHECKS",
    "PolicyStateMachine",
    "policy_state_machine",
    "run_policy_state_machine",
]
