"""Time, injected: the engine never reads the wall clock itself.

A host passes the clock its audit trail should use; tests, scenarios and simulations
pass a :class:`StepClock` so that every run records the same times.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

__all__ = [
    "Clock",
    "StepClock",
    "system_clock",
]

Clock = Callable[[], datetime]
"""Returns the time to record on the next event."""


def system_clock() -> datetime:
    """The host's wall clock, in UTC: the default a host gets when it passes none."""
    return datetime.now(UTC)


class StepClock:
    """A deterministic clock: starts at ``start`` and moves ``step`` at every reading."""

    def __init__(
        self,
        start: datetime = datetime(2026, 1, 5, 9, 0, tzinfo=UTC),
        step: timedelta = timedelta(hours=1),
    ) -> None:
        self._next = start
        self._step = step

    def __call__(self) -> datetime:
        now = self._next
        self._next = now + self._step
        return now

    def set(self, when: datetime) -> None:
        """Let the next reading be ``when`` (scenarios that state their own dates)."""
        self._next = when
