"""Command line of hpo-rig-train: every hyperparameter is a flag with a checked range.

Bad values end with exit code 2 and a message naming the flag and its allowed range, before
TensorFlow is imported, so a mistyped Katib search space fails its trial at once.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from hpo_rig_train import __version__, data, train
from hpo_rig_train import backend as backends
from hpo_rig_train.gpu import DEVICES, GpuSettings
from hpo_rig_train.model import ACTIVATIONS, ARCHITECTURES, OPTIMIZERS, ModelSpec

EPILOG = f"""\
aliases kept from the original recipe (with its types), so its Katib experiments run
unchanged: --myParameter1 = --hidden-units (integer), --myParameter2 = --learning-rate
(float), --myParameter3 = --activation (name), --gpuFraction = --gpu-memory-fraction

metrics: after each epoch one stdout line
  <RFC 3339 time> epoch=N loss=X accuracy=X mean_absolute_error=X val_loss=X
  val_accuracy=X val_mean_absolute_error=X
in fixed-point notation, read alike by Katib's v1alpha3 and v1beta1 StdOut filters.

exit codes: {train.EXIT_OK} success, {train.EXIT_FAILURE} failure (data, GPU cap, out of memory),
  {train.EXIT_USAGE} bad flag or framework not installed (the message names the extra),
  {train.EXIT_NAN_LOSS} loss became NaN or infinite,
  {train.EXIT_NO_GPU} a GPU was expected (--device gpu, or NVIDIA_VISIBLE_DEVICES naming a device)
    and the framework sees none (driver, container runtime or CUDA libraries)
