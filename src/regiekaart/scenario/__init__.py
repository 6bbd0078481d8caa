"""Case stories as files: a household, the steps taken, and what must hold after each.

A scenario is played on real :class:`~regiekaart.runtime.case.Case` objects, so a
scenario that passes is evidence about the engine itself. The values live in
:mod:`.model`, reading and checking files in :mod:`.reader`, playing in :mod:`.play`.

May import: ``regiekaart.analysis``, ``regiekaart.runtime``, ``regiekaart.policy`` and
the foundation.
"""

from regiekaart.scenario.model import (
    STEP_COMMANDS,
    STEP_KEYS,
    Expectation,
    Scenario,
    ScenarioResult,
    Step,
    StepResult,
    open_by_obligation,
)
from regiekaart.scenario.play import play
from regiekaart.scenario.reader import (
    check_scenario,
    is_scenario_file,
    load_scenario,
    scenario_policy,
    scenario_schema,
    validate_scenario,
)

__all__ = [
    "STEP_COMMANDS",
    "STEP_KEYS",
    "Expectation",
    "Scenario",
    "ScenarioResult",
    "Step",
    "StepResult",
    "check_scenario",
    "is_scenario_file",
    "load_scenario",
    "open_by_obligation",
    "play",
    "scenario_policy",
    "scenario_schema",
    "validate_scenario",
]
