"""Image build self-check: can this image load the CUDA libraries its TensorFlow was built for?

``tf.sysconfig.get_build_info()`` names the CUDA and cuDNN versions of a CUDA build. TensorFlow
opens them at run time as ``lib<name>.so.<version>`` (``GetDsoHandle`` in
``tsl/platform/default/dso_loader.cc``; the cudart version is ``11.0`` for every CUDA 11
and the major version from CUDA 12 on, cuDNN's its major version). When one fails to load,
TensorFlow only warns "Cannot dlopen some GPU libraries ... Skipping registering GPU devices"
and trains on the CPU (tensorflow/tensorflow#62412, #88348): this check makes the image build
fail instead. No GPU or driver is needed to dlopen these libraries.

    python -m hpo_rig_train.cuda_check     # exit 0: loadable or a CPU build; 1: not loadable
"""

from __future__ import annotations

import ctypes
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

EXIT_OK = 0
EXIT_MISSING = 1


def sonames(build_info: Mapping[str, Any]) -> list[str]:
    """The cudart and cuDNN sonames TensorFlow's loader asks for, from its build info."""
    cuda = str(build_info.get("cuda_version", "")).strip()
    cudnn = str(build_info.get("cudnn_version", "")).strip()
    if not cuda or not cudnn:
        raise ValueError(f"build info names no CUDA/cuDNN version: {dict(build_info)}")
    major, _, rest = cuda.partition(".")
    minor = rest.partition(".")[0] or "0"
    if int(major) >= 12:
        cudart = major
    elif int(major) == 11:
        cudart = "11.0"
    else:
        cudart = f"{major}.{minor}"
    return [f"libcudart.so.{cudart}", f"libcudnn.so.{cudnn.partition('.')[0]}"]


def candidate_paths(soname: str, site_dirs: Sequence[Path]) -> list[str]:
    """Where to look: the loader's own search (the bare soname, LD_LIBRARY_PATH, ld.so.cache),
    then the lib folders of NVIDIA's pip wheels (site-packages/nvidia/*/lib), which
    tensorflow[and-cuda] installs and TensorFlow's RPATH points at."""
    paths = [soname]
    for site in site_dirs:
        paths += sorted(str(p) for p in site.glob(f"nvidia/*/lib/{soname}"))
    return paths


def check(
    build_info: Mapping[str, Any],
    load: Callable[[str], object] = ctypes.CDLL,
    site_dirs: Sequence[Path] | None = None,
) -> tuple[int, str]:
    """Exit code and a one-line verdict."""
    if not build_info.get("is_cuda_build"):
        return EXIT_OK, "CPU build of TensorFlow: no CUDA libraries to check"
    dirs = [Path(p) for p in sys.path if p] if site_dirs is None else list(site_dirs)
    loaded, missing = [], []
    for soname in sonames(build_info):
        errors = []
        for path in candidate_paths(soname, dirs):
            try:
                load(path)
            except OSError as err:
                errors.append(str(err))
                continue
            loaded.append(path)
            break
        else:
            missing.append(f"{soname} ({errors[0] if errors else 'not found'})")
    versions = f"CUDA {build_info.get('cuda_version')}, cuDNN {build_info.get('cudnn_version')}"
    if missing:
        return EXIT_MISSING, (
            f"TensorFlow was built for {versions} but this image cannot load "
            f"{', '.join(missing)}: it would train on the CPU. Install the matching libraries "
            "(e.g. tensorflow[and-cuda]) or pick a base whose CUDA/cuDNN match"
        )
    return EXIT_OK, f"TensorFlow built for {versions}: loaded {', '.join(loaded)}"


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args in (["-h"], ["--help"]):
        print(__doc__)
        return EXIT_OK
    if args:
        print(f"hpo-rig-cuda-check: error: unexpected arguments {args}", file=sys.stderr)
        return 2
    try:
        import tensorflow as tf
    except ImportError as err:
        print(f"hpo-rig-cuda-check: error: cannot import tensorflow ({err})", file=sys.stderr)
        return EXIT_MISSING
    code, message = check(dict(tf.sysconfig.get_build_info()))
    stream = sys.stdout if code == EXIT_OK else sys.stderr
    print(f"hpo-rig-cuda-check: {message}", file=stream, flush=True)
    return code


if __name__ == "__main__":
    sys.exit(main())
