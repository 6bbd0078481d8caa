"""The store behind ``case`` and ``audit``: opening it.

Every command that opens a store turns each store error into one message and an exit
code (:mod:`regiekaart.cli._exits`), so a script reads a conflict as 3 and any other
store error as 4 whichever command met it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from regiekaart.cli._exits import BAD_INPUT, CONFLICT, STORE_ERROR, fail
from regiekaart.errors import (
    ConcurrencyConflict,
    InvalidIdentifier,
    InvalidText,
    SnapshotMismatch,
    StoreError,
)

if TYPE_CHECKING:
    from regiekaart.store.protocol import CaseStore


@contextmanager
def store_or_exit(url: str, *, create: bool = False) -> Iterator[CaseStore]:
    """The store, with every store error turned into a message and an exit code.

    Only ``case new`` creates a store (``create=True``); every other command refuses a
    store that is not there, so a mistyped path is an error, not an empty store.
    """
    from regiekaart.store.url import open_store

    try:
        with open_store(url, create=create) as store:
            yield store
    except ConcurrencyConflict as exc:
        fail(CONFLICT, f"conflict: {exc}")
    except SnapshotMismatch as exc:
        fail(STORE_ERROR, f"the stored case does not fit the policy: {exc}")
    except StoreError as exc:
        fail(STORE_ERROR, f"store error: {exc}")
    except (InvalidIdentifier, InvalidText) as exc:
        fail(BAD_INPUT, exc)
