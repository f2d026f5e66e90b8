#!/usr/bin/env bash
# gpu-bundle.sh - packs what check-gpu.sh's Java steps need on a GPU machine that has no JDK, no Maven and no network
# (the device machines lent to this project: CUDA, CMake and Python only), into <repo>/.gpu-bundle (git-ignored):
#
#   jre.tar.xz   a JDK 25 runtime cut down with jlink to the modules moe4j and its tests use (libjvm stripped)
#   lib/         the CLI's shaded jar (core, Jackson, picocli, slf4j-simple), core's compiled tests as a jar, and the
#                JUnit console launcher
#   shared/      the golden models the GPU tests read (copied from ../shared/golden; never committed)
#
# Run it here after a build (`./test.sh`, or `mvn install -DskipTests`); then hand the device tool's run
# `carry: [".gpu-bundle"]` and start check-gpu.sh there. It prints the bundle's size: the working tree plus the
# carried paths must stay under the tool's 64 MiB.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
out="$repo/.gpu-bundle"
shared="${MOE4J_SHARED:-$repo/../shared}"
jdk="${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}"
junit_console="${JUNIT_CONSOLE:-$HOME/.m2/repository/org/junit/platform/junit-platform-console-standalone/1.14.1/junit-platform-console-standalone-1.14.1.jar}"
# the golden models of CudaEmulationGoldenTest, ModelLoaderGpuTest and GpuBudgetApiTest
golden=(ds2-tiny-f32 ds2-lite-tiny-f32 ds2-tiny-q8e)

cli_jar="$repo/examples/cli/target/moe4j.jar"
tests="$repo/core/target/test-classes"
[ -f "$cli_jar" ] && [ -d "$tests" ] || { echo "build first: no $cli_jar or $tests" >&2; exit 1; }
if [ ! -f "$junit_console" ]; then
  (cd "$repo" && mvn -B -ntp -q dependency:get -Dartifact=org.junit.platform:junit-platform-console-standalone:1.14.1)
fi

rm -rf "$out"
mkdir -p "$out/lib" "$out/shared/golden"
cp "$cli_jar" "$out/lib/moe4j.jar"
"$jdk/bin/jar" --create --file "$out/lib/core-tests.jar" -C "$tests" .
cp "$junit_console" "$out/lib/junit-console.jar"
for g in "${golden[@]}"; do
  mkdir -p "$out/shared/golden/$g"
  for f in model.gguf fixture.json prompt_tokens.txt generated_tokens.txt logits_last_prompt.npy logits_gen_steps.npy \
           meta.txt; do
    [ -f "$shared/golden/$g/$f" ] && cp "$shared/golden/$g/$f" "$out/shared/golden/$g/"
  done
done

jre="$(mktemp -d)/jre"
"$jdk/bin/jlink" --add-modules java.base,java.management,jdk.management,jdk.unsupported,java.logging \
  --compress=zip-9 --strip-debug --no-header-files --no-man-pages --output "$jre"
strip --strip-unneeded "$jre/lib/server/libjvm.so"
tar -cJf "$out/jre.tar.xz" -C "$(dirname "$jre")" jre
rm -rf "$(dirname "$jre")"

du -sh "$out"
tracked=$(cd "$repo" && git ls-files -z | xargs -0 du -cb 2>/dev/null | tail -1 | cut -f1)
bundle=$(du -sb "$out" | cut -f1)
echo "tracked files $((tracked >> 20)) MiB + bundle $((bundle >> 20)) MiB = $(((tracked + bundle) >> 20)) MiB (limit 64)"
