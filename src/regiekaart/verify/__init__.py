"""Verification of a policy: exhaustive exploration, counterexamples, policy diff.

A policy officer who changes a regiekaart learns here, before the change is adopted,
whether every obligation of the handreiking still holds — and if not, sees the
shortest story that breaks it, as a scenario file ``regiekaart run`` replays.
Everything stands on the one situation explorer (:mod:`regiekaart.analysis.search`), which
applies commands to the real runtime, so the verdict cannot drift from the engine.

May import: ``regiekaart.testing``, ``render``, ``store``, ``scenario``,
``analysis``, ``runtime``, ``policy`` and the foundation (``errors``, ``ids``,
``limits``, ``clock``, ``terminal``); never ``simulate`` or ``cli``.
"""

from __future__ import annotations

from regiekaart.verify.exhaustive import VERIFY_SCOPE, explore, start_case
from regiekaart.verify.findings import Exploration, Finding

__all__ = ["VERIFY_SCOPE", "Exploration", "Finding", "explore", "start_case"]
