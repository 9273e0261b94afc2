#!/bin/sh
# Builds a signed flat apt repository holding a stand-in nvidia-container-toolkit
# package, laid out like NVIDIA's (<root>/stable/deb/<arch>/), with a throwaway
# GPG key. Needs only dpkg-deb, gpg and coreutils (all in the test image).
#   build-repo.sh OUT_DIR
# Writes OUT_DIR/stable/deb/<arch>/{Packages,Release,InRelease,*.deb} and
# OUT_DIR/gpgkey (the ASCII-armored public key, as NVIDIA publishes it).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
out=$1
arch=$(dpkg --print-architecture)
version=1.17.8-1
repo="$out/stable/deb/$arch"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$repo" "$work/pkg/DEBIAN" "$work/pkg/usr/bin"

install -m 0755 "$here/bin/nvidia-container-runtime" "$here/bin/nvidia-ctk" "$work/pkg/usr/bin/"
cat >"$work/pkg/DEBIAN/control" <<CONTROL
Package: nvidia-container-toolkit
Version: $version
Architecture: $arch
Maintainer: hpo-rig tests <tests@hpo-rig.invalid>
Installed-Size: 8
Section: utils
Priority: optional
Description: NVIDIA container runtime (hpo-rig test stand-in)
 nvidia-container-runtime hands over to runc; nvidia-ctk answers --version.
CONTROL
deb="nvidia-container-toolkit_${version}_${arch}.deb"
dpkg-deb --root-owner-group --build "$work/pkg" "$repo/$deb" >/dev/null

{
  sed "/^Description:/,\$d" "$work/pkg/DEBIAN/control"
  echo "Filename: ./$deb"
  echo "Size: $(stat -c %s "$repo/$deb")"
  echo "MD5sum: $(md5sum "$repo/$deb" | cut -d' ' -f1)"
  echo "SHA256: $(sha256sum "$repo/$deb" | cut -d' ' -f1)"
  sed -n '/^Description:/,$p' "$work/pkg/DEBIAN/control"
} >"$repo/Packages"
{
  echo "Origin: hpo-rig test stand-in"
  echo "Label: nvidia-container-toolkit"
  echo "Date: $(LC_ALL=C date -u '+%a, %d %b %Y %H:%M:%S UTC')"
  echo "SHA256:"
  echo " $(sha256sum "$repo/Packages" | cut -d' ' -f1) $(stat -c %s "$repo/Packages") Packages"
} >"$repo/Release"

export GNUPGHOME="$work/gnupg"
mkdir -m 0700 "$GNUPGHOME"
gpg --batch --quiet --passphrase '' --quick-gen-key 'hpo-rig test repository <tests@hpo-rig.invalid>' ed25519 sign never
gpg --batch --quiet --yes --clearsign --output "$repo/InRelease" "$repo/Release"
gpg --batch --quiet --armor --export >"$out/gpgkey"
