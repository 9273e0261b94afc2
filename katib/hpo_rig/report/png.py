"""Figures to PNG bytes, and the figure that stands in for a plot with nothing to show."""

from __future__ import annotations

import io

from matplotlib import pyplot
from matplotlib.figure import Figure


def png_bytes(figure: Figure) -> bytes:
    """The figure as PNG (no timestamp in it), then released: Optuna's plots are pyplot
    figures, which pyplot keeps until closed."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=100, metadata={"Software": None})
    pyplot.close(figure)
    return buffer.getvalue()


def message_figure(title: str, message: str) -> Figure:
    figure = Figure(figsize=(6.4, 2.4), layout="constrained")
    axes = figure.add_subplot()
    axes.set_title(title)
    axes.text(0.5, 0.5, message, ha="center", va="center", wrap=True)
    axes.set_axis_off()
    return figure
