#!/bin/sh
# Builds a signed apt repository laid out like Docker's (download.docker.com/linux/debian):
#   OUT_DIR/linux/debian/gpg                                   ASCII-armored key (Docker's name)
#   OUT_DIR/linux/debian/dists/<codename>/{Release,InRelease,Release.gpg}
#   OUT_DIR/linux/debian/dists/<codename>/stable/binary-<arch>/{Packages,Packages.gz}
#   OUT_DIR/linux/debian/dists/<codename>/pool/stable/<arch>/*.deb
# holding Debian's own engine repackaged under Docker's package names (docker-ce,
# docker-ce-cli, containerd.io) and versions. Docker's packages cannot be fetched here.
#   build-repo.sh OUT_DIR [DEB_DIR]
# DEB_DIR holds Debian's docker.io, containerd and runc .debs; without it they are
# fetched with `apt-get download` (the package lists must be there). Needs dpkg-deb,
# gpg, gzip and coreutils. Names, versions and relations: docker/docker-ce-packaging
# deb/common/control and deb/build-deb (version <epoch>:<v>-1~debian.<id>~<codename>);
# containerd.io's Provides/Conflicts/Replaces: docker/containerd-packaging debian/control.
set -eu
out=$1
debs=${2:-}
arch=$(dpkg --print-architecture)
. /etc/os-release
codename=$VERSION_CODENAME
suffix="1~debian.${VERSION_ID}~${codename}"
engine_version="5:29.1.3-$suffix"
containerd_version="2.2.1-$suffix"
root="$out/linux/debian"
dist="$root/dists/$codename"
pool="$dist/pool/stable/$arch"
binary="$dist/stable/binary-$arch"
work=$(mktemp -d)
chmod 0755 "$work" # apt-get download hands the files to _apt
trap 'rm -rf "$work"' EXIT
mkdir -p "$pool" "$binary"

if [ -z "$debs" ]; then
  debs="$work/debs"
  mkdir -p "$debs"
  (cd "$debs" && apt-get download docker.io containerd runc >/dev/null)
fi
unpack() { # PACKAGE DIR: the Debian package's tree and maintainer scripts
  dpkg-deb -R "$(ls "$debs"/"$1"_*.deb | head -n1)" "$2"
}
control() { # DIR PACKAGE VERSION DEPENDS EXTRA: a fresh control file
  {
    echo "Package: $2"
    echo "Version: $3"
    echo "Architecture: $arch"
    echo "Maintainer: Docker <support@docker.com>"
    echo "Installed-Size: $(du -sk --exclude=DEBIAN "$1" | cut -f1)"
    [ -z "$4" ] || echo "Depends: $4"
    [ -z "$5" ] || printf '%s\n' "$5"
    echo "Section: admin"
    echo "Priority: optional"
    echo "Homepage: https://www.docker.com"
    echo "Description: $2 (hpo-rig test stand-in: Debian's engine under Docker's name)"
    echo " Repackaged from Debian's docker.io/containerd/runc by molecule/resources/fakes/docker-ce."
  } >"$1/DEBIAN/control"
  (cd "$1" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' | xargs -0r md5sum >DEBIAN/md5sums)
}
build() { # DIR NAME VERSION
  file="${2}_$(echo "$3" | sed 's/^[0-9]*://')_${arch}.deb"
  dpkg-deb -Zgzip -z1 --root-owner-group --build "$1" "$pool/$file" >/dev/null
}

# containerd.io: containerd with runc inside, as Docker ships it.
unpack containerd "$work/containerd.io"
dpkg-deb -x "$(ls "$debs"/runc_*.deb | head -n1)" "$work/containerd.io"
rm -f "$work/containerd.io/DEBIAN/md5sums"
control "$work/containerd.io" containerd.io "$containerd_version" "libc6 (>= 2.34), libseccomp2 (>= 2.5.0)" \
  "Provides: containerd, runc
Conflicts: containerd, runc
Replaces: containerd, runc"
build "$work/containerd.io" containerd.io "$containerd_version"

# docker-ce-cli: the docker command (and its completions); docker-ce: the rest of docker.io.
unpack docker.io "$work/docker-ce"
mkdir -p "$work/docker-ce-cli/DEBIAN" "$work/docker-ce-cli/usr/bin"
mv "$work/docker-ce/usr/bin/docker" "$work/docker-ce-cli/usr/bin/docker"
control "$work/docker-ce-cli" docker-ce-cli "$engine_version" "libc6 (>= 2.34)" \
  "Conflicts: docker.io, docker-cli
Replaces: docker-ce (<< 5:0)
Breaks: docker-ce (<< 5:0)"
build "$work/docker-ce-cli" docker-ce-cli "$engine_version"
control "$work/docker-ce" docker-ce "$engine_version" \
  "containerd.io (>= 2.1.5), docker-ce-cli, iptables, libc6 (>= 2.34), libdevmapper1.02.1 (>= 2:1.02.97), libsystemd0, adduser, lsb-base, tini" \
  "Pre-Depends: init-system-helpers (>= 1.54~)
Conflicts: docker.io
Replaces: docker-ce-cli (<< 5:28.0.0)"
build "$work/docker-ce" docker-ce "$engine_version"

# The index: one stanza per package, Filename relative to linux/debian.
for deb in "$pool"/*.deb; do
  dpkg-deb -f "$deb"
  echo "Filename: ${deb#"$root/"}"
  echo "Size: $(stat -c %s "$deb")"
  echo "MD5sum: $(md5sum "$deb" | cut -d' ' -f1)"
  echo "SHA256: $(sha256sum "$deb" | cut -d' ' -f1)"
  echo
done >"$binary/Packages"
gzip -9nk "$binary/Packages"
{
  echo "Origin: Docker"
  echo "Label: Docker CE"
  echo "Suite: $codename"
  echo "Codename: $codename"
  echo "Architectures: $arch"
  echo "Components: stable"
  echo "Description: Docker CE (hpo-rig test stand-in)"
  echo "Date: $(LC_ALL=C date -u '+%a, %d %b %Y %H:%M:%S UTC')"
  echo "SHA256:"
  for f in Packages Packages.gz; do
    echo " $(sha256sum "$binary/$f" | cut -d' ' -f1) $(stat -c %s "$binary/$f") stable/binary-$arch/$f"
  done
} >"$dist/Release"

export GNUPGHOME="$work/gnupg"
mkdir -m 0700 "$GNUPGHOME"
gpg --batch --quiet --passphrase '' --quick-gen-key 'hpo-rig test Docker repository <tests@hpo-rig.invalid>' ed25519 sign never
gpg --batch --quiet --yes --clearsign --output "$dist/InRelease" "$dist/Release"
gpg --batch --quiet --yes --armor --detach-sign --output "$dist/Release.gpg" "$dist/Release"
gpg --batch --quiet --armor --export >"$root/gpg"
