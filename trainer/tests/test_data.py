from pathlib import Path
from typing import Any

import numpy as np
import pytest

from hpo_rig_train.data import DataError, download, load


def write_npz(path: Path, **overrides: Any) -> Path:
    rng = np.random.default_rng(0)
    arrays: dict[str, Any] = {
        "x_train": rng.integers(0, 256, size=(20, 4, 4), dtype=np.uint8),
        "y_train": np.arange(20) % 3,
        "x_test": rng.integers(0, 256, size=(6, 4, 4), dtype=np.uint8),
        "y_test": np.arange(6) % 3,
    }
    arrays.update(overrides)
    np.savez(path, **{k: v for k, v in arrays.items() if v is not None})
    return path


def test_digits_are_scaled_and_split() -> None:
    splits = load("digits")
    assert splits.input_shape == (8, 8)
    assert splits.num_classes == 10
    assert len(splits.x_train) == 1437
    assert len(splits.x_val) == 360
    assert splits.x_train.dtype == np.float32
    assert splits.x_train.min() == 0.0
    assert splits.x_train.max() == 1.0


def test_npz_uint8_is_scaled_to_unit_range(tmp_path: Path) -> None:
    splits = load("npz", write_npz(tmp_path / "d.npz"))
    assert splits.x_train.dtype == np.float32
    assert splits.x_train.max() <= 1.0
    assert splits.num_classes == 3
    assert splits.y_val.tolist() == [0, 1, 2, 0, 1, 2]


def test_validation_split_holds_out_part_of_training(tmp_path: Path) -> None:
    splits = load("npz", write_npz(tmp_path / "d.npz"), validation_split=0.25, seed=1)
    assert (len(splits.x_train), len(splits.x_val)) == (15, 5)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"y_test": None}, "missing arrays y_test"),
        ({"y_train": np.full(20, 0.5)}, "integer class ids"),
        ({"y_train": np.full(20, -1)}, "negative"),
        ({"y_train": np.zeros(3, dtype=int)}, "same number of samples"),
    ],
)
def test_bad_npz_is_a_data_error(tmp_path: Path, overrides: dict[str, Any], message: str) -> None:
    with pytest.raises(DataError, match=message):
        load("npz", write_npz(tmp_path / "d.npz", **overrides))


def test_unreadable_npz_is_a_data_error(tmp_path: Path) -> None:
    path = tmp_path / "d.npz"
    path.write_text("not a zip", encoding="utf-8")
    with pytest.raises(DataError, match=r"not a readable \.npz"):
        load("npz", path)


def test_only_keras_datasets_download() -> None:
    with pytest.raises(DataError, match="only mnist, fashion_mnist, cifar10"):
        download(["digits"])
