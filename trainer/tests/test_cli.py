from pathlib import Path

import pytest

from hpo_rig_train.cli import build_parser, config_from_args, main
from hpo_rig_train.train import TrainConfig

LR = "argument --learning-rate/--myParameter2: must be a number in (0, 10]"
UNITS = "argument --hidden-units/--myParameter1: must be an integer in [1, 65536]"
DROPOUT = "argument --dropout: must be a number in [0, 1)"
ACTIVATION = "argument --activation/--myParameter3: invalid choice"
FRACTION = "argument --gpu-memory-fraction/--gpuFraction: must be a number in (0, 1]"


def config(*argv: str) -> TrainConfig:
    parser = build_parser()
    return config_from_args(parser, parser.parse_args(list(argv)))


def test_defaults() -> None:
    cfg = config()
    assert (cfg.dataset, cfg.learning_rate, cfg.epochs, cfg.batch_size) == ("digits", 0.001, 10, 64)
    assert cfg.gpu.memory_fraction is None
    assert cfg.gpu.memory_mb is None


def test_original_recipe_aliases_map_to_named_flags() -> None:
    # The recipe's types: --myParameter1 int, --myParameter2 float, --myParameter3 a name.
    cfg = config(
        "--myParameter1=50",
        "--myParameter2",
        "0.06",
        "--myParameter3=softmax",
        "--gpuFraction=0.35",
    )
    assert cfg.model.hidden_units == 50
    assert cfg.learning_rate == 0.06
    assert cfg.model.activation == "softmax"
    assert cfg.gpu.memory_fraction == 0.35


@pytest.mark.parametrize("activation", ["linear", "relu", "softmax", "tanh"])
@pytest.mark.parametrize("rate", ["0.001", "0.3", "0.0545"])
def test_the_recipe_search_space_is_accepted(activation: str, rate: str) -> None:
    cfg = config("--gpuFraction=0.35", "--myParameter1=50", f"--myParameter2={rate}",
                 f"--myParameter3={activation}")  # fmt: skip
    assert (cfg.model.hidden_units, cfg.learning_rate) == (50, float(rate))
    assert cfg.model.activation == activation


def test_device_and_backend_flags(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KERAS_BACKEND", raising=False)
    assert (config().gpu.device, config().backend) == ("auto", "tensorflow")
    assert config("--device=gpu", "--backend=jax").gpu.device == "gpu"
    assert config("--backend=torch").backend == "torch"
    monkeypatch.setenv("KERAS_BACKEND", "jax")
    assert config().backend == "jax"
    assert config("--backend=tensorflow").backend == "tensorflow"  # the flag wins


def test_all_flags_reach_the_config(tmp_path: Path) -> None:
    npz = tmp_path / "d.npz"
    npz.write_bytes(b"")
    cfg = config(
        "--dataset=npz", f"--data-path={npz}", "--validation-split=0.1", "--model=cnn",
        "--hidden-units=8", "--hidden-layers=0", "--dropout=0", "--activation=tanh",
        "--learning-rate=10", "--optimizer=sgd", "--batch-size=1", "--epochs=3", "--seed=9",
        "--gpu-memory-mb=512", "--mixed-precision", f"--metrics-file={tmp_path / 'm'}",
        "--metrics-format=json", f"--tensorboard-dir={tmp_path / 'tb'}",
    )  # fmt: skip
    assert cfg.data_path == npz
    assert cfg.validation_split == 0.1
    assert cfg.model.architecture == "cnn"
    assert cfg.model.hidden_layers == 0
    assert cfg.model.activation == "tanh"
    assert cfg.optimizer == "sgd"
    assert cfg.seed == 9
    assert cfg.gpu.memory_mb == 512
    assert cfg.gpu.mixed_precision is True
    assert cfg.metrics_format == "json"
    assert cfg.tensorboard_dir == tmp_path / "tb"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--learning-rate=0"], LR),
        (["--myParameter2=nan"], LR),
        (["--myParameter2=abc"], f"{LR}, got 'abc'"),
        (["--dropout=1"], DROPOUT),
        (["--myParameter1=0.5"], f"{UNITS}, got '0.5'"),
        (["--myParameter2=0"], LR),
        (["--myParameter3=0.5"], ACTIVATION),
        (["--device=tpu"], "argument --device: invalid choice: 'tpu'"),
        (["--backend=mlx"], "argument --backend: invalid choice: 'mlx'"),
        (["--dropout=-0.1"], DROPOUT),
        (["--hidden-units=0"], UNITS),
        (["--myParameter1=12.5"], f"{UNITS}, got '12.5'"),
        (["--hidden-layers=33"], "argument --hidden-layers: must be an integer in [0, 32]"),
        (["--batch-size=0"], "argument --batch-size: must be an integer in [1, 65536]"),
        (["--epochs=0"], "argument --epochs: must be an integer in [1, 10000]"),
        (["--gpuFraction=0"], FRACTION),
        (["--gpu-memory-fraction=1.5"], FRACTION),
        (["--gpu-memory-mb=0"], "argument --gpu-memory-mb: must be an integer in [1, 16777216]"),
        (["--seed=-1"], "argument --seed: must be an integer in [0, 4294967295]"),
        (["--validation-split=1"], "argument --validation-split: must be a number in [0, 1)"),
        (["--optimizer=lbfgs"], "argument --optimizer: invalid choice: 'lbfgs'"),
        (["--dataset=imagenet"], "argument --dataset: invalid choice: 'imagenet'"),
        (["--data-path=/no/such.npz"], "argument --data-path: no such file: /no/such.npz"),
        (["--dataset=npz"], "argument --dataset: npz needs --data-path FILE"),
        (["--gpuFraction=0.5", "--gpu-memory-mb=100"], "not allowed with argument"),
        (["--download=digits"], "argument --download: cannot download digits"),
        (["--learning"], "unrecognized arguments: --learning"),
    ],
)
def test_bad_flags_exit_2_naming_flag_and_range(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert message in err
    assert "usage: hpo-rig-train" in err


def test_data_path_without_npz_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    npz = tmp_path / "d.npz"
    npz.write_bytes(b"")
    with pytest.raises(SystemExit) as exc:
        main([f"--data-path={npz}"])
    assert exc.value.code == 2
    assert "argument --data-path: only used with --dataset npz" in capsys.readouterr().err


def test_help_documents_groups_defaults_aliases_and_exit_codes(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    for text in (
        "training:",
        "GPU:",
        "--learning-rate F, --myParameter2 F",
        "--myParameter1 = --hidden-units (integer)",
        "--myParameter3 = --activation",
        "4 a GPU was expected",
        "--device {auto,gpu,cpu}",
        "--gpuFraction = --gpu-memory-fraction",
        "(default: 0.001)",
        "in (0, 10]",
        "3 loss became NaN",
    ):
        assert text in out
