# Shared helpers for the bench/ scripts (sourced, not run).
set -euo pipefail
BENCH_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$BENCH_ROOT/.." && pwd)
VIDMILL="$REPO/bin/vidmill"
PY=/usr/bin/python3   # Debian's python, where python3-av and python3-opencv live

now() { date +%s.%N; }
elapsed() { echo "$(now) - $1" | bc -l; }
ratio() { printf "%.2f" "$(echo "$1 / $2" | bc -l)"; }
fmt() { printf '%.*f' "${2:-1}" "$1"; }

# JAVA_HOME for the launcher and for the JavaCV anchor
if [ -z "${JAVA_HOME:-}" ] || ! "$JAVA_HOME/bin/java" -version 2>&1 | grep -q '"2[5-9]'; then
  export JAVA_HOME=/usr/lib/jvm/temurin-25-jdk-amd64
fi

machine() {
  echo "machine: $(nproc) cores, $(awk -F: '/model name/ {print $2; exit}' /proc/cpuinfo | sed 's/^ //'), $(free -g | awk '/Mem:/ {print $2}') GiB"
  echo "vidmill: $("$VIDMILL" version | head -1)"
  command -v ffmpeg >/dev/null && echo "ffmpeg:  $(ffmpeg -version | head -1)"
  "$PY" -c 'import av, cv2; print("python:  PyAV", av.__version__, "/ OpenCV", cv2.__version__)' 2>/dev/null || true
}

need_anchors() {
  local missing=()
  command -v ffmpeg >/dev/null || missing+=(ffmpeg)
  "$PY" -c 'import av' 2>/dev/null || missing+=(python3-av)
  "$PY" -c 'import cv2' 2>/dev/null || missing+=(python3-opencv)
  if [ ${#missing[@]} -gt 0 ]; then
    echo "anchors missing: ${missing[*]} (apt-get install ${missing[*]})" >&2
    exit 1
  fi
}
