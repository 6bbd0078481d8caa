"""Random numbers that do not depend on how households are split into chunks.

Every decision draws from a Philox stream keyed by ``(week, decision, replication,
seed)``; the household's global index is the counter. A household's uniform is
therefore the same whether it is simulated alone, in a chunk of a thousand or in one
block of a million, and the same under two policies (common random numbers). One
counter step yields four 64-bit words and a float64 uses one word, so households
``[a, b)`` start at counter ``a // 4`` and drop the first ``a % 4`` values.

May import: ``regiekaart.render``, ``regiekaart.testing``, ``regiekaart.store``,
``regiekaart.scenario``, ``regiekaart.analysis``, ``regiekaart.runtime``,
``regiekaart.policy`` and the foundation (never ``regiekaart.cli`` or ``regiekaart.verify``).
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "COMPOSITION",
    "MEASURE",
    "START",
    "WEEKLY",
    "cumulative",
    "pick",
    "uniforms",
]

WEEKLY = 0
"""Decision id of the weekly draw that picks which attempt (if any) a household sees."""
COMPOSITION = 1
START = 2
MEASURE = 3


def uniforms(seed: int, replication: int, week: int, decision: int, start: int, stop: int) -> Any:
    """Uniforms in [0, 1) for households ``start`` (inclusive) to ``stop`` (exclusive)."""
    import numpy as np

    key = np.random.SeedSequence([week, decision, replication, seed]).generate_state(2, np.uint64)
    generator = np.random.Generator(np.random.Philox(key=key, counter=start // 4))
    skip = start % 4
    return generator.random(stop - start + skip)[skip:]


def pick(u: float, cumulative: Any) -> int:
    """The attempt ``u`` selects: the number of cumulative bounds at or below it.

    The kernel computes the same count column by column over whole arrays; the last
    column is forced to 1.0 (no attempt) so rounding can never pick past the table.
    """
    return int((u >= cumulative[:-1]).sum())


def cumulative(chances: Any, width: int) -> Any:
    """The cumulative table of ``chances`` padded to ``width`` attempts plus "nothing"."""
    import numpy as np

    row = np.ones(width + 1, dtype=np.float64)
    if len(chances):
        row[: len(chances)] = np.cumsum(np.asarray(chances, dtype=np.float64))
    np.minimum(row, 1.0, out=row)
    row[-1] = 1.0
    return row
