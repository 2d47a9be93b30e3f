"""A generated enterprise that speaks the real Jira Cloud and ServiceNow Table APIs on loopback.

world/    the generated enterprise and its clock (``simulators.world.World``), in one SQLite file
api/      the Jira and ServiceNow servers over that file: JQL, encoded queries, fault injection
serve.py  both together: ``start_simulators``, the world cache and ``pwh simulate``
"""

from simulators.api.faults import FaultConfig
from simulators.serve import Simulators, start_simulators

__all__ = ["FaultConfig", "Simulators", "start_simulators"]
