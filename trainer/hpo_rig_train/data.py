"""Datasets a trial can train on, as float32 arrays with integer class labels.

Keras' datasets are downloaded once, when the image is built (``hpo-rig-train --download``),
into ``$KERAS_HOME/datasets``; trials then read that cache and need no network.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

KERAS_DATASETS = ("mnist", "fashion_mnist", "cifar10")
DATASETS = ("digits", *KERAS_DATASETS, "npz")
NPZ_KEYS = ("x_train", "y_train", "x_test", "y_test")

Array = npt.NDArray[np.generic]


class DataError(RuntimeError):
    """A dataset cannot be loaded."""


@dataclass(frozen=True)
class Splits:
    x_train: Array
    y_train: Array
    x_val: Array
    y_val: Array
    num_classes: int

    @property
    def input_shape(self) -> tuple[int, ...]:
        return tuple(int(d) for d in self.x_train.shape[1:])


def _scale(x: Array) -> Array:
    """float32 features; 8-bit images are scaled to [0, 1]."""
    if x.dtype == np.uint8:
        return (x.astype(np.float32) / 255.0).astype(np.float32)
    return x.astype(np.float32)


def _labels(y: Array) -> Array:
    labels = np.asarray(y).reshape(-1)
    if not np.issubdtype(labels.dtype, np.integer):
        if not np.all(np.equal(np.mod(labels, 1), 0)):
            raise DataError("labels must be integer class ids 0..K-1")
        labels = labels.astype(np.int64)
    if labels.size and labels.min() < 0:
        raise DataError("labels must be integer class ids 0..K-1, found a negative one")
    return labels.astype(np.int32)


def _load_digits() -> tuple[Array, Array, Array, Array]:
    from sklearn.datasets import load_digits  # scikit-learn is slow to import
    from sklearn.model_selection import train_test_split

    digits = load_digits()
    images = (digits.images / 16.0).astype(np.float32)  # pixel values are 0..16
    x_train, x_test, y_train, y_test = train_test_split(
        images, digits.target, test_size=0.2, random_state=0, stratify=digits.target
    )
    return x_train, y_train, x_test, y_test


def _load_keras(name: str) -> tuple[Array, Array, Array, Array]:
    import keras

    module = getattr(keras.datasets, name)
    try:
        (x_train, y_train), (x_test, y_test) = module.load_data()
    except Exception as err:  # urllib, OSError and hash errors all mean "not available"
        raise DataError(
            f"dataset {name} is neither cached nor downloadable ({err}); "
            f"build the image with it in DATASETS or run 'hpo-rig-train --download {name}'"
        ) from err
    return x_train, y_train, x_test, y_test


def _load_npz(path: Path) -> tuple[Array, Array, Array, Array]:
    try:
        with np.load(path, allow_pickle=False) as archive:
            missing = [k for k in NPZ_KEYS if k not in archive.files]
            if missing:
                raise DataError(f"{path}: missing arrays {', '.join(missing)}")
            x_train, y_train, x_test, y_test = (archive[k] for k in NPZ_KEYS)
            return x_train, y_train, x_test, y_test
    except (OSError, ValueError) as err:
        raise DataError(f"{path}: not a readable .npz file ({err})") from err


def load(
    name: str, data_path: Path | None = None, validation_split: float = 0.0, seed: int = 0
) -> Splits:
    """Train and validation splits of ``name``.

    With ``validation_split`` 0 the dataset's test split validates; otherwise that fraction of
    the training split is held out (shuffled with ``seed``) and the test split is not used.
    """
    if name == "digits":
        x_train, y_train, x_test, y_test = _load_digits()
    elif name in KERAS_DATASETS:
        x_train, y_train, x_test, y_test = _load_keras(name)
    elif name == "npz":
        if data_path is None:
            raise DataError("--dataset npz needs --data-path")
        x_train, y_train, x_test, y_test = _load_npz(data_path)
    else:
        raise DataError(f"unknown dataset {name!r}; choose from {', '.join(DATASETS)}")

    x_train, x_test = _scale(x_train), _scale(x_test)
    y_train, y_test = _labels(y_train), _labels(y_test)
    if len(x_train) != len(y_train) or len(x_test) != len(y_test):
        raise DataError("x and y of a split must hold the same number of samples")
    if validation_split > 0.0:
        order = np.random.default_rng(seed).permutation(len(x_train))
        n_val = max(1, int(len(x_train) * validation_split))
        val, keep = order[:n_val], order[n_val:]
        x_test, y_test = x_train[val], y_train[val]
        x_train, y_train = x_train[keep], y_train[keep]
    if len(x_train) == 0 or len(x_test) == 0:
        raise DataError("training and validation splits must not be empty")
    num_classes = int(max(y_train.max(), y_test.max())) + 1
    return Splits(x_train, y_train, x_test, y_test, num_classes)


def download(names: Iterable[str]) -> None:
    """Fill the Keras dataset cache, so that trials need no network."""
    for name in names:
        if name not in KERAS_DATASETS:
            raise DataError(f"only {', '.join(KERAS_DATASETS)} can be downloaded, not {name!r}")
        print(f"hpo-rig-train: downloading {name}", file=sys.stderr, flush=True)
        _load_keras(name)
