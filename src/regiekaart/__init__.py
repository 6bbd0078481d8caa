"""regiekaart: the de-escaleren regiekaart as an executable, checkable statechart.

A municipality's card is a policy file; :func:`load_policy` reads and validates it,
:class:`Case` runs one household's case on the compiled chart, and the commands below
are what a host system sends it. Refusals are :class:`CommandRefused` subclasses that
name the rule they enforce.
"""

from .case import Case
from .chart import CompiledPolicy, compile_policy
from .clock import Clock, StepClock, system_clock
from .commands import (
    Appoint,
    ChangeLevel,
    CloseCase,
    Command,
    Deescalate,
    EndMeasure,
    Escalate,
    ImposeMeasure,
    Inform,
    Melding,
    Member,
    OpenCase,
    RecordAdvice,
    RecordDecision,
    Signal,
    structure_command,
    unstructure_command,
)
from .errors import (
    AuditChainBroken,
    CaseClosed,
    CaseNotFound,
    CommandRefused,
    ConcurrencyConflict,
    CorruptRecord,
    CriteriaNotMet,
    HolderRequired,
    IneligibleHolder,
    InvalidCommand,
    InvalidIdentifier,
    InvalidText,
    InvalidTime,
    NotAuthorized,
    PolicyError,
    PolicyErrors,
    PreconditionNotMet,
    RegiekaartError,
    SnapshotMismatch,
    StoreError,
    TransitionNotAllowed,
    UnstorableValue,
)
from .loader import load_policy, policy_schema
from .policy import Policy
from .records import CaseState, Event, Facts
from .snapshot import Snapshot

__version__ = "0.1.0"

__all__ = [
    "Appoint",
    "AuditChainBroken",
    "Case",
    "CaseClosed",
    "CaseNotFound",
    "CaseState",
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
    "EndMeasure",
    "Escalate",
    "Event",
    "Facts",
    "HolderRequired",
    "ImposeMeasure",
    "IneligibleHolder",
    "Inform",
    "InvalidCommand",
    "InvalidIdentifier",
    "InvalidText",
    "InvalidTime",
    "Melding",
    "Member",
    "NotAuthorized",
    "OpenCase",
    "Policy",
    "PolicyError",
    "PolicyErrors",
    "PreconditionNotMet",
    "RecordAdvice",
    "RecordDecision",
    "RegiekaartError",
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
    "policy_schema",
    "structure_command",
    "system_clock",
    "unstructure_command",
]
