"""Simulation of case trajectories for a population of households.

A population scenario (:mod:`.attempts`) says how often each step is attempted, by whom;
:mod:`.model` derives the outcome of every attempt in every reachable situation by
driving the real runtime; :mod:`.kernel` advances all households a week at a time over
those tables and :mod:`.reference` drives one real case per household as its yardstick.
numpy and pyarrow (the ``simulate`` extra) are imported only when a simulation runs.

May import: ``regiekaart.render``, ``regiekaart.testing``, ``regiekaart.store``,
``regiekaart.scenario``, ``regiekaart.analysis``, ``regiekaart.runtime``,
``regiekaart.policy`` and the foundation (never ``regiekaart.cli`` or ``regiekaart.verify``).
"""

__all__ = []
