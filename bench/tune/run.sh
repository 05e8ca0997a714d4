#!/usr/bin/env bash
# Does --workers auto pick well? vidmill run with every fixed setting of (clips decoding at once
# x decoder threads per clip, up to 2x the cores) and with auto, on five corpora in one run:
#   small   many short clips: N x 2 s 640x360 1 Mbit/s
#   large   few long clips: 6 x 10 s 1920x1080 8 Mbit/s (fewer clips than a round of decoders leaves cores idle)
#   mix     the small clips with a long one after every 100 (a shard that changes under the run)
#   slow    small clips over HTTP from slow storage: 150 ms to the first byte, 4 MiB/s per connection
#   long    one 30 s 1920x1080 clip: fewer clips than cores (a shard's last long video), where
#           only threads within the clip can use the cores
# A fixed setting N x T is N clips in flight, as Pool(N) has N workers each reading then decoding
# a clip: N decoding (T decoder threads each) and N fetched ahead (--fetch-concurrency N), 512M
# in flight; nothing tuned. Then the same in a cgroup limited to 1 CPU: auto must see the quota.
# Prints clips/s per corpus, each row's share of the best fixed row, and checks the targets:
# auto >= 95% of the best fixed setting everywhere; every fixed setting >= 20% below the best on
# at least one corpus.
# Usage: bench/tune/run.sh [SMALL=1000]       env: BENCH_ROUNDS (default 2, the best counts)
source "$(dirname "$0")/../lib.sh"
small_n=${1:-1000}
rounds=${BENCH_ROUNDS:-2}
work=${BENCH_WORK:-$REPO/bench/.work}
cores=$(nproc)
mkdir -p "$work/tune"
[ -f "$REPO/java/vidmill-cli/target/vidmill-cli.jar" ] || (cd "$REPO" && mvn -q -B -DskipTests package) >&2

