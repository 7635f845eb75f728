#!/usr/bin/env bash
# Builds Omegi's Java agent with Maven (JDK 17+):
#   agents/java/agent/target/omegi-agent.jar          the agent: java -javaagent:omegi-agent.jar
#   agents/java/extension/target/omegi-extension.jar  the extension alone, for a stock agent
# Extra arguments go to Maven (e.g. -DskipTests).
set -euo pipefail
cd "$(dirname "$0")/.."
mvn -B --no-transfer-progress -f agents/java/pom.xml package "$@"
echo
echo "agent:     $PWD/agents/java/agent/target/omegi-agent.jar"
echo "extension: $PWD/agents/java/extension/target/omegi-extension.jar"
