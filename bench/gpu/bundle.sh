#!/usr/bin/env bash
# Makes the GPU bundle: what bench/gpu/run.sh needs on a GPU host that has no Java and no
# ffmpeg installed, in one tarball (checked to stay under 64 MiB):
#
#   bin/vmtool, lib/libvidmill.so       the C test driver and the library, built with CUDA
#   lib/libav*.so.* libsw*.so.* ...     FFmpeg 7.1 of the JavaCPP jar (the libraries vidmill runs
#                                       on) under their SONAMEs, with libva/libdrm they link to
#   bin/ffmpeg                          the jar's ffmpeg binary: the NVDEC anchor
#   clips/                              correctness clips made here (every NVDEC path: 8/10/12-bit,
#                                       4:4:4, cropping, fallbacks, a corrupt file)
#   bench/                              throughput clips made here (1080p H.264 and HEVC, short 360p)
#   run.sh                              bench/gpu/run.sh
#
# Usage: bench/gpu/bundle.sh [--stage DIR] [--out FILE.tar.gz] [--build DIR]
#   --build   a CMake build of native/ with CUDA (default: java/vidmill-core/target/native, then build/)
#   --stage   where the tree is assembled (default: build/gpu-bundle); kept
#   --out     the tarball (default: build/vidmill-gpu-bundle.tar.gz); --out '' stages only
# Clips need an encoder: Debian's ffmpeg (libx264/libx265, for HEVC and the H.264 profiles) when
# installed, else vmtool's own encoders (OpenH264, VP9, AV1: fewer cases).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
build=""
stage="$repo/build/gpu-bundle"
out="$repo/build/vidmill-gpu-bundle.tar.gz"
while [ $# -gt 0 ]; do
  case "$1" in
    --build) build=$2; shift 2 ;;
    --stage) stage=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    *) echo "usage: bundle.sh [--stage DIR] [--out FILE] [--build DIR]" >&2; exit 2 ;;
  esac
done
if [ -z "$build" ]; then
  for b in "$repo/java/vidmill-core/target/native" "$repo/build"; do
    [ -x "$b/vmtool" ] && [ -f "$b/libvidmill.so" ] && { build=$b; break; }
  done
fi
if [ -z "$build" ] || [ ! -x "$build/vmtool" ]; then
  echo "bundle: no native build with vmtool (mvn -DskipTests package, or cmake -S native -B build)" >&2; exit 1
fi
grep -q 'VIDMILL_WITH_CUDA:BOOL=ON' "$build/CMakeCache.txt" 2>/dev/null ||
  echo "bundle: WARNING $build was built without CUDA: the bundle can only run the CPU half" >&2
jar_dir=$(dirname "$(readlink -f "$build/ffmpeg-runtime/libavcodec.so.61")")
[ -x "$jar_dir/ffmpeg" ] || chmod +x "$jar_dir/ffmpeg" 2>/dev/null || true

