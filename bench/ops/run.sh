#!/usr/bin/env bash
# The frame operations, side by side with ffmpeg on the same files, in one run: decode and
# resize to 224x224 + rgb24 (vidmill's C path: vmtool, no JVM) against
#   ffmpeg -threads 1 -i CLIP -vf scale=224:224,format=rgb24 -f null -
# (Debian's ffmpeg, and the FFmpeg 7.1 CLI of the JavaCPP jar when it runs here), one
# single-threaded decoder per core, clips taken in turn; and decoding alone, to show what the
# conversion costs. vidmill's filter is bilinear by default, ffmpeg's scale bicubic: both
# kernels are run.
# Usage: bench/ops/run.sh [CLIPS=6]      (files in page cache; a quiet machine helps)
source "$(dirname "$0")/../lib.sh"
n=${1:-6}
work=${BENCH_WORK:-$REPO/bench/.work}
mkdir -p "$work"
vmtool="$REPO/java/vidmill-core/target/native/vmtool"
[ -x "$vmtool" ] || (cd "$REPO" && mvn -q -B -DskipTests package) >&2
"$VIDMILL" bench corpus --out "$work/ops1080" --count "$n" --size 1920x1080 --seconds 5 >/dev/null
clips=("$work"/ops1080/*.mp4)
clips=("${clips[@]:0:$n}")
cat "${clips[@]}" > /dev/null
cores=$(nproc)
repeat=${BENCH_REPEAT:-3}
frames=$("$vmtool" loop --workers 1 "${clips[0]}" | sed -n 's/.* \([0-9]*\) frames in.*/\1/p')
total_frames=$((frames * n))

ff_jar=$(ls ~/.m2/repository/org/bytedeco/ffmpeg/7.1.1-1.5.12/ffmpeg-7.1.1-1.5.12-linux-x86_64.jar 2>/dev/null || true)
if [ -n "$ff_jar" ] && [ ! -x "$work/ffmpeg71/org/bytedeco/ffmpeg/linux-x86_64/ffmpeg" ]; then
  (cd "$work" && mkdir -p ffmpeg71 && cd ffmpeg71 && unzip -qo "$ff_jar" 'org/bytedeco/ffmpeg/linux-x86_64/*' \
     && chmod +x org/bytedeco/ffmpeg/linux-x86_64/ffmpeg)
fi
ff71="$work/ffmpeg71/org/bytedeco/ffmpeg/linux-x86_64/ffmpeg"
ff71_env="LD_LIBRARY_PATH=$REPO/java/vidmill-core/target/native/ffmpeg-runtime"
have71=no
if [ -x "$ff71" ] && env "$ff71_env" "$ff71" -version >/dev/null 2>&1; then have71=yes; fi

# frames/s over all clips, best of $repeat
vm_fps() { local b=0 v; for _ in $(seq "$repeat"); do
  v=$("$vmtool" loop --workers "$cores" "$@" "${clips[@]}" | sed -n 's/.*= \([0-9.]*\) frames\/s.*/\1/p')
  (( $(echo "$v > $b" | bc -l) )) && b=$v; done; echo "$b"; }
ff_fps() { local envs=$1 bin=$2; shift 2; local b=0 v t; for _ in $(seq "$repeat"); do
  t=$(now)
  printf '%s\n' "${clips[@]}" | xargs -P "$cores" -I{} env $envs "$bin" -nostdin -v error -threads 1 -i {} "$@" -f null -
  v=$(echo "$total_frames / $(elapsed "$t")" | bc -l)
  (( $(echo "$v > $b" | bc -l) )) && b=$v; done; printf '%.1f' "$b"; }

machine
echo "corpus: $n clips 1920x1080 5 s 30 fps (H.264, OpenH264), $cores single-threaded decoders"
echo
decode=$(vm_fps)
vm_bil=$(vm_fps --size 224x224)
vm_bic=$(vm_fps --size 224x224 --filter bicubic)
vm_area=$(vm_fps --size 224x224 --filter area)
ffd=$(ff_fps "" ffmpeg -vf scale=224:224,format=rgb24)
ffd_bil=$(ff_fps "" ffmpeg -vf scale=224:224:flags=bilinear,format=rgb24)
printf '| %-52s | %9s | %s |\n' "" "frames/s" "vidmill vs this"
printf '|%s|%s|%s|\n' "$(printf -- '-%.0s' {1..54})" "-----------" "-----------------"
printf '| %-52s | %9s | %s |\n' "vidmill decode only" "$decode" ""
printf '| %-52s | %9s | %s |\n' "vidmill decode + 224x224 rgb24, bilinear (default)" "$vm_bil" ""
printf '| %-52s | %9s | %s |\n' "vidmill decode + 224x224 rgb24, bicubic" "$vm_bic" ""
printf '| %-52s | %9s | %s |\n' "vidmill decode + 224x224 rgb24, area" "$vm_area" ""
printf '| %-52s | %9s | bilinear %sx, bicubic %sx |\n' "ffmpeg $(ffmpeg -version | awk 'NR==1 {print $3}') scale=224:224 (bicubic),format=rgb24" "$ffd" \
  "$(ratio "$vm_bil" "$ffd")" "$(ratio "$vm_bic" "$ffd")"
printf '| %-52s | %9s | bilinear %sx |\n' "ffmpeg $(ffmpeg -version | awk 'NR==1 {print $3}') scale=224:224:flags=bilinear,format=rgb24" "$ffd_bil" \
  "$(ratio "$vm_bil" "$ffd_bil")"
if [ "$have71" = yes ]; then
  ff71d=$(ff_fps "$ff71_env" "$ff71" -vf scale=224:224,format=rgb24)
  printf '| %-52s | %9s | bilinear %sx, bicubic %sx |\n' "ffmpeg 7.1 (JavaCPP) scale=224:224,format=rgb24" "$ff71d" \
    "$(ratio "$vm_bil" "$ff71d")" "$(ratio "$vm_bic" "$ff71d")"
fi
echo
echo "conversion cost: $(printf '%.2f' "$(echo "1000 * $cores / $vm_bil - 1000 * $cores / $decode" | bc -l)") ms per frame per core (bilinear)"
