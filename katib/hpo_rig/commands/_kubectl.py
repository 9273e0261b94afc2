"""What the kubectl-style commands (list, delete, logs, budget) share: cluster flags, kubectl's
table layout and ages, and the one-line errors kubectl users know.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from datetime import UTC, datetime

from hpo_rig import cluster, exitcodes

EXIT_CODES = exitcodes.EPILOG
RESOURCE = "experiment.kubeflow.org"  # kubectl's singular.group, as in `-o name` and messages
RESOURCES = "experiments.kubeflow.org"  # kubectl's plural.group, as in NotFound errors


def add_cluster_arguments(parser: argparse.ArgumentParser) -> None:
    add_namespace_argument(parser)
    parser.add_argument(
        "--api-version", default="v1beta1", help="Katib API version (default: %(default)s)"
    )
    add_kubeconfig_arguments(parser)


def add_namespace_argument(parser: argparse.ArgumentParser, help: str | None = None) -> None:
    parser.add_argument(
        "-n",
        "--namespace",
        help=help or "the namespace (default: the kubeconfig context's, else default)",
    )


def add_kubeconfig_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--kubeconfig", help="kubeconfig file (default: $KUBECONFIG, else ~/.kube/config)"
    )
    parser.add_argument("--context", help="kubeconfig context (default: its current-context)")


def namespace_of(args: argparse.Namespace) -> str:
    """``-n``, else the kubeconfig context's namespace, as kubectl picks it."""
    return str(args.namespace or cluster.default_namespace(args.kubeconfig, args.context))


def not_found(plural: str, name: str) -> str:
    """kubectl's message for a 404 (kubectl get/delete on a missing object)."""
    return f'Error from server (NotFound): {plural} "{name}" not found'


def tabulate(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """Columns as kubectl prints them: a tabwriter with 3 spaces of padding, left-aligned
    (k8s.io/cli-runtime pkg/printers/tabwriter.go: minwidth 6, padding 3)."""
    table = [list(header), *[list(row) for row in rows]]
    widths = [max(max(len(row[i]), 6 - 3) for row in table) for i in range(len(header))]
    lines = []
    for row in table:
        cells = [cell.ljust(widths[i] + 3) for i, cell in enumerate(row[:-1])]
        lines.append("".join(cells) + row[-1])
    return "\n".join(lines)


def age(timestamp: str | None, now: datetime | None = None) -> str:
    """kubectl's AGE column: ``<unknown>`` without a timestamp, else HumanDuration."""
    if not timestamp:
        return "<unknown>"
    try:
        created = datetime.fromisoformat(timestamp.replace("Z", "+00:00"))
    except ValueError:
        return "<unknown>"
    if created.tzinfo is None:
        created = created.replace(tzinfo=UTC)
    return human_duration(((now or datetime.now(UTC)) - created).total_seconds())


def human_duration(seconds_elapsed: float) -> str:
    """k8s.io/apimachinery pkg/util/duration/duration.go HumanDuration, step for step."""
    seconds = int(seconds_elapsed)
    if seconds < -1:
        return "<invalid>"
    if seconds < 0:
        return "0s"
    if seconds < 60 * 2:
        return f"{seconds}s"
    minutes = seconds // 60
    if minutes < 10:
        rest = seconds % 60
        return f"{minutes}m" if rest == 0 else f"{minutes}m{rest}s"
    if minutes < 60 * 3:
        return f"{minutes}m"
    hours = seconds // 3600
    if hours < 8:
        rest = minutes % 60
        return f"{hours}h" if rest == 0 else f"{hours}h{rest}m"
    if hours < 48:
        return f"{hours}h"
    if hours < 24 * 8:
        rest = hours % 24
        return f"{hours // 24}d" if rest == 0 else f"{hours // 24}d{rest}h"
    if hours < 24 * 365 * 2:
        return f"{hours // 24}d"
    if hours < 24 * 365 * 8:
        rest = (hours // 24) % 365
        years = hours // 24 // 365
        return f"{years}y" if rest == 0 else f"{years}y{rest}d"
    return f"{hours // 24 // 365}y"
