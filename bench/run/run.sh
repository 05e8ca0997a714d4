#!/usr/bin/env bash
# vidmill run against the ways people decode many clips today, on the same files in one run:
#   vidmill run (every frame decoded, results to Parquet, journal)   one command, its defaults
#     (auto-tuned, decoding in supervised child processes), and again with --isolation none
#   the seed's way: multiprocessing.Pool(cores) + cv2.VideoCapture.read() of every frame
#   PyAV in the same kind of pool (thread_type AUTO, no conversion)
#   JavaCV FFmpegFrameGrabber, one Java thread per core, raw frames
#   ffmpeg -threads 1 -f null, one process per clip, cores at a time (Debian's ffmpeg)
#   the plain C loop: one single-threaded libavcodec decoder per core in one process, as FFmpeg's
#     own example decodes a file (bench/run/cloop.c: avformat_find_stream_info at open, the same
#     FFmpeg libraries as vidmill, no libvidmill): the issue's anchor, the target ratio's
#   the same loop without avformat_find_stream_info (what a loop written for speed does), and
#     libvidmill's own C loop (vmtool loop): vidmill's native layer without the JVM
# for (a) 2000 clips of 2 s 640x360 at 1 Mbit/s and (b) 20 clips of 10 s 1920x1080 at 8 Mbit/s
# (H.264 from OpenH264; bit rates as real uploads have them: 8 Mbit/s is YouTube's advice for 1080p30).
# Prints clips/s, frames/s, CPU-seconds per 1000 frames, and each one's ratio to vidmill.
# Usage: bench/run/run.sh [SMALL=2000] [LARGE=20]
source "$(dirname "$0")/../lib.sh"
need_anchors
small_n=${1:-2000}
large_n=${2:-20}
work=${BENCH_WORK:-$REPO/bench/.work}
cores=$(nproc)
vmtool="$REPO/java/vidmill-core/target/native/vmtool"
mkdir -p "$work"
[ -x "$vmtool" ] || (cd "$REPO" && mvn -q -B -DskipTests package) >&2

# the plain C loop, against the FFmpeg the build uses: its headers (as CMake found them) and the
# JavaCPP jar's libraries under their SONAMEs
native="$REPO/java/vidmill-core/target/native"
ffinc=$(sed -n 's/^FFMPEG_INCLUDE_DIR:PATH=//p' "$native/CMakeCache.txt")
[ -n "$ffinc" ] || ffinc="$(sed -n 's/^FFMPEG_HEADERS_CACHE:PATH=//p' "$native/CMakeCache.txt")/include"
cloop="$work/cloop"
if [ ! -x "$cloop" ] || [ "$BENCH_ROOT/run/cloop.c" -nt "$cloop" ]; then
  gcc -O2 -o "$cloop" "$BENCH_ROOT/run/cloop.c" -I "$ffinc" "$native/ffmpeg-runtime/libavformat.so.61" \
    "$native/ffmpeg-runtime/libavcodec.so.61" "$native/ffmpeg-runtime/libavutil.so.59" -lpthread \
    -Wl,--disable-new-dtags "-Wl,-rpath,$native/ffmpeg-runtime" "-Wl,-rpath-link,$native/ffmpeg-runtime"
fi

"$VIDMILL" bench corpus --out "$work/run-small-1M" --count "$small_n" --size 640x360 --seconds 2 --bitrate 1000 >/dev/null
"$VIDMILL" bench corpus --out "$work/run-large-8M" --count "$large_n" --size 1920x1080 --seconds 10 --bitrate 8000 >/dev/null

javacv_cp="$work/javacv.classpath"
if [ ! -f "$javacv_cp" ] || [ ! -d "$BENCH_ROOT/decode/javacv/target/classes" ]; then
  (cd "$BENCH_ROOT/decode/javacv" && mvn -q -B package -DskipTests \
     && mvn -q -B dependency:build-classpath -Dmdep.outputFile="$javacv_cp") >&2
fi
(cd "$BENCH_ROOT/decode/javacv" && mvn -q -B -o package -DskipTests) >&2

machine
echo "workers: $cores (one per core) for every contender"
echo

# timed CMD...: runs it under /usr/bin/time; sets WALL and CPU (user+sys seconds); output in OUTPUT
timed() {
  local t="$work/time.txt"
  OUTPUT=$(/usr/bin/time -f "%e %U %S" -o "$t" "$@")
  read -r WALL user sys < "$t"
  CPU=$(echo "$user + $sys" | bc -l)
}

anchor_rounds=${BENCH_ROUNDS:-3}
rounds=$(( anchor_rounds + 2 ))
# BENCH_CONTENDERS="vidmill vidmilli cloop" runs a subset (the ratios need vidmill and cloop among them)
read -r -a contenders <<<"${BENCH_CONTENDERS:-vidmill vidmilli cloop cloopfast vmloop cv2 pyav javacv ffmpeg}"

