"""regiekaart: the de-escaleren regiekaart as an executable, checkable statechart.

A municipality's card is a policy file; :func:`load_policy` reads and validates it,
:class:`Case` runs one household's case on the compiled chart, and the commands below
are what a host system sends it, and :func:`open_store` keeps cases with their audit
trail (SQLite or PostgreSQL). Refusals are :class:`CommandRefused` subclasses that name
the rule they enforce.

The names are loaded on first use (:func:`__getattr__`): a host that needs only
:func:`load_policy`, or the command line printing its help, does not pay for the store,
the runtime or the renderers it never touches.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from regiekaart.clock import Clock, StepClock, system_clock
    from regiekaart.errors import (
        AuditChainBroken,
        CaseClosed,
        CaseExists,
        CaseNotFound,
        ChairRequired,
        CommandRefused,
        ConcurrencyConflict,
        CorruptRecord,
        CriteriaNotMet,
        ExtensionNotAllowed,
        HolderRequired,
        HoldersOutOfBounds,
        IneligibleHolder,
        InputRefused,
        InvalidCommand,
        InvalidIdentifier,
        InvalidText,
        InvalidTime,
        LimitExceeded,
        NotAuthorized,
        NotExpired,
        PolicyError,
        PolicyErrors,
        PreconditionNotMet,
        RegiekaartError,
        SchemaTooNew,
        SnapshotMismatch,
        StoreError,
        TransitionNotAllowed,
        UnstorableValue,
    )
    from regiekaart.limits import Limits
    from regiekaart.policy.loader import load_policy, load_policy_document, policy_schema
    from regiekaart.policy.model import Policy
    from regiekaart.runtime.case import Case
    from regiekaart.runtime.chart import CompiledPolicy, compile_policy
    from regiekaart.runtime.commands import (
        Appoint,
        ChangeLevel,
        CloseCase,
        Command,
        Deescalate,
        EndMeasure,
        Escalate,
        ExpireMeasure,
        ExtendMeasure,
        ImposeMeasure,
        Inform,
        Melding,
        Member,
        OpenCase,
        RecordAdvice,
        RecordDecision,
        Signal,
        parse_commands,
        structure_command,
        unstructure_command,
    )
    from regiekaart.runtime.deadlines import Due
    from regiekaart.runtime.records import CaseState, Event, Facts
    from regiekaart.runtime.snapshot import Snapshot
    from regiekaart.store import CaseStore, open_store

__version__ = "0.1.0"

_HOMES: dict[str, str] = {
    "Appoint": "regiekaart.runtime.commands",
    "AuditChainBroken": "regiekaart.errors",
    "Case": "regiekaart.runtime.case",
    "CaseClosed": "regiekaart.errors",
    "CaseExists": "regiekaart.errors",
    "CaseNotFound": "regiekaart.errors",
    "CaseState": "regiekaart.runtime.records",
    "CaseStore": "regiekaart.store",
    "ChairRequired": "regiekaart.errors",
    "ChangeLevel": "regiekaart.runtime.commands",
    "Clock": "regiekaart.clock",
    "CloseCase": "regiekaart.runtime.commands",
    "Command": "regiekaart.runtime.commands",
    "CommandRefused": "regiekaart.errors",
    "CompiledPolicy": "regiekaart.runtime.chart",
    "ConcurrencyConflict": "regiekaart.errors",
    "CorruptRecord": "regiekaart.errors",
    "CriteriaNotMet": "regiekaart.errors",
    "Deescalate": "regiekaart.runtime.commands",
    "Due": "regiekaart.runtime.deadlines",
    "EndMeasure": "regiekaart.runtime.commands",
    "Escalate": "regiekaart.runtime.commands",
    "Event": "regiekaart.runtime.records",
    "ExpireMeasure": "regiekaart.runtime.commands",
    "ExtendMeasure": "regiekaart.runtime.commands",
    "ExtensionNotAllowed": "regiekaart.errors",
    "Facts": "regiekaart.runtime.records",
    "HolderRequired": "regiekaart.errors",
    "HoldersOutOfBounds": "regiekaart.errors",
    "ImposeMeasure": "regiekaart.runtime.commands",
    "IneligibleHolder": "regiekaart.errors",
    "Inform": "regiekaart.runtime.commands",
    "InputRefused": "regiekaart.errors",
    "InvalidCommand": "regiekaart.errors",
    "InvalidIdentifier": "regiekaart.errors",
    "InvalidText": "regiekaart.errors",
    "InvalidTime": "regiekaart.errors",
    "LimitExceeded": "regiekaart.errors",
    "Limits": "regiekaart.limits",
    "Melding": "regiekaart.runtime.commands",
    "Member": "regiekaart.runtime.commands",
    "NotAuthorized": "regiekaart.errors",
    "NotExpired": "regiekaart.errors",
    "OpenCase": "regiekaart.runtime.commands",
    "Policy": "regiekaart.policy.model",
    "PolicyError": "regiekaart.errors",
    "PolicyErrors": "regiekaart.errors",
    "PreconditionNotMet": "regiekaart.errors",
    "RecordAdvice": "regiekaart.runtime.commands",
    "RecordDecision": "regiekaart.runtime.commands",
    "RegiekaartError": "regiekaart.errors",
    "SchemaTooNew": "regiekaart.errors",
    "Signal": "regiekaart.runtime.commands",
    "Snapshot": "regiekaart.runtime.snapshot",
    "SnapshotMismatch": "regiekaart.errors",
    "StepClock": "regiekaart.clock",
    "StoreError": "regiekaart.errors",
    "TransitionNotAllowed": "regiekaart.errors",
    "UnstorableValue": "regiekaart.errors",
    "compile_policy": "regiekaart.runtime.chart",
    "load_policy": "regiekaart.policy.loader",
    "load_policy_document": "regiekaart.policy.loader",
    "open_store": "regiekaart.store",
    "parse_commands": "regiekaart.runtime.commands",
    "policy_schema": "regiekaart.policy.loader",
    "structure_command": "regiekaart.runtime.commands",
    "system_clock": "regiekaart.clock",
    "unstructure_command": "regiekaart.runtime.commands",
}
"""Where each public name lives; its module is imported when the name is first read."""


def __getattr__(name: str) -> Any:
    """The public name ``name``, imported from its module on first use and then kept."""
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'regiekaart' has no attribute {name!r}")
    value = getattr(importlib.import_module(home), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_HOMES))


__all__ = [
    "Appoint",
    "AuditChainBroken",
    "Case",
    "CaseClosed",
    "CaseExists",
    "CaseNotFound",
    "CaseState",
    "CaseStore",
    "ChairRequired",
    "ChangeLevel",
    "Clock",
    "CloseCase",
    "Command",
    "CommandRefused",
    "CompiledPolicy",
    "ConcurrencyConflict",
    "CorruptRecord",
    "CriteriaNotMet",
    "Deescalate",
    "Due",
    "EndMeasure",
    "Escalate",
    "Event",
    "ExpireMeasure",
    "ExtendMeasure",
    "ExtensionNotAllowed",
    "Facts",
    "HolderRequired",
    "HoldersOutOfBounds",
    "ImposeMeasure",
    "IneligibleHolder",
    "Inform",
    "InputRefused",
    "InvalidCommand",
    "InvalidIdentifier",
    "InvalidText",
    "InvalidTime",
    "LimitExceeded",
    "Limits",
    "Melding",
    "Member",
    "NotAuthorized",
    "NotExpired",
    "OpenCase",
    "Policy",
    "PolicyError",
    "PolicyErrors",
    "PreconditionNotMet",
    "RecordAdvice",
    "RecordDecision",
    "RegiekaartError",
    "SchemaTooNew",
    "Signal",
    "Snapshot",
    "SnapshotMismatch",
    "StepClock",
    "StoreError",
    "TransitionNotAllowed",
    "UnstorableValue",
    "__version__",
    "compile_policy",
    "load_policy",
    "load_policy_document",
    "open_store",
    "parse_commands",
    "policy_schema",
    "structure_command",
    "system_clock",
    "unstructure_command",
]
