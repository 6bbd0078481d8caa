"""Hypothesis strategies shared by the test modules: values a rule of the engine allows."""

from __future__ import annotations

import unicodedata

from hypothesis import strategies as st

from regiekaart.ids import MAX_ID_LENGTH

VALID_IDS = st.text(
    # No control, format or separator characters but the ASCII space; no combining marks
    # (an id is written composed, in NFC); no box drawing; nothing that shows as blank.
    st.characters(
        exclude_categories=("Cc", "Cf", "Cs", "Zl", "Zp", "Zs", "Mn"),
        exclude_characters="\u115f\u1160\u2800\u3164\uffa0",
        include_characters=" ",
    ),
    min_size=1,
    max_size=MAX_ID_LENGTH,
).filter(
    lambda s: (
        s == s.strip()
        and bool(s.strip())
        and unicodedata.is_normalized("NFC", s)
        and not any("\u2500" <= c <= "\u259f" for c in s)
    )
)
"""Every text :func:`regiekaart.ids.check_id` accepts is of this kind, written out apart
from the rule so that a property test over it can fail when the rule changes."""
