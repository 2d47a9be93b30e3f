"""A generated enterprise that speaks the real Jira Cloud and ServiceNow Table APIs on loopback."""

from simulators.faults import FaultConfig
from simulators.serve import Simulators, start_simulators

__all__ = ["FaultConfig", "Simulators", "start_simulators"]
