"""tf.data input pipelines: cache, shuffle, batch and prefetch, so the accelerator never waits."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import tensorflow as tf

    from hpo_rig_train.data import Array


def make_dataset(
    x: Array, y: Array, batch_size: int, *, shuffle: bool, seed: int | None = None
) -> tf.data.Dataset:
    import tensorflow as tf

    ds = tf.data.Dataset.from_tensor_slices((x, y)).cache()
    if shuffle:
        # A buffer as large as the split gives a uniform shuffle; the arrays are in memory anyway.
        ds = ds.shuffle(len(x), seed=seed, reshuffle_each_iteration=True)
    return ds.batch(batch_size).prefetch(tf.data.AUTOTUNE)
