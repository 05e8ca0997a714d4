#!/usr/bin/env bash
# The GPU path on a GPU host, in one command, without Java or an installed ffmpeg: from the
# bundle bench/gpu/bundle.sh makes (tar xzf vidmill-gpu-bundle.tar.gz && gpu-bundle/run.sh), or
# from a checkout with a native build (it stages the bundle first).
#
#   1. the GPU path's arithmetic run on the host against the CPU path (vmtool gpucheck emulated)
#   2. CPU decoding on every core: decode only, and decode + resize 224x224 + statistics
#   with a GPU (else it says why there is none and stops after 2):
#   3. correctness (vmtool gpucheck device): the CUDA kernels against the emulation (bit for bit)
#      and the CPU (+-1); the bundle's clips, synthetic clips and the corpus (--media) decoded on
#      NVDEC against the CPU: native frames bit-exact, fallbacks with their reason, converted
#      frames within +-1, statistics within tolerance, cached decoders, sampling, the restart of
#      a corrupt clip on the CPU
#   4. throughput against `ffmpeg -hwaccel cuda -hwaccel_output_format cuda -f null` (the
#      JavaCPP jar's FFmpeg 7.1 CLI, the same libraries): one stream, and S sessions at once
#      (S processes of ffmpeg); short clips (clips/s, per GPU); decode + resize + statistics;
#      the CPU of step 2. Targets: decode-only >= 0.9x the anchor, decode+resize+stats >= 0.8x
#      of decode-only.
#
# Usage: run.sh [--media DIR] [--sessions S] [--repeat R] [--work DIR]
#   --media     the test corpus (valid/, invalid/, framemd5/), e.g. shared/media; optional
#   --sessions  decode sessions (default: two per NVDEC engine of every GPU, from NVDEC's caps)
#   --repeat    passes over the 300-frame 1080p clips per measurement (default 4)
# Exit status: 0 when everything checked is correct (throughput targets are reported, not
# enforced), 1 when a check failed, 2 for bad arguments.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
if [ ! -x "$here/bin/vmtool" ]; then
  # a checkout: the bundle is staged in build/gpu-bundle and run from there
  repo=$(cd "$here/../.." && pwd)
  "$here/bundle.sh" --out "" || exit 1
  exec "$repo/build/gpu-bundle/run.sh" "$@"
fi

media=""
sessions=""
repeat=4
work="$here/work"
while [ $# -gt 0 ]; do
  case "$1" in
    --media) media=$2; shift 2 ;;
    --sessions) sessions=$2; shift 2 ;;
    --repeat) repeat=$2; shift 2 ;;
    --work) work=$2; shift 2 ;;
    *) echo "usage: run.sh [--media DIR] [--sessions S] [--repeat R] [--work DIR]" >&2; exit 2 ;;
  esac
done
[ -z "$media" ] && [ -d "$here/../../shared/media/valid" ] && media=$(cd "$here/../../shared/media" && pwd)
export LD_LIBRARY_PATH="$here/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
vm="$here/bin/vmtool"
ff="$here/bin/ffmpeg"
mkdir -p "$work"
failed=0
cores=$(nproc)

calc() { awk "BEGIN { printf \"%.${2:-1}f\", $1 }"; }
now() { date +%s.%N; }
section() { printf '\n== %s\n' "$*"; }
# "loop: N clips, F frames in T s = X frames/s, Y clips/s (...)" -> "F T X Y"
loop_numbers() { sed -n 's/^loop: \([0-9]*\) clips, \([0-9]*\) frames in \([0-9.]*\) s = \([0-9.]*\) frames\/s, \([0-9.]*\) clips\/s.*/\2 \3 \4 \5/p'; }
repeated() { local n=$1; shift; for _ in $(seq "$n"); do printf '%s\n' "$@"; done; }

section "machine"
echo "$(uname -srm), $cores CPUs: $(awk -F: '/model name/ {print $2; exit}' /proc/cpuinfo | sed 's/^ //')"
command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=index,name,driver_version,memory.total --format=csv,noheader 2>/dev/null
"$vm" abi | head -1

