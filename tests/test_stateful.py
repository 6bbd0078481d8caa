"""Random command sequences on both shipped cards: every obligation holds after every step.

The state machine of :mod:`regiekaart.testing` draws commands the card suggests, the same
commands by the wrong party or on the wrong criteria, any command at any moment, and
commands naming things the card does not know. After every step it checks the card's
invariants (domain.md, "Obligations that hold always"), that a refusal changed nothing,
that a restored case answers as the live one did and restores to the same snapshot, and
that the command was one log event without its free-text reason; at the end of every
example it checks "vanuit elke situatie een weg terug naar fase 1" (§1.4) and replays
the log. Derandomised: the same 300 examples per card on every run.
"""

from __future__ import annotations

import logging
import subprocess
import sys

import pytest
import structlog
from hypothesis import HealthCheck, Phase, settings
from hypothesis.stateful import run_state_machine_as_test

from case_stories import MACHINES, POLICIES
from regiekaart import Policy, load_policy
from regiekaart.analysis.invariants import Invariant
from regiekaart.testing import policy_state_machine, run_policy_state_machine

STATEFUL = settings(
    max_examples=300,
    stateful_step_count=10,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)

Universeel = policy_state_machine(load_policy(MACHINES / "universeel.yaml"))
Universeel.TestCase.settings = STATEFUL
TestUniverseel = pytest.mark.slow(Universeel.TestCase)

WestBrabant = policy_state_machine(load_policy(MACHINES / "west-brabant.yaml"))
WestBrabant.TestCase.settings = STATEFUL
TestWestBrabant = pytest.mark.slow(WestBrabant.TestCase)

QUICK = settings(
    max_examples=300,
    stateful_step_count=10,
    derandomize=True,
    database=None,
    deadline=None,
    phases=[Phase.generate],
    suppress_health_check=[HealthCheck.too_slow],
)


def test_the_machine_finds_a_client_as_casusregisseur_in_fase3() -> None:
    """A card that lets the client hold casusregie in fase 3 breaks §2.3; the random
    sequences must find it (a test that cannot fail would prove nothing)."""
    broken = policy_state_machine(load_policy(POLICIES / "client-casusregie-fase3.yaml"))
    with pytest.raises(AssertionError, match="casusregisseur-professional"):
        run_state_machine_as_test(broken, settings=QUICK)


@pytest.mark.slow
def test_the_machine_finds_a_dead_end_at_teardown() -> None:
    """§2.3.4: a card without afschalen from fase 4 leaves a calamity without a way back
    to fase 1; the search at the end of an example finds it."""
    broken = policy_state_machine(load_policy(POLICIES / "fase4-zonder-uitweg.yaml"))
    with pytest.raises(AssertionError, match="geen-doodlopende-situatie"):
        run_state_machine_as_test(broken, settings=QUICK)


NOOIT_FASE4 = Invariant(
    id="nooit-fase4",
    title="Deze gemeente komt niet in fase 4",
    source="lokaal",
    checks=(("role_held", {"role": "behandelregie", "in": ["fase4"]}),),
)
"""A host's own invariant: "this municipality never reaches fase 4", which the random
sequences break."""


def test_a_hosts_own_obligation_is_checked_after_every_step(universeel: Policy) -> None:
    """A host adds its own invariant; the random sequences must break it."""
    machine = policy_state_machine(universeel, extra_invariants=[NOOIT_FASE4])
    with pytest.raises(AssertionError, match="nooit-fase4"):
        run_state_machine_as_test(machine, settings=QUICK)


def test_the_convenience_runner_runs_a_card_in_one_call(west_brabant: Policy) -> None:
    """The runner passes a sound card and fails the same card under the host's invariant
    it was handed: it runs the machine, with the host's invariants."""
    run_policy_state_machine(west_brabant, settings=settings(QUICK, max_examples=20))
    with pytest.raises(AssertionError, match="nooit-fase4"):
        run_policy_state_machine(west_brabant, settings=QUICK, extra_invariants=[NOOIT_FASE4])


def test_hypothesis_is_needed_only_for_the_testing_module() -> None:
    """The core runs without the ``testing`` extra installed."""
    code = (
        "import sys, regiekaart, regiekaart.analysis.search, regiekaart.analysis.invariants\n"
        "print('hypothesis' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_a_host_that_filters_its_logs_still_gets_the_machines_verdict(universeel: Policy) -> None:
    """The machine counts the runtime's log events; a host whose structlog filters below
    CRITICAL (as the command line does without ``--log``) must not make every command look
    silent, and the host's set-up is left as it was."""
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.CRITICAL))
    try:
        run_policy_state_machine(universeel, settings=settings(QUICK, max_examples=5))
        with pytest.raises(AssertionError, match="nooit-fase4"):
            run_policy_state_machine(universeel, settings=QUICK, extra_invariants=[NOOIT_FASE4])
        assert structlog.get_config()["wrapper_class"] is structlog.make_filtering_bound_logger(
            logging.CRITICAL
        )
    finally:
        structlog.reset_defaults()
