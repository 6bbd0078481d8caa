"""A host's own obligations, added to every verification of its card.

``regiekaart verify machines/west-brabant.yaml --invariants host_invariants:INVARIANTS``
(with this folder on ``PYTHONPATH``) checks them in every reachable situation next to
the card's own; a package can offer them under the ``regiekaart.invariants`` entry
point group instead (see docs/verification.md).
"""

from __future__ import annotations

from regiekaart.invariants import Invariant

INVARIANTS = [
    Invariant(
        id="burgemeester-bestuurlijk-in-fase4",
        title="In fase 4 is de burgemeester bestuurlijk verantwoordelijk (eigen afspraak)",
        source="§2.3.4",
        checks=(
            (
                "holders_include",
                {
                    "role": "bestuurlijk_verantwoordelijk",
                    "parties": ["burgemeester"],
                    "in": ["fase4"],
                },
            ),
        ),
    ),
    Invariant(
        id="procesregie-professioneel",
        title="Procesregie ligt altijd bij een professional of een overheidsfunctionaris",
        source="§2.3",
        checks=(
            (
                "holder_kind",
                {
                    "role": "procesregie",
                    "kinds": ["professional", "official"],
                    "in": ["fase2", "fase3", "fase4"],
                },
            ),
        ),
    ),
]
