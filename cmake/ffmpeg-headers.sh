#!/usr/bin/env bash
# Fetches FFmpeg 7.1 development headers that match the org.bytedeco:ffmpeg 7.1.1 libraries.
#
# The JavaCPP jars carry FFmpeg's shared libraries but no headers. Debian 13 "trixie" ships
# FFmpeg 7.1.x (the same libavcodec 61.19 ABI) as -dev packages; `apt-get download` fetches
# them without root and without installing anything, using a private apt state directory and
# the Debian mirror this machine is already configured with (only the suite is changed).
#
#   cmake/ffmpeg-headers.sh DEST     ->  DEST/include/libavcodec/..., DEST/.complete
#
# Elsewhere: point CMake at any FFmpeg 7.1 headers with -DFFMPEG_INCLUDE_DIR=... instead.
set -euo pipefail
dest=${1:?usage: ffmpeg-headers.sh DEST}
suite=${VIDMILL_FFMPEG_HEADERS_SUITE:-trixie}
packages="libavcodec-dev libavformat-dev libavutil-dev libavfilter-dev libswscale-dev libswresample-dev"

[ -f "$dest/.complete" ] && exit 0
command -v apt-get >/dev/null || {
  echo "ffmpeg-headers: apt-get not found; pass -DFFMPEG_INCLUDE_DIR=<FFmpeg 7.1 headers> to CMake" >&2
  exit 1
}

# The configured Debian mirror: the first deb822 URIs line or one-line "deb" entry whose
# path ends in /debian (not -security, not a third-party repository).
mirror=$(
  { cat /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '/^URIs:/ {for (i = 2; i <= NF; i++) print $i}'
    cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
      awk '$1 == "deb" {for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) {print $i; break}}'
  } | grep -E '/debian/?$' | head -n 1
) || true
[ -n "$mirror" ] || { echo "ffmpeg-headers: no Debian mirror configured in /etc/apt" >&2; exit 1; }
keyring=/usr/share/keyrings/debian-archive-keyring.gpg
[ -f "$keyring" ] || { echo "ffmpeg-headers: $keyring missing (package debian-archive-keyring)" >&2; exit 1; }

work=$(mktemp -d "${TMPDIR:-/tmp}/vidmill-ffmpeg-headers.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/lists/partial" "$work/cache/archives/partial" "$work/debs" "$work/root"
echo "deb [signed-by=$keyring] $mirror $suite main" > "$work/sources.list"
opts=(-o "Dir::Etc::SourceList=$work/sources.list" -o Dir::Etc::SourceParts=/dev/null
      -o "Dir::State::Lists=$work/lists" -o "Dir::Cache=$work/cache" -o Debug::NoLocking=1
      -o APT::Sandbox::User="$(id -un)" -o Acquire::Retries=3)
echo "ffmpeg-headers: fetching $packages from $mirror $suite" >&2
apt-get "${opts[@]}" -qq update
(cd "$work/debs" && apt-get "${opts[@]}" -qq download $packages)
for deb in "$work"/debs/*.deb; do dpkg-deb -x "$deb" "$work/root"; done
inc=$(find "$work/root/usr/include" -type d -name libavcodec -printf '%h\n' | head -n 1)
[ -n "$inc" ] || { echo "ffmpeg-headers: no libavcodec headers in the packages" >&2; exit 1; }
mkdir -p "$dest/include"
cp -R "$inc"/lib* "$dest/include/"
ls "$work/debs" > "$dest/packages.txt"
touch "$dest/.complete"
