"""`ctr image import` and the content store behind it, as microk8s 1.32's ctr has them.

microk8s 1.32 builds containerd v1.6.36 (canonical/microk8s
build-scripts/components/containerd/version.sh, branch 1.32). What is modelled,
with its source in containerd v1.6.36:

- the archive is read as `images/archive/importer.go` (ImportIndex) reads it:
  an OCI layout (`oci-layout` 1.0.0 and `index.json`) wins over Docker's
  `manifest.json`; for a Docker archive the index and one Docker schema 2
  manifest per entry are written as Go's encoding/json marshals them, so the
  digests are containerd's; names get the `io.containerd.image.name`
  annotation (`normalizeReference`);
- `import.go` (Client.Import) walks the index from the top, reading every
  manifest and index it reaches (`images/image.go` Children) and keeping the
  children whose platform matches (`images/handlers.go` FilterPlatforms: no
  platform always matches). The matcher is `cmd/ctr/commands/images/import.go`'s:
  `--all-platforms` every platform, `--platform P` `platforms.OnlyStrict(P)`, none
  the client's default `platforms.Only(<host>)`, which for amd64 also matches
  386 (`platforms/compare.go`). A blob it needs that is neither in the archive
  nor in the content store fails the import as the metadata store answers
  (`metadata/content.go` checkAccess): `ctr: content digest sha256:…: not found`;
- each image is then unpacked for that matcher (ctr prints
  `unpacking NAME (DIGEST)...done`): its manifest's config and layers must exist;
- `ctr images ls` (`cmd/ctr/commands/images/images.go`): REF TYPE DIGEST SIZE
  PLATFORMS LABELS, tab-aligned, the size as `pkg/progress` prints it;
  `ctr content get DIGEST` prints a stored blob.

The content store keeps every blob's digest and size, and the bytes of the
small ones (indexes, manifests, configs: up to 1 MiB); layers' bytes are not
kept, so `content get` of a layer answers not found. No garbage collection.
"""

from __future__ import annotations

import hashlib
import json
import platform
import posixpath
import sys
import tarfile
import time
from pathlib import Path
from typing import Any

from . import paths

CONTENT = paths.STATE / "content"
SMALL = 1 << 20

OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json"
DOCKER_LAYER = "application/vnd.docker.image.rootfs.diff.tar"
DOCKER_LAYER_GZIP = "application/vnd.docker.image.rootfs.diff.tar.gzip"
NAME_ANNOTATION = "io.containerd.image.name"
REF_ANNOTATION = "org.opencontainers.image.ref.name"
INDEXES = (OCI_INDEX, DOCKER_LIST)
MANIFESTS = (OCI_MANIFEST, DOCKER_MANIFEST)


class CtrError(Exception):
    """An error ctr prints as `ctr: <message>` and exits 1 with."""


def not_found(digest: str) -> CtrError:
    return CtrError(f"content digest {digest}: not found")


# -- platforms (containerd platforms/compare.go, platforms.go) -------------------
def host_platform() -> dict[str, str]:
    machine = platform.machine()
    arch = {"x86_64": "amd64", "aarch64": "arm64", "armv7l": "arm", "i686": "386"}.get(
        machine, machine
    )
    return {"os": "linux", "architecture": arch}


def parse_platform(text: str) -> dict[str, str]:
    parts = text.split("/")
    if len(parts) == 1:
        # platforms.Parse: an architecture alone is on the host's OS
        return normalize({"os": "linux", "architecture": parts[0]})
    spec = {"os": parts[0], "architecture": parts[1]}
    if len(parts) > 2:
        spec["variant"] = parts[2]
    return normalize(spec)


def normalize(spec: dict[str, Any]) -> dict[str, str]:
    arch = str(spec.get("architecture", ""))
    variant = str(spec.get("variant", ""))
    arch = {"x86_64": "amd64", "x86-64": "amd64", "aarch64": "arm64", "i386": "386"}.get(arch, arch)
    if arch == "arm64" and variant in ("", "8", "v8"):
        variant = ""
    if arch == "amd64" and variant == "v1":
        variant = ""
    return {"os": str(spec.get("os", "")).lower(), "architecture": arch, "variant": variant}


