"""regiekaart: the de-escaleren regiekaart as an executable, checkable statechart.

A municipality's card is a policy file; :func:`load_policy` reads and validates it,
:class:`Case` runs one household's case on the compiled chart, and the commands below
are what a host system sends it, and :func:`open_store` keeps cases with their audit
trail (SQLite or PostgreSQL). Refusals are :class:`CommandRefused` subclasses that name
the rule they enforce.
"""

from regiekaart.clock import Clock, StepClock, system_clock
from regiekaart.errors import (
    AuditChainBroken,
    CaseClosed,
    CaseExists,
    CaseNotFound,
    CommandRefused,
    ConcurrencyConflict,
    CorruptRecord,
    CriteriaNotMet,
    HolderRequired,
    IneligibleHolder,
    InputRefused,
    InvalidCommand,
    InvalidIdentifier,
    InvalidText,
    InvalidTime,
    LimitExceeded,
    NotAuthorized,
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
from regiekaart.runtime.records import CaseState, Event, Facts
from regiekaart.runtime.snapshot import Snapshot
from regiekaart.store import CaseStore, open_store

__version__ = "0.1.0"

__all__ = [
    "Appoint",
    "AuditChainBroken",
    "Case",
    "CaseClosed",
    "CaseExists",
    "CaseNotFound",
    "CaseState",
    "CaseStore",
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