# one timed run of contender K over LIST; sets WALL and CPU
run_one() {
  local k=$1 list=$2 set=$3
  case $k in
    vidmill) rm -rf "$work/out-$set"
             timed "$VIDMILL" run --input "$list" --out "$work/out-$set" --progress off
             grep -q "clips ok, 0 failed" <<<"$OUTPUT" || { echo "vidmill run did not decode every clip:" >&2; echo "$OUTPUT" >&2; };;
    vidmilli) rm -rf "$work/out-$set"
             timed "$VIDMILL" run --input "$list" --out "$work/out-$set" --progress off --isolation none
             grep -q "clips ok, 0 failed" <<<"$OUTPUT" || { echo "vidmill run did not decode every clip:" >&2; echo "$OUTPUT" >&2; };;
    cloop)   timed env -u MALLOC_TRIM_THRESHOLD_ -u MALLOC_MMAP_THRESHOLD_ "$cloop" --workers "$cores" $(cat "$list");;
    cloopfast) timed env -u MALLOC_TRIM_THRESHOLD_ -u MALLOC_MMAP_THRESHOLD_ "$cloop" --no-probe --workers "$cores" $(cat "$list");;
    vmloop)  timed env -u MALLOC_TRIM_THRESHOLD_ -u MALLOC_MMAP_THRESHOLD_ "$vmtool" loop --workers "$cores" $(cat "$list");;
    cv2)     timed "$PY" "$BENCH_ROOT/run/pool.py" cv2 "$cores" "$list";;
    pyav)    timed "$PY" "$BENCH_ROOT/run/pool.py" pyav "$cores" "$list";;
    javacv)  timed "$JAVA_HOME/bin/java" --enable-native-access=ALL-UNNAMED \
               -cp "$BENCH_ROOT/decode/javacv/target/classes:$(cat "$javacv_cp")" JavacvAnchor pool "$cores" "$list";;
    ffmpeg)  timed xargs -P "$cores" -a "$list" -I{} ffmpeg -v error -nostdin -threads 1 -i {} -f null -;;
  esac
}

echo "each contender runs $anchor_rounds times (vidmill and the C loops $rounds), interleaved; the best run counts"
echo
for set in small large; do
  if [ $set = small ]; then dirn="$work/run-small-1M"; n=$small_n; per=60; label="$small_n clips of 2 s, 640x360, 1 Mbit/s"
  else dirn="$work/run-large-8M"; n=$large_n; per=300; label="$large_n clips of 10 s, 1920x1080, 8 Mbit/s"; fi
  list="$work/list-$set.txt"
  ls "$dirn"/*.mp4 | sed -n "1,${n}p" > "$list"
  frames=$(( n * per ))
  cat $(cat "$list") > /dev/null   # page cache

  declare -A wall cpu
  for k in "${contenders[@]}"; do wall[$k]=""; done
  for round in $(seq "$rounds"); do
    for k in "${contenders[@]}"; do
      # the anchors of the target ratio get two extra rounds: it is the number that matters
      case $k in vidmill|vidmilli|cloop|cloopfast|vmloop) ;; *) [ "$round" -gt "$anchor_rounds" ] && continue;; esac
      run_one "$k" "$list" "$set"
      if [ -z "${wall[$k]}" ] || (( $(echo "$WALL < ${wall[$k]}" | bc -l) )); then wall[$k]=$WALL; cpu[$k]=$CPU; fi
    done
  done

  echo "## $label ($frames frames), every frame decoded"
  printf '%-58s %9s %9s %14s %12s\n' "" "clips/s" "frames/s" "cpu-s/1000 fr" "vidmill is"
  for k in "${contenders[@]}"; do
    case $k in
      vidmill) name="vidmill run (defaults: auto-tuned, decoding processes)";;
      vidmilli) name="  the same, decoding in-process (--isolation none)";;
      cloop) name="plain C loop: $cores single-threaded decoders, 1 process";;
      cloopfast) name="  the same without avformat_find_stream_info";;
      vmloop) name="  libvidmill's own C loop (vmtool loop)";;
      cv2) name="the seed's way: Pool($cores) + cv2.VideoCapture.read()";;
      pyav) name="PyAV in Pool($cores), thread_type AUTO, no conversion";;
      javacv) name="JavaCV FFmpegFrameGrabber, $cores threads, raw";;
      ffmpeg) name="ffmpeg 5.1 -threads 1 -f null, $cores processes";;
    esac
    rel=""; [ $k != vidmill ] && rel="$(ratio "${wall[$k]}" "${wall[vidmill]}")x"
    printf '%-58s %9s %9s %14s %12s\n' "$name" "$(fmt "$(echo "$n / ${wall[$k]}" | bc -l)" 1)" \
      "$(fmt "$(echo "$frames / ${wall[$k]}" | bc -l)" 0)" "$(fmt "$(echo "${cpu[$k]} * 1000 / $frames" | bc -l)" 3)" "$rel"
  done
  echo "vidmill / plain C loop = $(ratio "${wall[cloop]}" "${wall[vidmill]}") (target >= 0.95); in-process: $(ratio "${wall[cloop]}" "${wall[vidmilli]}")"
  [ -n "${wall[cloopfast]:-}" ] && echo "vidmill / the loop without stream probing = $(ratio "${wall[cloopfast]}" "${wall[vidmill]}"); in-process: $(ratio "${wall[cloopfast]}" "${wall[vidmilli]}")"
  [ -n "${wall[vmloop]:-}" ] && echo "vidmill / libvidmill's own loop = $(ratio "${wall[vmloop]}" "${wall[vidmill]}"); in-process: $(ratio "${wall[vmloop]}" "${wall[vidmilli]}")"
  echo "crash isolation costs $(printf '%.1f' "$(echo "(${wall[vidmill]} / ${wall[vidmilli]} - 1) * 100" | bc -l)")% of throughput (target <= 5%)"
  echo
done