def only(spec: dict[str, str]) -> list[dict[str, str]]:
    """platformVector: the platforms `platforms.Only` matches (amd64: also 386)."""
    spec = normalize(spec)
    vector = [spec]
    if spec["architecture"] == "amd64":
        vector.append({"os": spec["os"], "architecture": "386", "variant": ""})
    return vector


def matches(matcher: list[dict[str, str]] | None, spec: dict[str, Any] | None) -> bool:
    if spec is None or matcher is None:
        return True
    return normalize(spec) in matcher


def format_platform(spec: dict[str, Any]) -> str:
    """platforms.Format: os/architecture[/variant] as recorded, not normalized."""
    parts = (spec.get("os") or "unknown", spec.get("architecture", ""), spec.get("variant", ""))
    return "/".join(p for p in parts if p)


# -- the content store ------------------------------------------------------------
def _known() -> dict[str, int]:
    value: dict[str, int] = paths.read_json(CONTENT / "index.json", {})
    return value


def read_blob(digest: str, archive: dict[str, bytes | None] | None = None) -> bytes:
    if archive is not None and archive.get(digest) is not None:
        return archive[digest]  # type: ignore[return-value]
    path = CONTENT / "sha256" / digest.removeprefix("sha256:")
    if path.is_file():
        return path.read_bytes()
    raise not_found(digest)


def has_blob(digest: str, archive: dict[str, bytes | None]) -> bool:
    return digest in archive or digest in _known()


def _commit(blobs: dict[str, tuple[int, bytes | None]]) -> None:
    known = _known()
    for digest, (size, data) in blobs.items():
        known[digest] = size
        if data is not None:
            path = CONTENT / "sha256" / digest.removeprefix("sha256:")
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
    paths.write_json(CONTENT / "index.json", known)


