"""Subcommands of the ``hpo-rig`` command-line tool, one module each."""
