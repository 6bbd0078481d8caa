"""One household's case on the compiled card: commands in, events and state out.

``commands`` and ``records`` are the frozen values a host sends and reads back;
``chart`` compiles a :class:`~regiekaart.policy.model.Policy` into a python-statemachine
chart; ``authority``, ``guards`` and ``roles`` decide who may take a step and who holds
which role after it; ``case`` applies a command atomically; ``snapshot`` is the stored
form of a case and the checks that a stored form is one the card allows.

May import: ``regiekaart.policy`` and the foundation.
"""

from regiekaart.runtime.case import Case
from regiekaart.runtime.chart import CompiledPolicy, compile_policy

__all__ = ["Case", "CompiledPolicy", "compile_policy"]
