"""Print, as JSON lines, the variables each role resolves, without running the role.

A test-only stdout callback (tests/test_profile_resolution.py). Run a playbook
with `--tags <a tag no task has>`: only the tasks ansible-core tags `always`
run (fact gathering, argument validation, the hpo_rig role's profile loading),
none of which changes the host. When a role's argument validation has run,
this templates the role's variables, the names in
$HPO_RIG_RESOLVED_VARS_ROLES_DIR/<role>/defaults/main.yml, as the role's own
tasks would see them, and prints {"role", "host", "vars"}.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import yaml
from ansible.plugins.callback import CallbackBase
from ansible.template import Templar

DOCUMENTATION = """
name: resolved_vars
type: stdout
short_description: JSON lines of each role's resolved variables (tests only)
description: See the module docstring.
"""


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "stdout"
    CALLBACK_NAME = "resolved_vars"

    def __init__(self) -> None:
        super().__init__()
        self._play: Any = None
        self._roles_dir = Path(os.environ["HPO_RIG_RESOLVED_VARS_ROLES_DIR"])

    def v2_playbook_on_play_start(self, play: Any) -> None:
        self._play = play

    def v2_runner_on_ok(self, result: Any) -> None:
        task = result._task
        role = task._role
        context = task.args.get("validate_args_context", {})
        if role is None or not task.action.endswith("validate_argument_spec"):
            return
        if context.get("argument_spec_name") != "main":
            return
        defaults = self._roles_dir / role.get_name() / "defaults/main.yml"
        names = sorted(yaml.safe_load(defaults.read_text()))
        manager = self._play.get_variable_manager()
        loader = self._play._loader
        task_vars = manager.get_vars(play=self._play, host=result._host, task=task)
        templar = Templar(loader=loader, variables=task_vars)
        resolved = {}
        for name in names:
            try:
                resolved[name] = templar.template(task_vars[name])
            except Exception as error:  # an unresolvable value is compared as its error
                resolved[name] = f"<error: {type(error).__name__}>"
        line = {"role": role.get_name(), "host": result._host.get_name(), "vars": resolved}
        self._display.display(json.dumps(line, sort_keys=True, default=str))

    def v2_runner_on_failed(self, result: Any, ignore_errors: bool = False) -> None:
        failure = {"failed": result._task.get_name(), "result": result._result}
        self._display.display(json.dumps(failure, default=str))