section "GPUs (vmtool gpuinfo)"
"$vm" gpuinfo | tee "$work/gpuinfo.txt"
gpus=$(grep -c '^cuda:[0-9]* .*probe=OK' "$work/gpuinfo.txt" || true)
nvdec=$(sed -n 's/^cuda:0 .* nvdec=\(-*[0-9]*\) .*/\1/p' "$work/gpuinfo.txt" | head -1)
if [ "$gpus" -eq 0 ]; then
  echo "NO GPU: $(sed -n 's/^devices=0 reason=//p' "$work/gpuinfo.txt")$(grep -o 'probe=[A-Z_]* .*' "$work/gpuinfo.txt" | head -1)"
  echo "(running the CPU half only)"
fi

section "1. the GPU path's arithmetic on the host against the CPU path"
if "$vm" gpucheck emulated ${media:+"$media"} > "$work/emulated.txt" 2>&1; then
  tail -2 "$work/emulated.txt"
else
  tail -20 "$work/emulated.txt"; echo "FAIL: the emulated GPU path differs from the CPU path"; failed=1
fi

long=("$here"/bench/h264_1080p_300.mp4)
hevc=()
[ -f "$here/bench/hevc_1080p_300.mp4" ] && hevc=("$here/bench/hevc_1080p_300.mp4")
short=("$here"/bench/short/*.mp4)
out_opts=(--format rgb24 --size 224x224 --fit crop --stats)
cat "${long[@]}" "${hevc[@]}" "${short[@]}" > /dev/null # page cache

section "2. CPU decoding on all $cores cores (vmtool loop, one single-threaded decoder per core)"
mapfile -t cpu_list < <(repeated "$repeat" "${long[@]}")
read -r _ _ cpu_fps _ < <("$vm" loop --device cpu --workers "$cores" "${cpu_list[@]}" | loop_numbers)
read -r _ _ cpu_e2e_fps _ < <("$vm" loop --device cpu --workers "$cores" "${out_opts[@]}" "${cpu_list[@]}" | loop_numbers)
read -r _ _ _ cpu_cps < <("$vm" loop --device cpu --workers "$cores" "${short[@]}" "${short[@]}" | loop_numbers)
echo "H.264 1080p decode:              $cpu_fps frames/s"
echo "H.264 1080p decode+224 crop+stats: $cpu_e2e_fps frames/s"
echo "H.264 360p 1 s clips:            $cpu_cps clips/s"

if [ "$gpus" -eq 0 ]; then
  section "summary"
  echo "no GPU here: steps 3 and 4 need one. CPU half: $([ $failed -eq 0 ] && echo passed || echo FAILED)"
  exit $failed
fi

section "3. correctness: kernels and NVDEC against the CPU path (vmtool gpucheck device)"
if "$vm" gpucheck device "$work/gpucheck" ${media:+"$media"} "$here/clips" > "$work/gpucheck.txt" 2>&1; then
  grep -v '^FAIL' "$work/gpucheck.txt" | tail -n +1
else
  cat "$work/gpucheck.txt"; echo "FAIL: see above"; failed=1
fi

section "4. throughput"
if [ -z "$sessions" ]; then
  per=2
  [ -n "$nvdec" ] && [ "$nvdec" -gt 0 ] && per=$((2 * nvdec))
  sessions=$((per * gpus))
  [ "$sessions" -gt $((4 * cores)) ] && sessions=$((4 * cores))
fi
frames_per=$("$vm" loop --device cpu --workers 1 "${long[0]}" | loop_numbers | cut -d' ' -f1)
echo "$gpus GPU(s), $sessions sessions; ${frames_per} frames per 1080p clip, $repeat passes per stream"

anchor() { # anchor STREAMS FILE: S ffmpeg processes at once, each decoding FILE $repeat times on NVDEC
  local s=$1 file=$2 t0 t1 i g
  t0=$(now)
  for i in $(seq "$s"); do
    g=$(( (i - 1) % gpus ))
    "$ff" -nostdin -v error -hwaccel cuda -hwaccel_device "$g" -hwaccel_output_format cuda \
      -stream_loop $((repeat - 1)) -i "$file" -map 0:v:0 -f null - &
  done
  wait
  t1=$(now)
  calc "$s * $repeat * $frames_per / ($t1 - $t0)"
}
vidmill() { # vidmill STREAMS DEVICE [OPTIONS] FILE: the same work on vidmill's sessions
  local s=$1 dev=$2; shift 2
  local file=${*: -1}
  local opts=("${@:1:$#-1}")
  mapfile -t list < <(repeated $((s * repeat)) "$file")
  "$vm" loop --device "$dev" --workers "$s" "${opts[@]}" "${list[@]}" | loop_numbers | cut -d' ' -f3
}

a1=$(anchor 1 "${long[0]}")
v1=$(vidmill 1 cuda:0 "${long[0]}")
aS=$(anchor "$sessions" "${long[0]}")
vS=$(vidmill "$sessions" cuda "${long[0]}")
eS=$(vidmill "$sessions" cuda "${out_opts[@]}" "${long[0]}")
t0=$(now)
printf '%s\n' "${short[@]}" "${short[@]}" | xargs -P "$sessions" -I{} "$ff" -nostdin -v error -hwaccel cuda \
  -hwaccel_output_format cuda -i {} -map 0:v:0 -f null -
a_cps=$(calc "2 * ${#short[@]} / ($(now) - $t0)" 2)
read -r _ _ _ v_cps < <("$vm" loop --device cuda --workers "$sessions" "${short[@]}" "${short[@]}" "${short[@]}" \
  "${short[@]}" | loop_numbers)
if [ ${#hevc[@]} -gt 0 ]; then
  ha=$(anchor "$sessions" "${hevc[0]}")
  hv=$(vidmill "$sessions" cuda "${hevc[0]}")
fi

target() { # target NAME VALUE GOAL
  if awk "BEGIN { exit !($2 >= $3) }"; then echo "  $1: $2 (target >= $3): met"; else echo "  $1: $2 (target >= $3): BELOW"; fi
}
printf '%-52s %12s %12s %8s\n' "" "vidmill" "anchor" "ratio"
printf '%-52s %12s %12s %8s\n' "H.264 1080p decode, 1 stream (frames/s)" "$v1" "$a1" "$(calc "$v1 / $a1" 2)"
printf '%-52s %12s %12s %8s\n' "H.264 1080p decode, $sessions streams (frames/s)" "$vS" "$aS" "$(calc "$vS / $aS" 2)"
[ ${#hevc[@]} -gt 0 ] && printf '%-52s %12s %12s %8s\n' "HEVC 1080p decode, $sessions streams (frames/s)" "$hv" "$ha" "$(calc "$hv / $ha" 2)"
printf '%-52s %12s %12s %8s\n' "H.264 1080p decode+224 crop+stats, $sessions streams" "$eS" "$vS (decode)" "$(calc "$eS / $vS" 2)"
printf '%-52s %12s %12s %8s\n' "H.264 360p 1 s clips (clips/s)" "$v_cps" "$a_cps" "$(calc "$v_cps / $a_cps" 2)"
printf '%-52s %12s %12s\n' "  per GPU (clips/s)" "$(calc "$v_cps / $gpus" 2)" "$(calc "$a_cps / $gpus" 2)"
printf '%-52s %12s %12s %8s\n' "GPU vs CPU ($cores cores), 1080p decode (frames/s)" "$vS" "$cpu_fps" "$(calc "$vS / $cpu_fps" 2)"
printf '%-52s %12s %12s %8s\n' "GPU vs CPU, 1080p decode+224 crop+stats" "$eS" "$cpu_e2e_fps" "$(calc "$eS / $cpu_e2e_fps" 2)"
printf '%-52s %12s %12s %8s\n' "GPU vs CPU, 360p clips (clips/s)" "$v_cps" "$cpu_cps" "$(calc "$v_cps / $cpu_cps" 2)"
echo "targets:"
target "decode-only vs the ffmpeg NVDEC anchor, 1 stream" "$(calc "$v1 / $a1" 2)" 0.9
target "decode-only vs the ffmpeg NVDEC anchor, $sessions streams" "$(calc "$vS / $aS" 2)" 0.9
target "decode+resize+stats vs decode-only" "$(calc "$eS / $vS" 2)" 0.8

section "summary"
echo "correctness: $([ $failed -eq 0 ] && echo passed || echo FAILED); results in $work"
exit $failed
