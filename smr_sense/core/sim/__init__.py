"""A simulated instrumented roller: a physical model of a person rolling, not noise.

See ``roller.SimRoller`` (endless, seeded stream with ground truth) and ``roller.simulate``.
"""

from smr_sense.core.sim.config import BUILDS, MUSCLE_GROUPS, Behaviour, SimConfig
from smr_sense.core.sim.roller import Segment, SimRoller, simulate

__all__ = ["BUILDS", "MUSCLE_GROUPS", "Behaviour", "Segment", "SimConfig", "SimRoller", "simulate"]
