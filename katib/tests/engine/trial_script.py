"""A small, real trial: prints Katib-style metrics computed from its flags.

accuracy rises over ``--epochs`` towards ``1 - (lr - 0.1)**2 - 0.01 * |layers - 3|``, so a
search has a known optimum (lr=0.1, layers=3). Flags: ``--fail`` exits 3 before any metric,
``--silent`` prints no metric, ``--sleep`` waits between epochs, ``--ignore-term`` ignores
SIGTERM (a trial that must be killed), ``--crash`` dies of SIGKILL after its first epoch.
"""

import argparse
import os
import signal
import sys
import time


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lr", type=float, required=True)
    parser.add_argument("--layers", type=int, default=3)
    parser.add_argument("--optimizer", default="sgd")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--sleep", type=float, default=0.0)
    parser.add_argument("--fail", action="store_true")
    parser.add_argument("--silent", action="store_true")
    parser.add_argument("--ignore-term", action="store_true")
    parser.add_argument("--crash", action="store_true")
    args = parser.parse_args()
    if args.ignore_term:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
    if args.fail:
        print("trial_script: failing on purpose", file=sys.stderr)
        return 3
    target = 1 - (args.lr - 0.1) ** 2 - 0.01 * abs(args.layers - 3)
    if args.optimizer == "adam":
        target += 0.005
    for epoch in range(1, args.epochs + 1):
        time.sleep(args.sleep)
        accuracy = target * epoch / args.epochs
        loss = 1 - accuracy
        if args.silent:
            print(f"epoch {epoch} done", flush=True)
        else:
            print(f"epoch={epoch} accuracy={accuracy:.6f} loss={loss:.6f}", flush=True)
        if args.crash:
            os.kill(os.getpid(), signal.SIGKILL)
    return 0


if __name__ == "__main__":
    sys.exit(main())