"$VIDMILL" bench corpus --out "$work/run-small-1M" --count "$small_n" --size 640x360 --seconds 2 --bitrate 1000 >/dev/null
"$VIDMILL" bench corpus --out "$work/run-large-8M" --count 6 --size 1920x1080 --seconds 10 --bitrate 8000 >/dev/null
"$VIDMILL" bench corpus --out "$work/run-long-8M" --count 1 --size 1920x1080 --seconds 30 --bitrate 8000 >/dev/null
ls "$work/run-small-1M"/*.mp4 | sed -n "1,${small_n}p" > "$work/tune/small.txt"
ls "$work/run-large-8M"/*.mp4 | sed -n "1,6p" > "$work/tune/large.txt"
ls "$work/run-long-8M"/*.mp4 | sed -n "1p" > "$work/tune/long.txt"
awk -v large="$work/tune/large.txt" 'BEGIN { while ((getline l < large) > 0) big[n++] = l }
  { print } NR % 100 == 0 && k < n { print big[k++] }' "$work/tune/small.txt" > "$work/tune/mix.txt"
# a fixed row with one fetch at a time takes 0.2 s a clip here: 300 clips keep the sweep short
head -n $(( small_n < 300 ? small_n : 300 )) "$work/tune/small.txt" > "$work/tune/slow-files.txt"
cat $(cat "$work/tune/small.txt" "$work/tune/large.txt" "$work/tune/long.txt") > /dev/null   # page cache

# slow storage: vidmill's own throttling server, in its own process
rm -f "$work/tune/port"
"$VIDMILL" bench serve --dir "$work/run-small-1M" --latency-ms 150 --rate 4M --port-file "$work/tune/port" \
  > "$work/tune/serve.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
for _ in $(seq 100); do [ -s "$work/tune/port" ] && break; sleep 0.2; done
port=$(cat "$work/tune/port")
sed "s#^$work/run-small-1M/#http://127.0.0.1:$port/#" "$work/tune/slow-files.txt" > "$work/tune/slow.txt"

machine
echo "corpora: small $small_n x 2 s 640x360; large 6 x 10 s 1080p; mix (small + a large one every 100);"
echo "         slow: $(wc -l < "$work/tune/slow.txt") small clips over HTTP, 150 ms first byte, 4 MiB/s per connection;"
echo "         long: one 30 s 1080p clip"
echo

# settings: "W T" with W, T in 1, 2, 4, ... up to 2 x cores and W x T <= 2 x cores; then auto
settings=()
for w in 1 2 4 8 16 32 64; do
  [ $w -le $(( 2 * cores )) ] || break
  for t in 1 2 4 8 16 32 64; do
    [ $(( w * t )) -le $(( 2 * cores )) ] || break
    settings+=("$w $t")
  done
done
settings+=(auto)
corpora=(small large mix slow long)

# one run; sets WALL; TUNING gets the run's tuning line
run_one() { # SETTING CORPUS [CGROUP_PROCS_FILE]
  local setting=$1 corpus=$2 procs=${3:-} out="$work/tune/out" args=() t="$work/tune/time.txt"
  if [ "$setting" != auto ]; then
    read -r w th <<<"$setting"
    args=(--workers "$w" --threads "$th" --fetch-concurrency "$w" --max-bytes-in-flight 512M)
  fi
  rm -rf "$out"
  local frames
  OUTPUT=$( (
    [ -n "$procs" ] && echo $BASHPID > "$procs"
    exec /usr/bin/time -f "%e" -o "$t" "$VIDMILL" run --input "$work/tune/$corpus.txt" --out "$out" --progress off "${args[@]}"
  ) )
  WALL=$(cat "$t")
  grep -q ", 0 failed" <<<"$OUTPUT" || { echo "vidmill run failed clips ($setting, $corpus):" >&2; echo "$OUTPUT" >&2; }
  TUNING=$(grep '^tuning: [ek]' <<<"$OUTPUT" | head -1 || true)
}

declare -A best tuned
echo "each setting runs $rounds times per corpus, interleaved; the best run counts"
for round in $(seq "$rounds"); do
  for c in "${corpora[@]}"; do
    for s in "${settings[@]}"; do
      run_one "$s" "$c"
      key="$s|$c"
      if [ -z "${best[$key]:-}" ] || (( $(echo "$WALL < ${best[$key]}" | bc -l) )); then best[$key]=$WALL; fi
      [ "$s" = auto ] && tuned[$c]=$TUNING
    done
  done
done

count() { wc -l < "$work/tune/$1.txt"; }
echo
printf '%-22s' "clips/s"
for c in "${corpora[@]}"; do printf '%16s' "$c"; done
printf '%16s\n' "worst vs best"
declare -A top
for c in "${corpora[@]}"; do
  top[$c]=0
  for s in "${settings[@]}"; do
    [ "$s" = auto ] && continue
    v=$(echo "$(count "$c") / ${best[$s|$c]}" | bc -l)
    (( $(echo "$v > ${top[$c]}" | bc -l) )) && top[$c]=$v
  done
done
ok_spread=yes; ok_auto=yes
for s in "${settings[@]}"; do
  if [ "$s" = auto ]; then name="auto"; else read -r w th <<<"$s"; name="$w decoders x $th threads"; fi
  printf '%-22s' "$name"
  worst=1
  for c in "${corpora[@]}"; do
    v=$(echo "$(count "$c") / ${best[$s|$c]}" | bc -l)
    share=$(echo "$v / ${top[$c]}" | bc -l)
    (( $(echo "$share < $worst" | bc -l) )) && worst=$share
    printf '%9s (%3.0f%%)' "$(fmt "$v" 1)" "$(echo "$share * 100" | bc -l)"
  done
  printf '%15.0f%%\n' "$(echo "$worst * 100" | bc -l)"
  if [ "$s" = auto ]; then
    (( $(echo "$worst >= 0.95" | bc -l) )) || ok_auto=no
  else
    (( $(echo "$worst <= 0.80" | bc -l) )) || ok_spread=no
  fi
done
echo "(percentages: of the best fixed setting on that corpus)"
echo
for c in "${corpora[@]}"; do echo "auto on $c: ${tuned[$c]}"; done
echo
echo "target: auto >= 95% of the best fixed setting on every corpus: $ok_auto"
echo "target: every fixed setting >= 20% below the best on at least one corpus: $ok_spread"

# ---- a cgroup with a quota of 1 CPU -------------------------------------------------------
echo
cg=""
if [ -w /sys/fs/cgroup/cgroup.subtree_control ] && grep -qw cpu /sys/fs/cgroup/cgroup.controllers 2>/dev/null; then
  cg=/sys/fs/cgroup/vidmill-bench-1cpu; mkdir -p "$cg"; echo "100000 100000" > "$cg/cpu.max"
elif [ -d /sys/fs/cgroup/cpu ] && [ -w /sys/fs/cgroup/cpu ]; then
  cg=/sys/fs/cgroup/cpu/vidmill-bench-1cpu; mkdir -p "$cg"
  echo 100000 > "$cg/cpu.cfs_period_us"; echo 100000 > "$cg/cpu.cfs_quota_us"
fi
if [ -z "$cg" ]; then
  echo "1-CPU cgroup: cannot create a cgroup here (needs root and a writable cgroup file system); skipped"
  exit 0
fi
head -n 300 "$work/tune/small.txt" > "$work/tune/quota.txt"
echo "## in a cgroup with a CPU quota of 1 CPU ($cg), 300 small clips; the machine has $cores"
printf '%-22s %10s\n' "" "clips/s"
for s in "1 1" "$cores 1" auto; do
  b=""
  for round in $(seq "$rounds"); do
    run_one "$s" quota "$cg/cgroup.procs"
    if [ -z "$b" ] || (( $(echo "$WALL < $b" | bc -l) )); then b=$WALL; fi
  done
  [ "$s" = auto ] && name=auto || { read -r w th <<<"$s"; name="$w decoders x $th threads"; }
  printf '%-22s %10s\n' "$name" "$(fmt "$(echo "300 / $b" | bc -l)" 1)"
done
echo "auto in the cgroup: $(grep '^tuning: auto' <<<"$OUTPUT" || true)"
rmdir "$cg" 2>/dev/null || true