"""


def _bound(value: float) -> str:
    """A range bound as written in help and errors: never in exponent notation."""
    return str(int(value)) if float(value).is_integer() else str(value)


def _number_in(
    kind: Callable[[str], float],
    low: float,
    high: float,
    *,
    low_open: bool = False,
    high_open: bool = False,
) -> Callable[[str], float]:
    """argparse type: ``kind(text)`` within [low, high], each end optionally open."""
    interval = f"{'(' if low_open else '['}{_bound(low)}, {_bound(high)}{')' if high_open else ']'}"
    type_name = "an integer" if kind is int else "a number"

    def parse(text: str) -> float:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"must be {type_name} in {interval}, got {text!r}"
            ) from None
        too_low = value <= low if low_open else value < low
        too_high = value >= high if high_open else value > high
        if math.isnan(value) or too_low or too_high:
            raise argparse.ArgumentTypeError(f"must be {type_name} in {interval}, got {text!r}")
        return value

    parse.__name__ = "int" if kind is int else "float"  # argparse names the type in messages
    return parse


def _existing_file(text: str) -> Path:
    path = Path(text)
    if not path.is_file():
        raise argparse.ArgumentTypeError(f"no such file: {text}")
    return path


def _dataset_list(text: str) -> list[str]:
    names = [n.strip() for n in text.split(",") if n.strip()]
    unknown = [n for n in names if n not in data.KERAS_DATASETS]
    if unknown:
        raise argparse.ArgumentTypeError(
            f"cannot download {', '.join(unknown)}; choose from {', '.join(data.KERAS_DATASETS)}"
        )
    return names


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="hpo-rig-train",
        description="Train one Keras classifier as a Katib trial and print its metrics.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        allow_abbrev=False,  # an abbreviation that matches today may be ambiguous tomorrow
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")

    g = parser.add_argument_group("data")
    g.add_argument(
        "--dataset",
        choices=data.DATASETS,
        default="digits",
        help="dataset to train on; npz reads --data-path (default: %(default)s)",
    )
    g.add_argument(
        "--data-path",
        type=_existing_file,
        metavar="FILE",
        help="a .npz with arrays x_train, y_train, x_test, y_test (labels 0..K-1)",
    )
    g.add_argument(
        "--validation-split",
        type=_number_in(float, 0, 1, high_open=True),
        default=0.0,
        metavar="F",
        help="fraction of the training split held out for validation, in [0, 1); "
        "0 validates on the test split (default: %(default)s)",
    )

    g = parser.add_argument_group("model")
    g.add_argument(
        "--model",
        choices=ARCHITECTURES,
        default="mlp",
        help="dense MLP, or a small CNN before the dense layers (default: %(default)s)",
    )
    g.add_argument(
        "--hidden-units",
        "--myParameter1",
        type=_number_in(int, 1, 65536),
        default=128,
        metavar="N",
        help="units per hidden layer, in [1, 65536] (default: %(default)s)",
    )
    g.add_argument(
        "--hidden-layers",
        type=_number_in(int, 0, 32),
        default=2,
        metavar="N",
        help="hidden dense layers, in [0, 32] (default: %(default)s)",
    )
    g.add_argument(
        "--dropout",
        type=_number_in(float, 0, 1, high_open=True),
        default=0.2,
        metavar="F",
        help="dropout rate after each hidden layer, in [0, 1) (default: %(default)s)",
    )
    g.add_argument(
        "--activation",
        "--myParameter3",
        choices=ACTIVATIONS,
        default="relu",
        help="hidden-layer activation (default: %(default)s)",
    )

    g = parser.add_argument_group("training")
    g.add_argument(
        "--learning-rate",
        "--myParameter2",
        type=_number_in(float, 0, 10, low_open=True),
        default=0.001,
        metavar="F",
        help="optimizer learning rate, in (0, 10] (default: %(default)s)",
    )
    g.add_argument(
        "--optimizer",
        choices=OPTIMIZERS,
        default="adam",
        help="optimizer; momentum is SGD with momentum 0.9 (default: %(default)s)",
    )
    g.add_argument(
        "--batch-size",
        type=_number_in(int, 1, 65536),
        default=64,
        metavar="N",
        help="samples per batch, in [1, 65536] (default: %(default)s)",
    )
    g.add_argument(
        "--epochs",
        type=_number_in(int, 1, 10000),
        default=10,
        metavar="N",
        help="training epochs, in [1, 10000] (default: %(default)s)",
    )
    g.add_argument(
        "--seed",
        type=_number_in(int, 0, 2**32 - 1),
        default=0,
        metavar="N",
        help="random seed for weights, shuffling and splits (default: %(default)s)",
    )

    g = parser.add_argument_group(
        "GPU", "time-sliced GPUs give no memory isolation: give every trial its own cap"
    )
    cap = g.add_mutually_exclusive_group()
    cap.add_argument(
        "--gpu-memory-fraction",
        "--gpuFraction",
        type=_number_in(float, 0, 1, low_open=True),
        metavar="F",
        help="cap this trial at F of the GPU's total memory (read through NVML), in (0, 1]",
    )
    cap.add_argument(
        "--gpu-memory-mb",
        type=_number_in(int, 1, 2**24),
        metavar="MB",
        help="cap this trial at MB MiB of GPU memory, in [1, 16777216]",
    )
    g.add_argument(
        "--device",
        choices=DEVICES,
        default="auto",
        help="gpu: fail (exit 4) unless the framework sees a GPU; cpu: hide GPUs; auto: GPU "
        "if seen, else CPU with a note, unless NVIDIA_VISIBLE_DEVICES names a device index or "
        "UUID (then as gpu) (default: %(default)s)",
    )
    g.add_argument(
        "--backend",
        choices=backends.BACKENDS,
        help="Keras 3 backend (default: $KERAS_BACKEND, else tensorflow); Keras 2 (the seed "
        "image) has tensorflow only",
    )
    # Two flags rather than argparse.BooleanOptionalAction, which needs Python 3.9 (the seed
    # image has 3.8).
    precision = g.add_mutually_exclusive_group()
    precision.add_argument(
        "--mixed-precision",
        action="store_true",
        default=False,
        help="float16 compute on GPU, ignored on CPU (default: off)",
    )
    precision.add_argument(
        "--no-mixed-precision",
        dest="mixed_precision",
        action="store_false",
        help="float32 compute (the default)",
    )

    g = parser.add_argument_group("output")
    g.add_argument(
        "--metrics-file",
        type=Path,
        metavar="FILE",
        help="also append metrics to FILE, for Katib's File collector",
    )
    g.add_argument(
        "--metrics-format",
        choices=("text", "json"),
        default="text",
        help="format of --metrics-file: name=value lines, or JSON lines with a timestamp key "
        "(default: %(default)s)",
    )
    g.add_argument(
        "--tensorboard-dir",
        type=Path,
        metavar="DIR",
        help="write TensorFlow event files to DIR, for Katib's TensorFlowEvent collector",
    )

    g = parser.add_argument_group("setup")
    g.add_argument(
        "--download",
        type=_dataset_list,
        metavar="NAMES",
        help="download these comma-separated Keras datasets into $KERAS_HOME and exit "
        "(used at image build time, so that trials need no network)",
    )
    return parser


def config_from_args(
    parser: argparse.ArgumentParser, args: argparse.Namespace
) -> train.TrainConfig:
    """TrainConfig from parsed flags; checks that span several flags end in parser.error."""
    if args.dataset == "npz" and args.data_path is None:
        parser.error("argument --dataset: npz needs --data-path FILE")
    if args.data_path is not None and args.dataset != "npz":
        parser.error("argument --data-path: only used with --dataset npz")
    try:
        backend = backends.resolve(args.backend)
    except backends.BackendError as err:
        parser.error(f"argument --backend: {err}")
    needs_tf = args.tensorboard_dir is not None and backend != "tensorflow"
    if needs_tf and backends.missing_modules("tensorflow"):
        parser.error("argument --tensorboard-dir: needs TensorFlow installed (tf.summary)")
    return train.TrainConfig(
        dataset=args.dataset,
        data_path=args.data_path,
        validation_split=args.validation_split,
        learning_rate=args.learning_rate,
        optimizer=args.optimizer,
        batch_size=args.batch_size,
        epochs=args.epochs,
        model=ModelSpec(
            hidden_units=args.hidden_units,
            hidden_layers=args.hidden_layers,
            dropout=args.dropout,
            activation=args.activation,
            architecture=args.model,
        ),
        seed=args.seed,
        gpu=GpuSettings(
            memory_fraction=args.gpu_memory_fraction,
            memory_mb=args.gpu_memory_mb,
            mixed_precision=args.mixed_precision,
            device=args.device,
        ),
        metrics_file=args.metrics_file,
        metrics_format=args.metrics_format,
        tensorboard_dir=args.tensorboard_dir,
        backend=backend,
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    # TensorFlow's C++ INFO lines would bury the metric lines in the trial's log.
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    if args.download is not None:
        try:
            backend = backends.resolve(args.backend)
            backends.require(backend)
        except backends.BackendError as err:
            print(f"hpo-rig-train: error: {err}", file=sys.stderr, flush=True)
            return train.EXIT_USAGE
        backends.activate(backend)
        try:
            data.download(args.download)
        except data.DataError as err:
            print(f"hpo-rig-train: error: {err}", file=sys.stderr, flush=True)
            return train.EXIT_FAILURE
        return train.EXIT_OK
    return train.run(config_from_args(parser, args))
