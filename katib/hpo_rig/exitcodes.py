"""The exit codes of every hpo-rig command, and the --help epilog that lists them."""

from __future__ import annotations

OK = 0
# The work was done and found problems: an invalid Experiment, one the API server's webhook
# denied (400/409/422), an Experiment that ended Failed.
FAILED = 1
# Bad usage (argparse's own code), or an input file that cannot be read as YAML: malformed
# (FILE:LINE:COL), unreadable, not UTF-8, over the size limit (hpo_rig/yamlio.py).
USAGE = 2
CLUSTER = 3  # the Kubernetes API refused (401, 403, 5xx) or could not be reached in time
NOT_FOUND = 4  # no such Experiment, or no Katib CRD in the cluster (Katib not installed)
TIMEOUT = 5  # watch --timeout ran out before the Experiment finished
# run or report without their optional dependencies (the message names the pip command).
MISSING_EXTRA = 6
INTERRUPTED = 130  # Ctrl-C, as shells report SIGINT

EPILOG = (
    "exit codes: 0 ok; 1 failed (problems found, request denied by the API's validation, "
    "experiment Failed); 2 bad usage or an input file that is not readable YAML; "
    "3 the Kubernetes API refused or is unreachable (401, 403, 5xx, connection refused, "
    "request timeout); "
    "4 not found (no such Experiment, or Katib's CRDs are not installed); "
    "5 watch --timeout expired; 6 an optional dependency is missing (report needs the "
    "'report' extra; the message names the pip command); 130 interrupted"
)
