#!/usr/bin/env bash
# The decode bridge, side by side with its anchors on the same files, in one run:
#   1. per-clip open+close overhead on small clips: vidmill (in-process, Java/FFM) vs PyAV,
#      OpenCV (cv2.VideoCapture), JavaCV (FFmpegFrameGrabber) and ffprobe as a process;
#   2. frames/s of a full decode: vidmill vs `ffmpeg -threads 1 -f null` and ffmpeg's default
#      threads (Debian's ffmpeg, and the FFmpeg 7.1 CLI from the JavaCPP jar when it runs
#      here: the same libavcodec as vidmill), plus PyAV, OpenCV and JavaCV on one thread.
# Usage: bench/decode/run.sh [SMALL_CLIPS=100]      (files in page cache; a quiet machine helps)
source "$(dirname "$0")/../lib.sh"
need_anchors
small_n=${1:-100}
work=${BENCH_WORK:-$REPO/bench/.work}
mkdir -p "$work"

"$VIDMILL" bench corpus --out "$work/small" --count "$small_n" --size 640x360 --seconds 2 >/dev/null
"$VIDMILL" bench corpus --out "$work/large" --count 3 --size 1920x1080 --seconds 10 >/dev/null
small=("$work"/small/*.mp4)
small=("${small[@]:0:$small_n}")
large=("$work"/large/*.mp4)
cat "${small[@]}" "${large[@]}" > /dev/null   # page cache

# JavaCV anchor (built once, not part of the product)
javacv_cp="$work/javacv.classpath"
if [ ! -f "$javacv_cp" ]; then
  (cd "$BENCH_ROOT/decode/javacv" && mvn -q -B package -DskipTests \
     && mvn -q -B dependency:build-classpath -Dmdep.outputFile="$javacv_cp") >&2
fi
javacv() { "$JAVA_HOME/bin/java" --enable-native-access=ALL-UNNAMED \
  -cp "$BENCH_ROOT/decode/javacv/target/classes:$(cat "$javacv_cp")" JavacvAnchor "$@" 2>/dev/null; }

# The ffmpeg CLI of the JavaCPP jar: the very libavcodec vidmill runs. It needs libavdevice's
# system libraries (PulseAudio, ALSA, XCB), which a machine with Debian's ffmpeg has.
ff_jar=$(ls ~/.m2/repository/org/bytedeco/ffmpeg/7.1.1-1.5.12/ffmpeg-7.1.1-1.5.12-linux-x86_64.jar 2>/dev/null || true)
if [ -n "$ff_jar" ] && [ ! -x "$work/ffmpeg71/org/bytedeco/ffmpeg/linux-x86_64/ffmpeg" ]; then
  (cd "$work" && mkdir -p ffmpeg71 && cd ffmpeg71 && unzip -qo "$ff_jar" 'org/bytedeco/ffmpeg/linux-x86_64/*' \
     && chmod +x org/bytedeco/ffmpeg/linux-x86_64/ffmpeg)
fi
ffmpeg71() { LD_LIBRARY_PATH="$REPO/java/vidmill-core/target/native/ffmpeg-runtime" \
  "$work/ffmpeg71/org/bytedeco/ffmpeg/linux-x86_64/ffmpeg" "$@"; }
have_ffmpeg71=no
if ffmpeg71 -version >/dev/null 2>&1; then have_ffmpeg71=yes; fi
repeat=${BENCH_REPEAT:-2}
best() { # best of $repeat runs of a command that prints a number; higher is better unless LOWER=1
  local b="" v
  for _ in $(seq "$repeat"); do
    v=$("$@")
    if [ -z "$b" ] || { [ "${LOWER:-0}" = 1 ] && (( $(echo "$v < $b" | bc -l) )); } \
       || { [ "${LOWER:-0}" = 0 ] && (( $(echo "$v > $b" | bc -l) )); }; then b=$v; fi
  done
  echo "$b"
}

machine
echo "corpus: ${#small[@]} clips 640x360 2 s 30 fps, ${#large[@]} clips 1920x1080 10 s 30 fps (H.264, OpenH264)"
echo

# ---- 1. open+close -----------------------------------------------------------------------
rounds=5
vm_open_ms() { "$VIDMILL" bench open --repeat $rounds --threads "$1" "${small[@]}" | sed -n 's/^RESULT .*"ms_per_clip":\([0-9.]*\).*/\1/p'; }
ffprobe_ms() {
  local t; t=$(now)
  for f in "${small[@]:0:30}"; do ffprobe -v error -show_streams "$f" > /dev/null; done
  echo "$(elapsed "$t") * 1000 / 30" | bc -l
}
export LOWER=1
vm_open=$(best vm_open_ms 1)
vm_open0=$(best vm_open_ms 0)
pyav_open=$(best "$PY" "$BENCH_ROOT/decode/anchors.py" open pyav $rounds "${small[@]}")
cv2_open=$(best "$PY" "$BENCH_ROOT/decode/anchors.py" open cv2 $rounds "${small[@]}")
javacv_open=$(best javacv open $rounds "${small[@]}")
ffprobe_open=$(best ffprobe_ms)
export LOWER=0

echo "## open+close per clip, ms (640x360 H.264 MP4, lower is better)"
printf '%-44s %10s %10s\n' "" "ms/clip" "x vidmill"
row() { printf '%-44s %10s %10s\n' "$1" "$(fmt "$2" 3)" "$(ratio "$2" "$vm_open")"; }
row "vidmill (Java FFM, 1 decoder thread)" "$vm_open"
row "vidmill (decoder threads = FFmpeg auto)" "$vm_open0"
row "PyAV av.open + close" "$pyav_open"
row "OpenCV cv2.VideoCapture + release" "$cv2_open"
row "JavaCV FFmpegFrameGrabber start + stop" "$javacv_open"
row "ffprobe -show_streams (a process per clip)" "$ffprobe_open"
echo

# ---- 2. full decode ----------------------------------------------------------------------
vm_fps() { "$VIDMILL" bench decode "$@" | sed -n 's/^RESULT .*"fps":\([0-9.]*\).*/\1/p'; }
ffmpeg_fps() { # BIN FRAMES FILES...  (one process per file, in sequence)
  local bin=$1 frames=$2; shift 2
  local t; t=$(now)
  for f in "$@"; do $bin -v error -nostdin "${FFARGS[@]}" -i "$f" -f null - ; done
  echo "$frames / $(elapsed "$t")" | bc -l
}
py_fps() { local r; r=$("$PY" "$BENCH_ROOT/decode/anchors.py" decode "$@"); echo "$r" | awk '{print $1 / $2}'; }
# OpenCV 4.6 has no knob for its decoder threads: pin it to one core instead
cv2_fps() { local r; r=$(taskset -c 0 "$PY" "$BENCH_ROOT/decode/anchors.py" decode cv2 "$@"); echo "$r" | awk '{print $1 / $2}'; }
javacv_fps() { javacv decode "$@" | awk '{print $1 / $2}'; }

for set in large small; do
  if [ $set = large ]; then files=("${large[@]}"); frames=$(( ${#large[@]} * 300 )); label="1920x1080, 10 s"
  else files=("${small[@]}"); frames=$(( ${#small[@]} * 60 )); label="640x360, 2 s"; fi
  echo "## full decode, frames/s ($label, ${#files[@]} clips, one after another, higher is better)"
  printf '%-44s %10s %10s\n' "" "frames/s" "vidmill /"
  v1=$(best vm_fps --threads 1 "${files[@]}")
  v0=$(best vm_fps --threads 0 "${files[@]}")
  FFARGS=(-threads 1); d1=$(best ffmpeg_fps ffmpeg $frames "${files[@]}")
  FFARGS=(); d0=$(best ffmpeg_fps ffmpeg $frames "${files[@]}")
  printf '%-44s %10s %10s\n' "vidmill, 1 decoder thread" "$(fmt "$v1")" ""
  printf '%-44s %10s %10s\n' "ffmpeg 5.1 (Debian) -threads 1 -f null" "$(fmt "$d1")" "$(ratio "$v1" "$d1")"
  if [ $have_ffmpeg71 = yes ]; then
    FFARGS=(-threads 1); j1=$(best ffmpeg_fps ffmpeg71 $frames "${files[@]}")
    FFARGS=(); j0=$(best ffmpeg_fps ffmpeg71 $frames "${files[@]}")
    printf '%-44s %10s %10s\n' "ffmpeg 7.1 (JavaCPP jar) -threads 1 -f null" "$(fmt "$j1")" "$(ratio "$v1" "$j1")"
  fi
  p1=$(best py_fps pyav "${files[@]}"); c1=$(best cv2_fps "${files[@]}"); k1=$(best javacv_fps "${files[@]}")
  printf '%-44s %10s %10s\n' "PyAV, thread_type NONE, no conversion" "$(fmt "$p1")" "$(ratio "$v1" "$p1")"
  printf '%-44s %10s %10s\n' "OpenCV grab() only, pinned to 1 core" "$(fmt "$c1")" "$(ratio "$v1" "$c1")"
  printf '%-44s %10s %10s\n' "JavaCV grabImage RAW, threads=1" "$(fmt "$k1")" "$(ratio "$v1" "$k1")"
  printf '%-44s %10s %10s\n' "vidmill, decoder threads = FFmpeg auto" "$(fmt "$v0")" ""
  printf '%-44s %10s %10s\n' "ffmpeg 5.1 (Debian), default threads" "$(fmt "$d0")" "$(ratio "$v0" "$d0")"
  if [ $have_ffmpeg71 = yes ]; then
    printf '%-44s %10s %10s\n' "ffmpeg 7.1 (JavaCPP jar), default threads" "$(fmt "$j0")" "$(ratio "$v0" "$j0")"
  fi
  echo
done