rm -rf "${stage:?}/bin" "${stage:?}/lib" "${stage:?}/run.sh"
mkdir -p "$stage/bin" "$stage/lib" "$stage/clips" "$stage/bench/short"
# the FFmpeg libraries under the names the loader asks for; debug info stripped from ours
for f in "$build"/ffmpeg-runtime/*.so.*; do
  name=$(basename "$f")
  case "$name" in libjni*) continue ;; esac
  cp -L "$f" "$stage/lib/$name"
done
cp "$build/libvidmill.so" "$stage/lib/"
cp "$build/vmtool" "$stage/bin/"
cp "$jar_dir/ffmpeg" "$stage/bin/ffmpeg"
chmod +x "$stage/bin/ffmpeg"
if command -v strip >/dev/null; then strip --strip-debug "$stage/lib/libvidmill.so" "$stage/bin/vmtool"; fi
cp "$here/run.sh" "$stage/run.sh"
chmod +x "$stage/run.sh"

vmtool="$stage/bin/vmtool"
enc=$(command -v ffmpeg || true)  # Debian's, with libx264/libx265: only here, never on the GPU host
if [ -n "$enc" ]; then
  encoders=$("$enc" -hide_banner -encoders 2>/dev/null || true)
  [[ "$encoders" == *libx265* && "$encoders" == *libx264* ]] || enc=""
fi
# the bundle's own programs find its libraries; Debian's ffmpeg (above) must not
export LD_LIBRARY_PATH="$stage/lib"

clip() { # clip NAME ARGS...: one clip, unless it is there already
  local name=$1; shift
  [ -s "$stage/$name" ] && return 0
  local tmp="$stage/${name%.*}.tmp.${name##*.}"
  env -u LD_LIBRARY_PATH "$enc" -nostdin -v error -y "$@" "$tmp" && mv "$tmp" "$stage/$name"
}
src() { echo "-f lavfi -i testsrc2=size=$1:rate=${3:-30},format=yuv420p -frames:v $2"; }

if [ -n "$enc" ]; then
  echo "bundle: clips from $("$enc" -version | head -1)" >&2
  # shellcheck disable=SC2046
  {
    clip clips/h264_high_bframes_640x360.mp4 $(src 640x360 90) -c:v libx264 -profile:v high -bf 3 -g 30 -pix_fmt yuv420p
    clip clips/h264_1080p_coded1088.mp4 $(src 1920x1080 30) -c:v libx264 -preset veryfast -pix_fmt yuv420p
    clip clips/h264_crop_left_top.mp4 $(src 640x360 30) -c:v libx264 -pix_fmt yuv420p -bsf:v h264_metadata=crop_left=8:crop_top=4
    clip clips/h264_fullrange_yuvj420p.mp4 $(src 640x360 30) -c:v libx264 -pix_fmt yuvj420p
    clip clips/h264_high10_640x360.mp4 $(src 640x360 30) -c:v libx264 -profile:v high10 -pix_fmt yuv420p10le
    clip clips/h264_high422_640x360.mp4 $(src 640x360 20) -c:v libx264 -pix_fmt yuv422p
    clip clips/h264_high444_640x360.mp4 $(src 640x360 20) -c:v libx264 -pix_fmt yuv444p
    clip clips/h264_tiny_32x32.mp4 $(src 32x32 20) -c:v libx264 -pix_fmt yuv420p
    clip clips/h264_rotate90.mp4 $(src 640x360 20) -c:v libx264 -pix_fmt yuv420p -metadata:s:v:0 rotate=90
    clip clips/hevc_main_640x360.mp4 $(src 640x360 60) -c:v libx265 -x265-params log-level=error -pix_fmt yuv420p -tag:v hvc1
    clip clips/hevc_main10_640x360.mp4 $(src 640x360 30) -c:v libx265 -x265-params log-level=error -pix_fmt yuv420p10le
    clip clips/hevc_main12_640x360.mp4 $(src 640x360 20) -c:v libx265 -x265-params log-level=error -pix_fmt yuv420p12le
    clip clips/hevc_main444_640x360.mp4 $(src 640x360 20) -c:v libx265 -x265-params log-level=error -pix_fmt yuv444p
    clip clips/hevc_main444_10_640x360.mp4 $(src 640x360 20) -c:v libx265 -x265-params log-level=error -pix_fmt yuv444p10le
    clip clips/vp9_profile0_640x360.webm $(src 640x360 30) -c:v libvpx-vp9 -deadline realtime -cpu-used 8 -pix_fmt yuv420p
    clip clips/vp9_profile2_10bit_640x360.webm $(src 640x360 20) -c:v libvpx-vp9 -deadline realtime -cpu-used 8 -pix_fmt yuv420p10le
    clip clips/vp8_640x360.webm $(src 640x360 30) -c:v libvpx -deadline realtime -cpu-used 8
    clip clips/av1_8bit_320x240.mp4 $(src 320x240 20) -c:v libaom-av1 -cpu-used 8 -pix_fmt yuv420p
    clip clips/av1_10bit_320x240.mkv $(src 320x240 10) -c:v libaom-av1 -cpu-used 8 -pix_fmt yuv420p10le
    clip clips/mpeg4_640x360.mkv $(src 640x360 30) -c:v mpeg4 -q:v 4
    clip clips/mpeg2_640x360.mkv $(src 640x360 30) -c:v mpeg2video -q:v 4
    # throughput: 1080p at a common bit rate, and many short clips (clips/s)
    clip bench/h264_1080p_300.mp4 $(src 1920x1080 300) -c:v libx264 -preset veryfast -b:v 6M -g 60 -bf 2 -pix_fmt yuv420p
    clip bench/hevc_1080p_300.mp4 $(src 1920x1080 300) -c:v libx265 -preset ultrafast -x265-params log-level=error -b:v 4M -pix_fmt yuv420p -tag:v hvc1
  }
  for i in $(seq -w 0 31); do
    # shellcheck disable=SC2046
    clip "bench/short/h264_360p_$i.mp4" -f lavfi -i "testsrc2=size=640x360:rate=30,hue=h=$((10#$i * 11)),format=yuv420p" \
      -frames:v 30 -c:v libx264 -preset veryfast -b:v 1M -g 30 -pix_fmt yuv420p
  done
else
  echo "bundle: no ffmpeg with libx264/libx265 here: the clips come from vmtool (OpenH264, VP9, AV1)" >&2
  [ -s "$stage/clips/h264_640x360.mp4" ] || "$vmtool" synth "$stage/clips/h264_640x360.mp4" 640 360 30 60 libopenh264
  [ -s "$stage/clips/vp9_640x360.webm" ] || "$vmtool" synth "$stage/clips/vp9_640x360.webm" 640 360 30 30 libvpx-vp9
  [ -s "$stage/clips/av1_320x240.mp4" ] || "$vmtool" synth "$stage/clips/av1_320x240.mp4" 320 240 30 10 libaom-av1
  [ -s "$stage/clips/mpeg4_640x360.mkv" ] || "$vmtool" synth "$stage/clips/mpeg4_640x360.mkv" 640 360 30 30 mpeg4
  [ -s "$stage/bench/h264_1080p_300.mp4" ] || "$vmtool" synth "$stage/bench/h264_1080p_300.mp4" 1920 1080 30 300 libopenh264
  for i in $(seq -w 0 31); do
    [ -s "$stage/bench/short/h264_360p_$i.mp4" ] || "$vmtool" synth "$stage/bench/short/h264_360p_$i.mp4" 640 360 30 30 libopenh264
  done
fi
# a corrupt stream: the GPU's decoder errors, the clip restarts on the CPU, the result is the CPU's
src_clip=""
for c in "$stage"/clips/h264_high_bframes_640x360.mp4 "$stage"/clips/h264_640x360.mp4; do
  [ -s "$c" ] && { src_clip=$c; break; }
done
if [ -n "$src_clip" ] && [ ! -s "$stage/clips/h264_corrupt_middle.mp4" ]; then
  size=$(stat -c %s "$src_clip")
  cp "$src_clip" "$stage/clips/h264_corrupt_middle.mp4"
  # 64 bytes of noise at 3/5 of the file: inside the media data, after the header
  head -c 64 /dev/urandom | dd of="$stage/clips/h264_corrupt_middle.mp4" bs=1 seek=$((size * 3 / 5)) conv=notrunc status=none
fi

# the tree must run from anywhere: nothing outside it is needed but the driver and libc
"$vmtool" abi >/dev/null || { echo "bundle: vmtool does not run from the bundle" >&2; exit 1; }
LD_LIBRARY_PATH="$stage/lib" "$stage/bin/ffmpeg" -hide_banner -version >/dev/null ||
  { echo "bundle: the jar's ffmpeg does not run from the bundle" >&2; exit 1; }

tree=$(du -sb "$stage" | cut -f1)
echo "bundle: $stage: $((tree / 1024 / 1024)) MiB unpacked ($(find "$stage/clips" -type f | wc -l) correctness clips, $(find "$stage/bench" -type f | wc -l) throughput clips)" >&2
if [ -n "$out" ]; then
  mkdir -p "$(dirname "$out")"
  tar -C "$(dirname "$stage")" -czf "$out" "$(basename "$stage")"
  bytes=$(stat -c %s "$out")
  echo "bundle: $out: $((bytes / 1024 / 1024)) MiB ($bytes bytes); on the GPU host: tar xzf $(basename "$out") && $(basename "$stage")/run.sh" >&2
  if [ "$bytes" -ge $((64 * 1024 * 1024)) ]; then
    echo "bundle: FAIL the bundle is over 64 MiB" >&2
    exit 1
  fi
fi