# -- ImportIndex ------------------------------------------------------------------
def go_json(value: Any) -> bytes:
    """encoding/json.Marshal of the structs containerd writes (compact, no HTML-safe needs)."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()


def _descriptor(media_type: str, data_digest: str, size: int, **extra: Any) -> dict[str, Any]:
    # ocispec.Descriptor field order: mediaType, digest, size, urls, annotations, platform
    desc: dict[str, Any] = {"mediaType": media_type, "digest": data_digest, "size": size}
    if "annotations" in extra:
        desc["annotations"] = dict(sorted(extra["annotations"].items()))
    if "platform" in extra:
        desc["platform"] = extra["platform"]
    return desc


def normalize_reference(name: str) -> str:
    first = name.split("/")[0]
    if "/" not in name:
        name = f"docker.io/library/{name}"
    elif "." not in first and ":" not in first and first != "localhost":
        name = f"docker.io/{name}"
    last = name.rsplit("/", 1)[-1]
    if ":" not in last and "@" not in last:
        name += ":latest"
    return name


def _sha(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def read_archive(archive: Path) -> tuple[dict[str, Any], dict[str, tuple[int, bytes | None]]]:
    """The index descriptor and the blobs the archive brought (digest: size, small bytes)."""
    blobs: dict[str, tuple[int, bytes | None]] = {}
    by_name: dict[str, dict[str, Any]] = {}
    layout: dict[str, Any] | None = None
    manifests: list[dict[str, Any]] | None = None
    try:
        tar = tarfile.open(archive)  # noqa: SIM115 (closed by the with below)
    except (tarfile.TarError, OSError) as error:
        raise CtrError(str(error)) from error
    symlinks: dict[str, str] = {}
    with tar:
        for member in tar:
            name = posixpath.normpath(member.name)
            if member.issym():
                # Docker's archive links a layer that repeats an earlier one
                symlinks[name] = posixpath.normpath(
                    posixpath.join(posixpath.dirname(member.name), member.linkname)
                )
            if not member.isfile():
                continue
            stream = tar.extractfile(member)
            assert stream is not None
            if name in ("oci-layout", "manifest.json"):
                value = json.load(stream)
                if name == "oci-layout":
                    layout = value
                else:
                    manifests = value
                continue
            digest = hashlib.sha256()
            head = b""
            kept = bytearray() if member.size <= SMALL else None
            while chunk := stream.read(1 << 20):
                digest.update(chunk)
                head = head or chunk[:2]
                if kept is not None:
                    kept += chunk
            dgst = "sha256:" + digest.hexdigest()
            blobs[dgst] = (member.size, bytes(kept) if kept is not None else None)
            by_name[name] = {"digest": dgst, "size": member.size, "gzip": head == b"\x1f\x8b"}
    if layout is not None and layout.get("imageLayoutVersion", "") != "":
        if layout["imageLayoutVersion"] != "1.0.0":
            raise CtrError(f"unsupported OCI version {layout['imageLayoutVersion']}")
        if "index.json" not in by_name:
            raise CtrError("missing index.json in OCI layout 1.0.0")
        index = by_name["index.json"]
        return _descriptor(OCI_INDEX, index["digest"], index["size"]), blobs
    if manifests is None:
        raise CtrError("unrecognized image format")
    for name, target in symlinks.items():
        if target not in by_name:
            raise CtrError(f'no target for symlink layer from "{name}" to "{target}"')
        by_name[name] = by_name[target]
    entries = []
    for entry in manifests:
        config = by_name.get(posixpath.normpath(entry.get("Config") or "."))
        if config is None:
            raise CtrError(f'image config "{entry.get("Config")}" not found')
        layers = []
        for layer in entry.get("Layers") or []:
            blob = by_name.get(posixpath.normpath(layer))
            if blob is None:
                raise CtrError(f'failed to resolve layers: layer "{layer}" not found')
            media = DOCKER_LAYER_GZIP if blob["gzip"] else DOCKER_LAYER
            layers.append(_descriptor(media, blob["digest"], blob["size"]))
        manifest = go_json(
            {
                "schemaVersion": 2,
                "mediaType": DOCKER_MANIFEST,
                "config": _descriptor(DOCKER_CONFIG, config["digest"], config["size"]),
                "layers": layers,
            }
        )
        blobs[_sha(manifest)] = (len(manifest), manifest)
        image_config = json.loads(blobs[config["digest"]][1] or b"{}")
        spec = {
            "architecture": image_config.get("architecture", ""),
            "os": image_config.get("os", ""),
        }
        if image_config.get("variant"):
            spec["variant"] = image_config["variant"]
        extra: dict[str, Any] = {"platform": spec} if spec["os"] else {}
        for tag in entry.get("RepoTags") or [None]:
            desc_extra = dict(extra)
            if tag:
                normalized = normalize_reference(tag)
                desc_extra["annotations"] = {
                    NAME_ANNOTATION: normalized,
                    REF_ANNOTATION: normalized.rsplit(":", 1)[-1],
                }
            entries.append(
                _descriptor(DOCKER_MANIFEST, _sha(manifest), len(manifest), **desc_extra)
            )
    index_json = go_json({"schemaVersion": 2, "manifests": entries})
    blobs[_sha(index_json)] = (len(index_json), index_json)
    return _descriptor(OCI_INDEX, _sha(index_json), len(index_json)), blobs


# -- Client.Import and the unpack -------------------------------------------------
def children(desc: dict[str, Any], archive: dict[str, bytes | None]) -> list[dict[str, Any]]:
    """images.Children: manifests and indexes are read (missing: not found), the rest is a leaf."""
    if desc.get("mediaType") in MANIFESTS:
        manifest = json.loads(read_blob(desc["digest"], archive))
        return [manifest["config"], *manifest.get("layers", [])]
    if desc.get("mediaType") in INDEXES:
        return list(json.loads(read_blob(desc["digest"], archive)).get("manifests", []))
    return []


def _walk(
    desc: dict[str, Any],
    matcher: list[dict[str, str]] | None,
    archive: dict[str, bytes | None],
) -> None:
    for child in children(desc, archive):
        if matches(matcher, child.get("platform")):
            _walk(child, matcher, archive)


def resolve_manifest(
    target: dict[str, Any], matcher: list[dict[str, str]], archive: dict[str, bytes | None]
) -> dict[str, Any]:
    """images.Manifest: the best-matching manifest under target (limit 1)."""
    if target.get("mediaType") in MANIFESTS:
        return dict(json.loads(read_blob(target["digest"], archive)))
    candidates = [
        d
        for d in json.loads(read_blob(target["digest"], archive)).get("manifests", [])
        if matches(matcher, d.get("platform"))
    ]
    candidates.sort(
        key=lambda d: matcher.index(normalize(d["platform"])) if d.get("platform") else len(matcher)
    )
    for desc in candidates:
        try:
            return resolve_manifest(desc, matcher, archive)
        except CtrError:
            if desc is candidates[-1]:
                raise
    raise CtrError(f"manifest {target['digest']}: not found")


def import_archive(
    archive: Path, matcher: list[dict[str, str]] | None
) -> list[tuple[str, dict[str, Any]]]:
    """Client.Import: the archive's blobs into the store, the images it names."""
    index, blobs = read_archive(archive)
    data = {digest: value[1] for digest, value in blobs.items()}
    # Blobs already in the store are there as digests (bytes when small).
    for digest in _known():
        data.setdefault(digest, None)
    imported: list[tuple[str, dict[str, Any]]] = []
    top = json.loads(read_blob(index["digest"], data))
    for desc in top.get("manifests", []):
        annotations = desc.get("annotations") or {}
        name = annotations.get(NAME_ANNOTATION) or annotations.get(REF_ANNOTATION, "")
        if name and not any(c in name for c in "/:@"):
            name = f"import-{time.strftime('%Y-%m-%d')}:{name}"
        if name:
            imported.append((name, desc))
    for desc in top.get("manifests", []):
        if matches(matcher, desc.get("platform")):
            _walk(desc, matcher, data)
    _commit(blobs)
    return imported


