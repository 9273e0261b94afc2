"""The image build's CUDA/cuDNN self-check, on the CPU image's code path and with fakes."""

from pathlib import Path

import pytest

from hpo_rig_train import cuda_check

TF_220 = {"is_cuda_build": True, "cuda_version": "12.5.1", "cudnn_version": "9"}
# The seed image's TensorFlow 2.11, as TensorFlow's CUDA 11.2 builds report it (cudnn_version
# is the major only; also cpu_compiler and cuda_compute_capabilities, unused here).
TF_211 = {
    "is_cuda_build": True,
    "is_rocm_build": False,
    "is_tensorrt_build": True,
    "cuda_version": "11.2",
    "cudnn_version": "8",
}


@pytest.mark.parametrize(
    ("info", "expected"),
    [
        (TF_220, ["libcudart.so.12", "libcudnn.so.9"]),
        (TF_211, ["libcudart.so.11.0", "libcudnn.so.8"]),
        ({"cuda_version": "10.1", "cudnn_version": "7.6"}, ["libcudart.so.10.1", "libcudnn.so.7"]),
    ],
)
def test_sonames_follow_tensorflows_loader(info: dict[str, object], expected: list[str]) -> None:
    assert cuda_check.sonames(info) == expected


def test_cpu_build_passes_and_says_so() -> None:
    code, message = cuda_check.check({"is_cuda_build": False})
    assert code == 0
    assert "CPU build" in message


def test_missing_cudnn_fails_naming_it(tmp_path: Path) -> None:
    def load(path: str) -> object:
        if "cudnn" in path:
            raise OSError(f"{path}: cannot open shared object file")
        return object()

    code, message = cuda_check.check(TF_220, load, [tmp_path])
    assert code == 1
    assert "built for CUDA 12.5.1, cuDNN 9" in message
    assert "cannot load libcudnn.so.9 (libcudnn.so.9: cannot open shared object file)" in message
    assert "\n" not in message


def test_seed_base_libraries_are_found_on_the_loader_path(tmp_path: Path) -> None:
    """The seed base installs CUDA 11.2 and cuDNN 8 system-wide (ld.so.cache, LD_LIBRARY_PATH)."""
    opened: list[str] = []

    def load(path: str) -> object:
        opened.append(path)
        return object()

    code, message = cuda_check.check(TF_211, load, [tmp_path])
    assert code == 0, message
    assert opened == ["libcudart.so.11.0", "libcudnn.so.8"]
    assert "built for CUDA 11.2, cuDNN 8" in message


def test_libraries_of_nvidia_wheels_are_found(tmp_path: Path) -> None:
    for package, soname in (("cuda_runtime", "libcudart.so.12"), ("cudnn", "libcudnn.so.9")):
        lib = tmp_path / "nvidia" / package / "lib"
        lib.mkdir(parents=True)
        (lib / soname).write_bytes(b"")
    opened: list[str] = []

    def load(path: str) -> object:
        if "/" not in path:
            raise OSError("not on the loader path")
        opened.append(path)
        return object()

    code, message = cuda_check.check(TF_220, load, [tmp_path])
    assert code == 0, message
    assert [Path(p).name for p in opened] == ["libcudart.so.12", "libcudnn.so.9"]


@pytest.mark.slow
def test_this_tensorflow_passes(capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("tensorflow")
    assert cuda_check.main([]) == 0
    assert "hpo-rig-cuda-check:" in capsys.readouterr().out


def test_bad_arguments_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert cuda_check.main(["--strict"]) == 2
    assert "unexpected arguments" in capsys.readouterr().err


@pytest.mark.parametrize("has_tomllib", [True, False])
def test_build_deps_reads_pyproject_with_and_without_tomllib(
    monkeypatch: pytest.MonkeyPatch, has_tomllib: bool
) -> None:
    """The image's dependency list, read by the base's Python (a seed base may be < 3.11)."""
    import sys

    from hpo_rig_train import _build_deps

    if not has_tomllib:
        monkeypatch.setitem(sys.modules, "tomllib", None)  # import fails as on Python 3.10
    text = (Path(__file__).parents[1] / "pyproject.toml").read_text(encoding="utf-8")
    deps = _build_deps.dependencies(text)
    assert deps[0].startswith("numpy")
    assert any(d.startswith("nvidia-ml-py") for d in deps)
    assert not any("tensorflow" in d or "pytest" in d for d in deps)  # extras stay out
