#!/usr/bin/env bash
# Frame sampling, side by side on the same clips in one run (issue 6): vidmill --sample fps=1 and
# --sample keyframes against vidmill decoding everything, against the seed's way of getting one
# frame per second (cv2 reads every frame, keeps one per second, multiprocessing Pool), against
# PyAV seeking to each second (Pool), and against `ffmpeg -skip_frame nokey` (one process per
# clip, as many at once as there are cores).
#
# Clips: 10 s 1920x1080 30 fps H.264 (OpenH264) with a key frame every 2 s, made by
# `vidmill bench corpus --gop 2`. Every tool runs one decoder thread per clip and one clip per
# core at a time. Files are in page cache; a quiet machine helps. Targets (issue 6): keyframes
# >= 10x decode-all; fps=1 >= 2x the seed's way and >= 1.5x PyAV seeking.
#
# Usage: bench/sample/run.sh [CLIPS=24]
#   BENCH_SIZE=WxH BENCH_SECONDS=S BENCH_GOP=S   another corpus (a quick sanity run: 320x240)
#   BENCH_REPEAT=N                                best of N (default 2)
#   BENCH_WORKERS=N                               clips at once (default: the cores)
source "$(dirname "$0")/../lib.sh"
need_anchors
n=${1:-24}
size=${BENCH_SIZE:-1920x1080}
seconds=${BENCH_SECONDS:-10}
gop=${BENCH_GOP:-2}
workers=${BENCH_WORKERS:-$(nproc)}
repeat=${BENCH_REPEAT:-2}
work=${BENCH_WORK:-$REPO/bench/.work}/sample
mkdir -p "$work"

"$VIDMILL" bench corpus --out "$work/clips" --count "$n" --size "$size" --seconds "$seconds" --gop "$gop" >/dev/null
clips=("$work"/clips/clip_"$size"_gop"$gop"_*.mp4)
clips=("${clips[@]:0:$n}")
printf '%s\n' "${clips[@]}" > "$work/list.txt"
cat "${clips[@]}" > /dev/null   # page cache

best() { # best (lowest) of $repeat timings: the command prints "seconds"
  local b="" v
  for _ in $(seq "$repeat"); do
    v=$("$@")
    if [ -z "$b" ] || (( $(echo "$v < $b" | bc -l) )); then b=$v; fi
  done
  echo "$b"
}
vm() { # vidmill bench decode over all clips; prints seconds
  "$VIDMILL" bench decode --threads 1 --workers "$workers" "$@" "${clips[@]}" |
    sed -n 's/^RESULT .*"seconds":\([0-9.]*\).*/\1/p'
}
vm_frames() {
  "$VIDMILL" bench decode --threads 1 --workers "$workers" --no-warmup "$@" "${clips[@]}" |
    sed -n 's/^RESULT .*"frames":\([0-9]*\),"frames_decoded":\([0-9]*\).*/\1 returned, \2 decoded/p'
}
py() { "$PY" "$BENCH_ROOT/sample/anchors.py" "$1" "$workers" "$work/list.txt" | awk '{print $3}'; }
ff_nokey() {
  local t; t=$(now)
  printf '%s\0' "${clips[@]}" | xargs -0 -P "$workers" -I{} \
    ffmpeg -nostdin -v error -threads 1 -skip_frame nokey -i {} -map 0:v:0 -f null -
  elapsed "$t"
}
ff_all() {
  local t; t=$(now)
  printf '%s\0' "${clips[@]}" | xargs -0 -P "$workers" -I{} ffmpeg -nostdin -v error -threads 1 -i {} -map 0:v:0 -f null -
  elapsed "$t"
}

machine
echo "corpus: ${#clips[@]} clips $size, $seconds s, 30 fps, a key frame every $gop s (H.264, OpenH264); $workers at once"
echo "vidmill fps=1: $(vm_frames --sample fps=1); keyframes: $(vm_frames --sample keyframes)"
echo

all=$(best vm)
fps1=$(best vm --sample fps=1)
fps1_ref=$(best vm --sample fps=1 --decode-all)
keys=$(best vm --sample keyframes)
seed=$(best py cv2_fps1)
cv2all=$(best py cv2_all)
pyav_seek=$(best py pyav_seek)
pyav_all=$(best py pyav_all)
nokey=$(best ff_nokey)
ffall=$(best ff_all)

rate() { echo "${#clips[@]} / $1" | bc -l; }
echo "## clips/s (higher is better)"
printf '%-52s %10s %14s\n' "" "clips/s" "x decode-all"
row() { printf '%-52s %10s %14s\n' "$1" "$(fmt "$(rate "$2")" 2)" "$(ratio "$all" "$2")"; }
row "vidmill, every frame (decode-all)" "$all"
row "vidmill --sample fps=1" "$fps1"
row "vidmill --sample fps=1, decoding all (reference)" "$fps1_ref"
row "vidmill --sample keyframes" "$keys"
row "seed's way: cv2 reads all, keeps 1/s (Pool)" "$seed"
row "cv2 reads every frame (Pool)" "$cv2all"
row "PyAV seeks to each second (Pool)" "$pyav_seek"
row "PyAV decodes every frame (Pool)" "$pyav_all"
row "ffmpeg -skip_frame nokey -f null (per clip)" "$nokey"
row "ffmpeg -f null, every frame (per clip)" "$ffall"
echo
echo "## targets"
check() { # name value target
  local ok=no; (( $(echo "$2 >= $3" | bc -l) )) && ok=yes
  printf '%-52s %8s  (target >= %s) %s\n' "$1" "$(fmt "$2" 2)x" "$3" "$ok"
}
check "keyframes vs vidmill decode-all" "$(echo "$all / $keys" | bc -l)" 10
check "fps=1 vs the seed's way" "$(echo "$seed / $fps1" | bc -l)" 2
check "fps=1 vs PyAV seeking" "$(echo "$pyav_seek / $fps1" | bc -l)" 1.5
check "keyframes vs ffmpeg -skip_frame nokey" "$(echo "$nokey / $keys" | bc -l)" 1
