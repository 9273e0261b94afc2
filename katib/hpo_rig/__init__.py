"""hpo-rig: Katib experiment templates, validation and tooling for a one-GPU tuning rig."""

__version__ = "0.1.0"
