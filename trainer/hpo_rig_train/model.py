"""The classifier a trial trains: a dense MLP, or a small CNN for image data.

Replace ``build_model`` to tune your own architecture; the rest of the trainer only needs a
compiled Keras model whose loss and ``accuracy`` metric it can report.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import keras

OPTIMIZERS = (
    "sgd",
    "momentum",
    "adam",
    "adamw",
    "rmsprop",
    "adagrad",
    "adadelta",
    "adamax",
    "nadam",
)
# linear and softmax are the original recipe's choices (with relu and tanh); Keras accepts
# every name here as a Dense activation (keras.activations.get).
ACTIVATIONS = ("relu", "elu", "gelu", "selu", "swish", "tanh", "sigmoid", "linear", "softmax")
ARCHITECTURES = ("mlp", "cnn")


@dataclass(frozen=True)
class ModelSpec:
    hidden_units: int = 128
    hidden_layers: int = 2
    dropout: float = 0.2
    activation: str = "relu"
    architecture: str = "mlp"


# Each optimizer's class in keras.optimizers.
OPTIMIZER_CLASSES = {
    "sgd": "SGD",
    "adam": "Adam",
    "adamw": "AdamW",
    "rmsprop": "RMSprop",
    "adagrad": "Adagrad",
    "adadelta": "Adadelta",
    "adamax": "Adamax",
    "nadam": "Nadam",
}


def make_optimizer(name: str, learning_rate: float) -> keras.optimizers.Optimizer:
    import keras

    if name == "momentum":
        return keras.optimizers.SGD(learning_rate=learning_rate, momentum=0.9)
    cls: Any = getattr(keras.optimizers, OPTIMIZER_CLASSES[name], None)
    if cls is None:
        # Keras 2.11 (the seed image) has AdamW only as tf.keras.optimizers.experimental.AdamW.
        import tensorflow as tf

        cls = getattr(tf.keras.optimizers.experimental, OPTIMIZER_CLASSES[name])
    optimizer: keras.optimizers.Optimizer = cls(learning_rate=learning_rate)
    return optimizer


def build_model(input_shape: tuple[int, ...], num_classes: int, spec: ModelSpec) -> keras.Model:
    """Uncompiled classifier ending in a float32 softmax (stable under mixed precision)."""
    import keras
    from keras import layers

    inputs = keras.Input(shape=input_shape)
    x = inputs
    if spec.architecture == "cnn":
        if len(input_shape) == 2:
            x = layers.Reshape((*input_shape, 1))(x)
        elif len(input_shape) != 3:
            raise ValueError(f"--model cnn needs image data, got samples of shape {input_shape}")
        # "same" padding keeps 8x8 digits valid through both pooling steps.
        for filters in (32, 64):
            x = layers.Conv2D(filters, 3, padding="same", activation=spec.activation)(x)
            x = layers.MaxPooling2D()(x)
    x = layers.Flatten()(x)
    for _ in range(spec.hidden_layers):
        x = layers.Dense(spec.hidden_units, activation=spec.activation)(x)
        if spec.dropout > 0.0:
            x = layers.Dropout(spec.dropout)(x)
    outputs = layers.Dense(num_classes, activation="softmax", dtype="float32")(x)
    return keras.Model(inputs, outputs)


def probability_mae(num_classes: int) -> keras.metrics.Metric:
    """``mean_absolute_error`` of the predicted class probabilities against one-hot labels.

    The original recipe's objective. Keras' own MeanAbsoluteError would compare the integer
    label with every probability; this one-hots the label first. Backend-neutral: keras.ops
    on Keras 3; keras.backend on Keras 2 (the seed image), whose cast, reshape, one_hot, abs
    and mean take the same arguments.
    """
    import keras

    ops: Any = getattr(keras, "ops", None) or keras.backend

    def mean_absolute_error(y_true: Any, y_pred: Any) -> Any:
        labels = ops.cast(ops.reshape(y_true, (-1,)), "int32")
        one_hot = ops.cast(ops.one_hot(labels, num_classes), y_pred.dtype)
        return ops.mean(ops.abs(one_hot - y_pred), axis=-1)

    return keras.metrics.MeanMetricWrapper(mean_absolute_error, name="mean_absolute_error")


def compile_model(
    model: keras.Model, optimizer: str, learning_rate: float, num_classes: int | None = None
) -> None:
    classes = num_classes if num_classes is not None else int(model.outputs[0].shape[-1])
    model.compile(
        optimizer=make_optimizer(optimizer, learning_rate),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy", probability_mae(classes)],
    )
