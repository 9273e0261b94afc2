"""The local engine behind ``hpo-rig run``: a Katib Experiment on one machine, no cluster."""

from hpo_rig.engine.earlystop import EarlyStoppingError
from hpo_rig.engine.samplers import AlgorithmError
from hpo_rig.engine.space import SearchSpaceError
from hpo_rig.engine.state import StateError

__all__ = ["AlgorithmError", "EarlyStoppingError", "SearchSpaceError", "StateError"]
