"""Questions about every case a card allows: situations, the commands that apply in
them, the search over them, and the obligations checked in each.

``situations`` says what of a case decides what may happen next and which parties,
measures and dominance options the policy treats alike; ``enumeration`` lists the
commands worth trying in a situation; ``search`` applies them to real cases,
breadth-first; ``invariants`` checks a case against the obligations its policy declares.

May import: ``regiekaart.runtime``, ``regiekaart.policy`` and the foundation.
"""

__all__ = []
