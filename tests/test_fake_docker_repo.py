"""The stand-in of Docker's apt repository (molecule/resources/fakes/docker-ce).

build-repo.sh repackages Debian's engine under Docker's package names and
signs a repository laid out like download.docker.com/linux/debian. These
tests build it, serve it over HTTP as the docker scenario does, and let apt
(with its own lists and cache, as an unprivileged user may) read it through
the source line the docker role writes: signed-by Docker's key name, suite
the codename, component stable. A repository signed by another key must be
refused, as apt refuses it on a host.
"""

from __future__ import annotations

import functools
import http.server
import os
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
BUILD = ROOT / "molecule/resources/fakes/docker-ce/build-repo.sh"
# What the role installs from Docker's repository (roles/docker/defaults/main.yml).
PACKAGES = yaml.safe_load((ROOT / "roles/docker/defaults/main.yml").read_text())["docker_packages"][
    "docker"
]
CODENAME = dict(
    line.split("=", 1) for line in Path("/etc/os-release").read_text().splitlines() if "=" in line
)["VERSION_CODENAME"].strip('"')


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("docker-repo")
    build = subprocess.run(
        [str(BUILD), str(out)], capture_output=True, text=True, timeout=600, check=False
    )
    assert build.returncode == 0, f"build-repo.sh failed: {build.stderr[-2000:]}"
    return out


@pytest.fixture(scope="module")
def server(repo: Path) -> Iterator[str]:
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(repo))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/linux/debian"
    httpd.shutdown()


def _apt(tmp: Path, source: str, *argv: str) -> subprocess.CompletedProcess[str]:
    """apt with its own sources, lists and cache under tmp (the host's dpkg status)."""
    (tmp / "sources.list").write_text(source + "\n")
    for sub in ("lists/partial", "cache/archives/partial"):
        (tmp / sub).mkdir(parents=True, exist_ok=True)
    options = [
        f"-oDir::Etc::SourceList={tmp / 'sources.list'}",
        "-oDir::Etc::SourceParts=/nonexistent",
        f"-oDir::State::Lists={tmp / 'lists'}",
        f"-oDir::Cache={tmp / 'cache'}",
        "-oDebug::NoLocking=1",
        "-oAPT::Sandbox::User=" + os.environ.get("USER", "root"),
    ]
    return subprocess.run(
        [argv[0], *options, *argv[1:]], capture_output=True, text=True, timeout=120, check=False
    )


def _source_line(key: Path, url: str) -> str:
    # The line roles/docker/tasks/install-docker.yml adds.
    return f"deb [signed-by={key}] {url} {CODENAME} stable"


def test_lays_out_dockers_repository(repo: Path) -> None:
    root = repo / "linux/debian"
    assert (root / "gpg").read_text().startswith("-----BEGIN PGP PUBLIC KEY BLOCK-----")
    dist = root / "dists" / CODENAME
    for name in ("Release", "InRelease", "Release.gpg", "stable/binary-amd64/Packages"):
        assert (dist / name).is_file(), name
    packages = (dist / "stable/binary-amd64/Packages").read_text()
    for name in PACKAGES:
        assert f"Package: {name}\n" in packages
    assert "Version: 5:29." in packages
    assert f"Filename: dists/{CODENAME}/pool/stable/amd64/docker-ce_29." in packages


def test_apt_installs_the_roles_packages_with_signed_by(
    repo: Path, server: str, tmp_path: Path
) -> None:
    key = repo / "linux/debian/gpg"
    update = _apt(tmp_path, _source_line(key, server), "apt-get", "update")
    assert update.returncode == 0, update.stdout + update.stderr
    assert "NO_PUBKEY" not in update.stderr
    assert "not signed" not in update.stderr
    policy = _apt(tmp_path, _source_line(key, server), "apt-cache", "policy", *PACKAGES)
    assert "Candidate: 5:29." in policy.stdout, policy.stdout
    simulate = _apt(
        tmp_path, _source_line(key, server), "apt-get", "install", "--simulate", "-y", *PACKAGES
    )
    assert simulate.returncode == 0, simulate.stdout + simulate.stderr
    for name in PACKAGES:
        assert f"Inst {name} " in simulate.stdout, simulate.stdout


def test_apt_refuses_the_repository_under_another_key(
    repo: Path, server: str, tmp_path: Path
) -> None:
    gnupg = tmp_path / "gnupg"
    gnupg.mkdir(mode=0o700)
    env = {**os.environ, "GNUPGHOME": str(gnupg)}
    subprocess.run(
        ["gpg", "--batch", "--passphrase", "", "--quick-gen-key", "other <o@x.invalid>", "ed25519"],
        env=env,
        capture_output=True,
        check=True,
    )
    other = tmp_path / "other.asc"
    export = subprocess.run(
        ["gpg", "--armor", "--export"], env=env, capture_output=True, check=True
    )
    other.write_bytes(export.stdout)
    update = _apt(tmp_path, _source_line(other, server), "apt-get", "update")
    assert "NO_PUBKEY" in update.stderr or "is not signed" in update.stderr, update.stderr
    policy = _apt(tmp_path, _source_line(other, server), "apt-cache", "policy", "docker-ce")
    assert "Candidate: 5:29." not in policy.stdout
