"""Containerised Keras trainer for hpo-rig: hyperparameters in as flags, metrics out as lines."""

__version__ = "0.1.0"
