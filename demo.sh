#!/usr/bin/env bash
# Builds moe4j (skipping tests), then asks the bundled demo model three questions through `moe4j chat -p`:
# its reasoning (dimmed on a terminal) comes apart from its answer, with the decode speed after each.
# The demo model knows the world's countries: capitals, continents, currencies and languages (models/MODEL_CARD.md).
# Usage: ./demo.sh ["your question" ...]    Interactive: java -jar examples/cli/target/moe4j.jar chat -m MODEL
set -euo pipefail
cd "$(dirname "$0")"
if [ -z "${JAVA_HOME:-}" ] || ! "$JAVA_HOME/bin/java" -version 2>&1 | grep -qE 'version "(2[5-9]|[3-9][0-9])'; then
  for d in /usr/lib/jvm/temurin-25-jdk-amd64 /usr/lib/jvm/temurin-25* /usr/lib/jvm/*-25*; do
    if [ -x "$d/bin/java" ]; then export JAVA_HOME="$d"; break; fi
  done
fi
export PATH="$JAVA_HOME/bin:$PATH"
mkdir -p target
log=target/demo-build.log
echo "building moe4j (a few minutes the first time; log: $log)"
if ! mvn -B -ntp -q install -DskipTests >"$log" 2>&1; then
  tail -n 40 "$log" >&2
  echo "the build failed; the whole log is in $log" >&2
  exit 1
fi
if [ $# -eq 0 ]; then
  set -- "What is the capital of Canada?" \
         "i'm travelling to brazil soon, what money do they use there?" \
         "Which languages do people speak in Switzerland?"
fi
questions=()
for q in "$@"; do questions+=(-p "$q"); done
exec java --enable-native-access=ALL-UNNAMED -jar examples/cli/target/moe4j.jar \
  chat -m models/demo-countries-q8_0.gguf --temp 0 "${questions[@]}"
