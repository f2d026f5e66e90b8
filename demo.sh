#!/usr/bin/env bash
# Builds moe4j (skipping tests) and asks the bundled demo model a question through the chat CLI.
# Usage: ./demo.sh ["What does \"harbor\" mean?"]   (more questions: java -jar examples/cli/target/moe4j.jar chat -m models/demo-wordnet-q8_0.gguf)
set -euo pipefail
cd "$(dirname "$0")"
if [ -z "${JAVA_HOME:-}" ] || ! "$JAVA_HOME/bin/java" -version 2>&1 | grep -qE 'version "(2[5-9]|[3-9][0-9])'; then
  for d in /usr/lib/jvm/temurin-25-jdk-amd64 /usr/lib/jvm/temurin-25* /usr/lib/jvm/*-25*; do
    if [ -x "$d/bin/java" ]; then export JAVA_HOME="$d"; break; fi
  done
fi
export PATH="$JAVA_HOME/bin:$PATH"
mvn -B -ntp -q install -DskipTests
question="${1:-What does \"lantern\" mean?}"
printf '%s\n/exit\n' "$question" | java --enable-native-access=ALL-UNNAMED -jar examples/cli/target/moe4j.jar \
  chat -m models/demo-wordnet-q8_0.gguf --seed 42
