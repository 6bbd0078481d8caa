"""The ``cards`` table: the resolved text of every card a case was stored under.

A commit keeps its card once, so an audit can later replay the case's events under the
card they were decided under (:mod:`.replay`) without the host having to supply it.
"""

from __future__ import annotations

from regiekaart.policy.model import Policy
from regiekaart.store._backend import Backend, Cursor


class CardTable(Backend):
    """Keeps cards and reads them back by digest."""

    _cards_kept: frozenset[str] = frozenset()
    """Digests of the cards this connection knows the ``cards`` table holds."""

    def _keep_card(self, cursor: Cursor, policy: Policy) -> set[str]:
        """Keep the card's resolved text, once, so an audit can replay under it later."""
        if policy.digest in self._cards_kept or not policy.document:
            return set()
        cursor.execute(
            self._sql(
                "INSERT INTO cards (digest, policy_id, policy_version, document)"
                " VALUES (?, ?, ?, ?) ON CONFLICT (digest) DO NOTHING"
            ),
            (policy.digest, policy.id, policy.version, policy.document),
        )
        return {policy.digest}

    def _card_text(self, digest: str) -> str | None:
        with self._transaction(write=False) as cursor:
            cursor.execute(self._sql("SELECT document FROM cards WHERE digest = ?"), (digest,))
            row = cursor.fetchone()
        return None if row is None else str(row[0])
