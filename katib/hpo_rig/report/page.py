"""The report's HTML page: self-contained (the PNGs inlined as data: URIs, nothing loaded from
elsewhere), with the notes on how it was drawn and a table of every trial."""

from __future__ import annotations

import base64
import html
from collections.abc import Sequence
from datetime import UTC, datetime

from hpo_rig.experiment import Experiment, Objective
from hpo_rig.table import format_value, parameter_names, summary
from hpo_rig.trials import Trial, best_trial


def html_page(
    name: str,
    trials: Sequence[Trial],
    objective: Objective,
    experiment: Experiment | None,
    images: Sequence[tuple[str, bytes]],
    notes: Sequence[str] = (),
) -> str:
    maximum = experiment.max_trial_count if experiment else None
    names = parameter_names(trials, experiment)
    best = best_trial(trials, objective)
    header = ["trial", "state", *names, objective.metric, "seconds", "message"]
    rows = []
    for trial in trials:
        cells = [
            trial.name,
            trial.state,
            *(trial.assignments.get(n, "") for n in names),
            format_value(trial.objective_value(objective)),
            format_value(trial.duration_s),
            trial.message,
        ]
        marker = ' class="best"' if best is not None and trial.name == best.name else ""
        rows.append(
            f"<tr{marker}>" + "".join(f"<td>{html.escape(c)}</td>" for c in cells) + "</tr>"
        )
    figures = "\n".join(
        f'<figure><img alt="{html.escape(title)}" src="data:image/png;base64,'
        f'{base64.b64encode(data).decode("ascii")}"><figcaption>{html.escape(title)}'
        "</figcaption></figure>"
        for title, data in images
    )
    remarks = "\n".join(f'<p class="note">Note: {html.escape(note)}.</p>' for note in notes)
    generated = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>hpo-rig report: {html.escape(name)}</title>
<style>
body {{ font-family: sans-serif; margin: 2em; color: #222; }}
table {{ border-collapse: collapse; font-size: 0.9em; }}
th, td {{ border: 1px solid #ccc; padding: 0.25em 0.6em; text-align: left; }}
th {{ background: #eee; }}
tr.best {{ background: #e6f4ea; font-weight: bold; }}
p.note {{ background: #fff8e1; padding: 0.4em 0.6em; }}
img {{ max-width: 100%; }}
</style>
</head>
<body>
<h1>Experiment {html.escape(name)}</h1>
<p>{html.escape(summary(name, trials, objective, maximum))}</p>
<p>Generated {generated} by hpo-rig.</p>
{remarks}
{figures}
<h2>Trials</h2>
<table>
<thead><tr>{"".join(f"<th>{html.escape(h)}</th>" for h in header)}</tr></thead>
<tbody>
{chr(10).join(rows)}
</tbody>
</table>
</body>
</html>
"""
