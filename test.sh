#!/usr/bin/env bash
# The test command: builds everything (native kernels via CMake, Java via Maven), runs every test, installs the
# artifacts into the local Maven repository, then builds and runs examples/consumer against them by coordinates.
set -euo pipefail
cd "$(dirname "$0")"
if [ -z "${JAVA_HOME:-}" ] || ! "$JAVA_HOME/bin/java" -version 2>&1 | grep -qE 'version "(2[5-9]|[3-9][0-9])'; then
  for d in /usr/lib/jvm/temurin-25-jdk-amd64 /usr/lib/jvm/temurin-25* /usr/lib/jvm/*-25*; do
    if [ -x "$d/bin/java" ]; then export JAVA_HOME="$d"; break; fi
  done
fi
export PATH="$JAVA_HOME/bin:$PATH"
mvn -B -ntp install "$@"
if [ -f examples/consumer/pom.xml ]; then
  mvn -B -ntp -f examples/consumer/pom.xml verify
fi
