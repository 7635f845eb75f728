#!/usr/bin/env bash
# Runs every test of the project on a fresh Debian machine with Rust installed:
# lint, unit tests, and the API suite twice — against SQLite files and against a throw-away
# PostgreSQL cluster started here on loopback. Installs what it needs itself.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

step "system packages"
need_debian_packages postgresql chromium
# librdkafka (the kafka feature) is built from source: a C compiler and make.
command -v make >/dev/null || need_debian_packages make
command -v npm >/dev/null || need_debian_packages nodejs npm
command -v java >/dev/null || need_debian_packages openjdk-17-jdk-headless
command -v mvn >/dev/null || need_debian_packages maven

step "PostgreSQL on loopback"
start_postgres
export OMEGI_TEST_PG_BIN="$PG_BIN"

step "Apache Kafka broker on loopback (KRaft, jars from Maven Central)"
source scripts/kafka/kafka.sh
start_kafka
on_exit stop_kafka
export OMEGI_TEST_KAFKA_BROKERS="$KAFKA_BROKERS"

step "OpenTelemetry Python SDK for the client tests, and the Python agent"
python_venv target/test-venv crates/omegi/tests/clients/requirements.txt agents/python/requirements-test.txt \
    agents/java/tests/requirements.txt crates/omegi/tests/sentry_sdks/requirements.txt \
    crates/omegi/tests/alerts_email/requirements.txt
target/test-venv/bin/pip install -q --disable-pip-version-check -e "agents/python[flask,fastapi,requests,httpx,urllib3,kafka]"
export OMEGI_TEST_PYTHON="$PWD/target/test-venv/bin/python"

step "Java agent: Maven build with the extension's unit tests"
scripts/build-java-agent.sh

step "web UI: install, type check, lint, unit tests"
(cd web && npm ci --no-audit --no-fund && npm run typecheck && npm run lint && npm test)

step "format, lint, and the module layers (no cycles, nothing pointing up a layer)"
python3 scripts/module-cycles.py
cargo fmt --all --check
cargo clippy --workspace --all-targets --locked -- -D warnings

step "Rust tests against SQLite"
cargo test --workspace --locked

step "API tests against PostgreSQL"
OMEGI_TEST_POSTGRES_URL="$PG_URL" cargo test --workspace --locked --test api

step "Python agent against a real omegi"
(cd agents/python && OMEGI_BIN="$PWD/../../target/debug/omegi" "$OMEGI_TEST_PYTHON" -m pytest -q)

step "Java agent against a real omegi: Spring Boot, Python ⇄ Java traces, exporters, Kafka"
(cd agents/java/tests && OMEGI_BIN="$PWD/../../../target/debug/omegi" "$OMEGI_TEST_PYTHON" -m pytest -q)

step "Sentry SDKs against a real omegi: Python (Flask), Node and Java, and Sentry ⇄ agent traces"
(cd crates/omegi/tests/sentry_sdks/node && npm ci --no-audit --no-fund)
mvn -q -f crates/omegi/tests/sentry_sdks/java/pom.xml dependency:copy-dependencies -DoutputDirectory=target/lib
(cd crates/omegi/tests/sentry_sdks && OMEGI_BIN="$PWD/../../../../target/debug/omegi" "$OMEGI_TEST_PYTHON" -m pytest -q)

step "Email alerts to a real SMTP server (aiosmtpd) on loopback"
(cd crates/omegi/tests/alerts_email && OMEGI_BIN="$PWD/../../../../target/debug/omegi" "$OMEGI_TEST_PYTHON" -m pytest -q)

step "web UI end to end in Chromium"
(cd web && OMEGI_BIN="$PWD/../target/debug/omegi" npm run e2e)

step "all tests passed"
