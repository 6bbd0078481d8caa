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
    parse_commands,
    structure_command,
    unstructure_command,
)
from .errors import (
    AuditChainBroken,
    CaseClosed,
    CommandRefused,
    ConcurrencyConflict,
    CriteriaNotMet,
    HolderRequired,
    IneligibleHolder,
    InputRefused,
    InvalidCommand,
    LimitExceeded,
    NotAuthorized,
    PolicyError,
    PolicyErrors,
    PreconditionNotMet,
    RegiekaartError,
    SnapshotMismatch,
    StoreError,
    TransitionNotAllowed,
)
from .limits import Limits
from .loader import load_policy, load_policy_document, policy_schema
from .policy import Policy
from .records import CaseState, Event, Facts

__version__ = "0.1.0"

__all__ = [
    "Appoint",
    "AuditChainBroken",
    "Case",
    "CaseClosed",
    "CaseState",
    "ChangeLevel",
    "Clock",
    "CloseCase",
    "Command",
    "CommandRefused",
    "CompiledPolicy",
    "ConcurrencyConflict",
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
    "Signal",
    "SnapshotMismatch",
    "StepClock",
    "StoreError",
    "TransitionNotAllowed",
    "__version__",
    "compile_policy",
    "load_policy",
    "load_policy_document",
    "parse_commands",
    "policy_schema",
    "structure_command",
    "system_clock",
    "unstructure_command",
]
