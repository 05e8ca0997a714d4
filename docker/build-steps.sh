#!/usr/bin/env bash
# The build steps of vidmill's container images, in one place. The Dockerfiles run them
# (RUN docker/build-steps.sh STEP) and so does CI (.ci/run: `ci`), so every step an image
# build takes is exercised on every change, without a Docker engine.
#
#   build-steps.sh deps              packages a build stage needs (Debian 13 or Ubuntu 24.04, as root)
#   build-steps.sh build             mvn package: libvidmill (CMake), the jars, the demo clips
#   build-steps.sh test              mvn verify: the README's test command
#   build-steps.sh jre DEST/jre      a jlink'ed Java runtime with just the modules vidmill needs
#   build-steps.sh stage DEST        the runtime tree: DEST/bin/vidmill, DEST/java/vidmill-cli/target/...
#   build-steps.sh smoke DEST        the README's demo and `version`, run from DEST as an image runs them
#   build-steps.sh ci [DEST]         jre + stage + smoke into DEST (default build/image), after a build
#
# Run from the repository root. FFMPEG_INCLUDE_DIR (optional) points the native build at FFmpeg
# 7.1 headers; without it the build fetches Debian 13's (cmake/ffmpeg-headers.sh). VIDMILL_CUDA=ON
# (the CUDA image) requires the GPU path in the build (nvcc), OFF leaves it out; unset: built
# when nvcc is found.
set -euo pipefail
cd "$(dirname "$0")/.."

cli=java/vidmill-cli/target

maven_flags() {
  local flags=(-B -ntp)
  [ -n "${FFMPEG_INCLUDE_DIR:-}" ] && flags+=("-Dffmpeg.include.dir=$FFMPEG_INCLUDE_DIR")
  # VIDMILL_CUDA=ON (the CUDA image): the GPU path must be built, not skipped for want of nvcc
  [ -n "${VIDMILL_CUDA:-}" ] && flags+=("-Dvidmill.cuda=$VIDMILL_CUDA")
  echo "${flags[@]}"
}

# The modules the jars use (jdeps), and those only looked up at run time: DNS and JNDI for the
# AWS SDK's endpoints, zipfs for reading jars as file systems; Unsafe is among jdeps' already.
modules() {
  local found
  found=$("$JAVA_HOME/bin/jdeps" --ignore-missing-deps --print-module-deps --multi-release 25 \
    "$cli/vidmill-cli.jar" "$cli"/lib/*.jar 2>/dev/null | tail -n 1)
  [[ "$found" == java.base* ]] || { echo "build-steps: jdeps found no modules: $found" >&2; exit 1; }
  echo "$found,jdk.naming.dns,java.naming,jdk.zipfs"
}

step=${1:?usage: build-steps.sh deps|build|test|jre|stage|smoke|ci}
case "$step" in
  deps)
    # shellcheck source=/dev/null
    . /etc/os-release
    pkgs=(maven cmake gcc make libc6-dev ca-certificates binutils)
    # Debian 13 has FFmpeg 7.1's headers as packages; elsewhere (Ubuntu 24.04 ships 6.1) the
    # Dockerfile copies them in from a Debian 13 stage and sets FFMPEG_INCLUDE_DIR
    if [ "${ID:-}" = debian ] && [ "${VERSION_CODENAME:-}" = trixie ]; then
      pkgs+=(libavcodec-dev libavformat-dev libavutil-dev libavfilter-dev libswscale-dev libswresample-dev)
    fi
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${pkgs[@]}"
    rm -rf /var/lib/apt/lists/*
    ;;
  build)
    # the images hold the vidmill command; the Spark integration's jars go to a Spark cluster
    # shellcheck disable=SC2046
    mvn $(maven_flags) -DskipTests package -pl '!java/vidmill-spark'
    ;;
  test)
    # shellcheck disable=SC2046
    mvn $(maven_flags) verify
    ;;
  jre)
    dest=$(realpath -m "${2:?usage: build-steps.sh jre DEST}")
    [ -f "$cli/vidmill-cli.jar" ] || { echo "build-steps: run 'build' first" >&2; exit 1; }
    rm -rf "$dest"
    mods=$(modules)
    echo "build-steps: jlink $mods" >&2
    # --generate-cds-archive: the runtime's own class-data sharing archive, for a faster start
    "$JAVA_HOME/bin/jlink" --add-modules "$mods" --strip-debug --no-man-pages --no-header-files \
      --compress=zip-6 --generate-cds-archive --output "$dest"
    du -sh "$dest" >&2
    ;;
  stage)
    dest=$(realpath -m "${2:?usage: build-steps.sh stage DEST (with DEST/jre from the jre step)}")
    [ -x "$dest/jre/bin/java" ] || { echo "build-steps: run 'jre $dest/jre' first" >&2; exit 1; }
    rm -rf "${dest:?}/bin" "${dest:?}/java"
    mkdir -p "$dest/bin" "$dest/$cli"
    cp bin/vidmill "$dest/bin/"
    cp -R "$cli/vidmill-cli.jar" "$cli/lib" "$cli/demo-clips" "$dest/$cli/"
    # the AOT cache must come from the JVM that uses it: a training run with the image's runtime
    # over the demo clips, as the Maven build does for the JDK it runs on (exit 1: the demo set
    # has broken clips on purpose)
    training=$(mktemp -d)
    "$dest/jre/bin/java" -XX:AOTCacheOutput="$dest/$cli/vidmill.aot" -Xlog:aot=error -Xlog:cds=error \
      --enable-native-access=ALL-UNNAMED -XX:TieredStopAtLevel=1 -jar "$dest/$cli/vidmill-cli.jar" \
      run --input "$dest/$cli/demo-clips" --out "$training/out" --progress off >"$training/log" 2>&1 || true
    [ -s "$dest/$cli/vidmill.aot" ] || { echo "build-steps: no AOT cache (start-up will be slower):" >&2; tail -5 "$training/log" >&2; }
    rm -rf "$training"
    du -sh "$dest" >&2
    ;;
  smoke)
    dest=$(realpath -m "${2:?usage: build-steps.sh smoke DEST}")
    # as the image runs it: the jlink'ed runtime, a fresh home, from another directory
    out=$(cd / && env -u VIDMILL_JAVA_OPTS JAVA_HOME="$dest/jre" HOME="$(mktemp -d)" "$dest/bin/vidmill" demo 2>&1) || true
    echo "$out" | tail -4
    echo "$out" | grep -q '^summary: 25 clips, 22 decoded, 3 failed (3 of them broken on purpose)' ||
      { echo "build-steps: the demo did not give the expected summary:" >&2; echo "$out" >&2; exit 1; }
    version=$(JAVA_HOME="$dest/jre" "$dest/bin/vidmill" version)
    echo "$version" | head -3
    echo "$version" | tail -1
    # the CUDA image's library must have the GPU path (no GPU here: it says why there is none)
    if [ "${VIDMILL_CUDA:-}" = ON ] && echo "$version" | grep -q 'built without CUDA'; then
      echo "build-steps: VIDMILL_CUDA=ON but libvidmill was built without CUDA" >&2; exit 1
    fi
    ;;
  ci)
    root=${2:-build/image}
    "$0" jre "$root/jre"
    "$0" stage "$root"
    "$0" smoke "$root"
    ;;
  *)
    echo "build-steps: unknown step $step" >&2
    exit 2
    ;;
esac
