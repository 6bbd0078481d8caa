"""The card: what a regiekaart says, read from its file and checked for sense.

The bottom layer. ``model`` is the neutral, frozen description of a card (phases, roles,
rules, measures, obligations); ``sourcemap`` reads YAML with the line of every value;
``loader`` resolves ``extends:``, validates against the JSON Schema and builds the model;
``semantics`` checks what a schema cannot (references, reachability of ids); ``checks``
is the vocabulary of obligation checks a card may use.

May import: the foundation (``regiekaart.errors``, ``ids``, ``limits``, ``clock``,
``terminal``) and nothing else of regiekaart — what a card file may say never depends
on how a case runs.
"""

from regiekaart.policy.loader import load_policy, load_policy_document, policy_schema
from regiekaart.policy.model import Policy

__all__ = ["Policy", "load_policy", "load_policy_document", "policy_schema"]
