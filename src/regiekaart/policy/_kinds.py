"""The kinds a card's values take: of a party, of a step, of a step's direction.

Shared by the parts of the neutral model (:mod:`regiekaart.policy.model` names them).
"""

from __future__ import annotations

from typing import Literal

PartyKind = Literal["client", "community", "professional", "official", "court"]
TransitionKind = Literal["escalate", "deescalate", "change", "close"]
Direction = Literal["up", "down"]
