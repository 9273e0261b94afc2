"""What the nvidia_driver role's own templates evaluate to, for given facts.

The role's defaults, vars and handlers are loaded as Ansible loads them and
templated with Ansible's Templar: no host is needed to see which package
names and paths they give.
- The signed module metapackage on Ubuntu is named as ubuntu-drivers names it
  (ubuntu-drivers-common, UbuntuDrivers/detect.py get_linux_modules_metapackage()
  and kerneldetection.py): linux-modules-nvidia-<branch>[-server]-<suffix> from
  the installed linux-image-<suffix> metapackage ("virtual" read as "generic"),
  else the running kernel's flavour; it follows kernel upgrades, unlike the
  package of the running kernel's ABI.
- The initramfs handler runs where the running kernel's initramfs exists.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from ansible.parsing.dataloader import DataLoader
from ansible.template import Templar, trust_as_template

ROOT = Path(__file__).resolve().parent.parent
ROLE = ROOT / "roles/nvidia_driver"


def trusted(value: Any) -> Any:
    if isinstance(value, str):
        return trust_as_template(value)
    if isinstance(value, dict):
        return {key: trusted(item) for key, item in value.items()}
    if isinstance(value, list):
        return [trusted(item) for item in value]
    return value


def render(expression: str, kernel: str, **variables: Any) -> Any:
    loader = DataLoader()
    role_vars = {
        **trusted(loader.load_from_file(str(ROLE / "defaults/main.yml"))),
        **trusted(loader.load_from_file(str(ROLE / "vars/main.yml"))),
    }
    templar = Templar(
        loader=loader,
        variables={
            **role_vars,
            "ansible_facts": {
                "kernel": kernel,
                "distribution": "Ubuntu",
                "distribution_version": "24.04",
            },
            "ansible_local": {},
            "nvidia_driver_branch": "550",
            **variables,
        },
    )
    return templar.template(trusted(expression))


@pytest.mark.parametrize(
    ("kernel", "images", "flavour", "metapackage"),
    [
        (
            "6.8.0-45-generic",
            ["linux-image-generic"],
            "desktop",
            "linux-modules-nvidia-550-generic",
        ),
        ("6.8.0-45-generic", [], "desktop", "linux-modules-nvidia-550-generic"),
        (
            "6.8.0-45-generic",
            ["linux-image-generic", "linux-image-generic-hwe-22.04"],
            "desktop",
            "linux-modules-nvidia-550-generic-hwe-22.04",
        ),
        (
            "6.8.0-45-generic",
            ["linux-image-virtual"],
            "server",
            "linux-modules-nvidia-550-server-generic",
        ),
        ("5.15.0-1050-aws", ["linux-image-aws"], "server", "linux-modules-nvidia-550-server-aws"),
        (
            "6.5.0-14-lowlatency",
            ["linux-image-generic"],
            "desktop",
            "linux-modules-nvidia-550-lowlatency",
        ),
    ],
)
def test_signed_module_metapackage_follows_the_kernel_flavour(
    kernel: str, images: list[str], flavour: str, metapackage: str
) -> None:
    variables = {
        "nvidia_driver_kernel_image_metapackages": images,
        "nvidia_driver_flavour": flavour,
    }
    assert render("{{ nvidia_driver_prebuilt_metapackage }}", kernel, **variables) == metapackage
    # The running kernel's own package is still the ABI-specific one.
    branch = metapackage.split("-")[3] + ("-server" if flavour == "server" else "")
    assert render("{{ nvidia_driver_prebuilt_package }}", kernel, **variables) == (
        f"linux-modules-nvidia-{branch}-{kernel}"
    )


def test_a_kernel_without_a_flavour_has_no_metapackage() -> None:
    assert render("{{ nvidia_driver_kernel_flavour }}", "6.9.0-custom") == ""


def test_initramfs_handler_looks_for_the_running_kernels_image() -> None:
    loader = DataLoader()
    handlers = loader.load_from_file(str(ROLE / "handlers/main.yml"))
    rebuild = next(h for h in handlers if h["name"] == "Rebuild the initramfs")
    assert rebuild["ansible.builtin.command"]["cmd"] == "update-initramfs -u -k all"
    removes = rebuild["ansible.builtin.command"]["removes"]
    assert render(removes, "6.8.0-45-generic") == "/boot/initrd.img-6.8.0-45-generic"
