"""The one live renderer of `hpo-rig run` and `hpo-rig watch`: a table of trials redrawn in
place on a terminal with ``rich``.

Only the live path imports this module (and so ``rich``): plain output for logs and pipes,
and every other subcommand, start without it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TextIO

from rich import box
from rich.console import Console, Group
from rich.live import Live
from rich.table import Table
from rich.text import Text

# Lines the live area keeps besides the title and the rows: the header (two when it wraps),
# the rule under it, the caption saying how many rows are hidden, and the cursor's line.
_FRAME_LINES = 5
# Between two columns: the padding on either side and the box's (blank) divider.
_GAP = 3
_STATE_STYLES = {
    "Running": "cyan",
    "Succeeded": "green",
    "Failed": "red",
    "MetricsUnavailable": "red",
    "Killed": "yellow",
    "EarlyStopped": "yellow",
}


def column_widths(header: Sequence[str], rows: Sequence[Sequence[str]], width: int) -> list[int]:
    """Widths that fit ``width`` columns, in the layout of ``hpo_rig.table.trial_rows``: trial
    and state first, the objective and the duration last, the parameters between.

    Values of the four outer columns stay whole (a long header wraps onto a second line,
    e.g. ``accuracy`` over ``(max)``); the parameters share what is left, the narrow ones
    whole, and the others cut short with an ellipsis."""
    natural = [
        max(len(cell) for cell in [name, *(row[i] for row in rows)])
        for i, name in enumerate(header)
    ]
    kept = [0, 1, len(header) - 2, len(header) - 1]
    widths = list(natural)
    room = width - _GAP * (len(header) - 1)
    if sum(natural) <= room:
        return widths
    for i in kept:
        longest_word = max(len(word) for word in header[i].split())
        widths[i] = max([longest_word, *(len(row[i]) for row in rows)])
    left = room - sum(widths[i] for i in kept)
    params = sorted(range(2, len(header) - 2), key=lambda i: natural[i])
    for count, i in enumerate(params):
        share = max(left // (len(params) - count), 1)
        widths[i] = min(natural[i], share)
        left -= widths[i]
    return widths


def trial_table(
    title: str,
    header: Sequence[str],
    rows: Sequence[Sequence[str]],
    width: int,
    hidden: int = 0,
) -> Group:
    """The title over the trials as a rich table ``width`` columns wide; ``hidden`` earlier
    rows are left out and counted."""
    table = Table(
        caption=f"{hidden} earlier trial(s) not shown" if hidden else None,
        caption_justify="left",
        box=box.SIMPLE_HEAD,
        show_edge=False,
        pad_edge=False,
    )
    for name, size in zip(header, column_widths(header, rows, width), strict=True):
        table.add_column(name, width=size, overflow="ellipsis")
    for row in rows:
        cells = [Text(cell, no_wrap=True) for cell in row]
        cells[1].style = _STATE_STYLES.get(row[1], "")  # the trial's state
        table.add_row(*cells)
    return Group(Text(title), table)


class LiveTable:
    """A table redrawn in place; lines said meanwhile are printed above it."""

    def __init__(self, stream: TextIO | None = None, console: Console | None = None) -> None:
        self.console = console or Console(file=stream, highlight=False)
        # No refresh thread: the caller redraws when something changed, so output is
        # deterministic and nothing races the engine's signal handling.
        self.live = Live(console=self.console, auto_refresh=False)
        self.live.start()

    def show(self, title: str, header: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
        title_lines = len(title) // max(self.console.width, 1) + 1
        room = max(self.console.size.height - title_lines - _FRAME_LINES, 1)
        hidden = max(len(rows) - room, 0)
        table = trial_table(title, header, rows[hidden:], self.console.width, hidden)
        self.live.update(table, refresh=True)

    def say(self, text: str) -> None:
        self.console.print(text, markup=False, highlight=False, soft_wrap=True)

    def close(self) -> None:
        """Stop redrawing; the last table stays on the screen."""
        started = self.live.is_started
        self.live.stop()
        if started and not self.console.is_terminal:
            # rich ends the table with a newline on a terminal only; a file forced to --live
            # gets the last table once, and the next line must not run onto it.
            self.console.line()