def unpack_image(name: str, target: dict[str, Any], matcher: list[dict[str, str]]) -> None:
    """Image.Unpack (client/image.go): the platform's manifest, its config and layers."""
    print(f"unpacking {name} ({target['digest']})...", end="", flush=True)
    manifest = resolve_manifest(target, matcher, {})
    config = json.loads(read_blob(manifest["config"]["digest"]))
    layers = manifest.get("layers", [])
    if len(config.get("rootfs", {}).get("diff_ids") or []) != len(layers):
        raise CtrError("mismatched image rootfs and manifest layers")
    for blob in layers:
        if blob["digest"] not in _known():
            raise not_found(blob["digest"])
    print("done")


def image_size(target: dict[str, Any], matcher: list[dict[str, str]]) -> int:
    """images.Size: the sizes of what a walk for the default platform reaches (0 when it fails)."""
    total = 0

    def walk(desc: dict[str, Any]) -> None:
        nonlocal total
        try:
            found = children(desc, {})
        except CtrError:  # missing content is skipped, its size not counted
            return
        total += int(desc.get("size", 0))
        for child in found:
            if matches(matcher, child.get("platform")):
                walk(child)

    walk(target)
    return total


def image_platforms(target: dict[str, Any]) -> list[str]:
    """images.Platforms: the platforms an index names; a manifest's from its config.

    Since v1.6.33 an unknown OS or architecture (an attestation manifest) is skipped.
    """
    try:
        if target.get("mediaType") in INDEXES:
            found = set()
            for desc in json.loads(read_blob(target["digest"])).get("manifests", []):
                spec = desc.get("platform")
                if spec and "unknown" in (spec.get("os"), spec.get("architecture")):
                    continue
                if spec:
                    found.add(format_platform(spec))
                else:
                    found.update(image_platforms(desc))
            return sorted(found)
        if target.get("platform"):
            return [format_platform(target["platform"])]
        manifest = json.loads(read_blob(target["digest"]))
        config = json.loads(read_blob(manifest["config"]["digest"]))
        return [format_platform(config)]
    except (CtrError, KeyError, ValueError):
        return []


def human_size(size: float) -> str:
    """pkg/progress Bytes: units.CustomSize("%02.1f %s", size, 1024, B..YiB)."""
    units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB", "ZiB", "YiB"]
    i = 0
    while size >= 1024 and i < len(units) - 1:
        size /= 1024
        i += 1
    return f"{size:.1f} {units[i]}"


def tabwrite(rows: list[list[str]]) -> str:
    """text/tabwriter with minwidth 1, tabwidth 8, padding 1, ' ', flags 0 (cells end in a tab)."""
    widths = [max(len(row[i]) for row in rows) + 1 for i in range(len(rows[0]))]
    return "\n".join("".join(cell.ljust(widths[i]) for i, cell in enumerate(row)) for row in rows)


def main_error(error: CtrError) -> int:
    print(f"ctr: {error}", file=sys.stderr)
    return 1
