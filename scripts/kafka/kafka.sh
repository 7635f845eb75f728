# A single-node Apache Kafka broker (KRaft mode) on loopback, from Maven Central jars: sourced by
# scripts/test.sh, or run by hand to try Kafka locally:
#
#   source scripts/kafka/kafka.sh && start_kafka && echo "$KAFKA_BROKERS"
#
# start_kafka resolves the broker with Maven (scripts/kafka/pom.xml) into scripts/kafka/target/libs,
# formats a fresh log directory, starts the broker with a bounded heap on free ports and waits for
# it; it sets KAFKA_BROKERS (host:port) and KAFKA_DIR, and stop_kafka ends it and removes the data.

KAFKA_HOME=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

kafka_free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

start_kafka() {
    mvn -B -q -f "$KAFKA_HOME/pom.xml" dependency:copy-dependencies >/dev/null
    KAFKA_DIR=$(mktemp -d /tmp/omegi-kafka.XXXXXX)
    local port controller cluster classpath="$KAFKA_HOME/target/libs/*"
    port=$(kafka_free_port)
    controller=$(kafka_free_port)
    cat >"$KAFKA_DIR/server.properties" <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$controller
listeners=PLAINTEXT://127.0.0.1:$port,CONTROLLER://127.0.0.1:$controller
advertised.listeners=PLAINTEXT://127.0.0.1:$port
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
log.dirs=$KAFKA_DIR/data
num.partitions=3
auto.create.topics.enable=true
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
PROPS
    cat >"$KAFKA_DIR/log4j2.properties" <<PROPS
appender.file.type=File
appender.file.name=file
appender.file.fileName=$KAFKA_DIR/server.log
appender.file.layout.type=PatternLayout
appender.file.layout.pattern=[%d] %p %m (%c)%n
rootLogger.level=INFO
rootLogger.appenderRef.file.ref=file
PROPS
    local java=(java -Xms128m -Xmx512m -XX:+UseSerialGC "-Dlog4j2.configurationFile=$KAFKA_DIR/log4j2.properties" -cp "$classpath")
    cluster=$("${java[@]}" kafka.tools.StorageTool random-uuid)
    "${java[@]}" kafka.tools.StorageTool format -t "$cluster" -c "$KAFKA_DIR/server.properties" >/dev/null
    "${java[@]}" kafka.Kafka "$KAFKA_DIR/server.properties" >"$KAFKA_DIR/stdout.log" 2>&1 &
    KAFKA_PID=$!
    KAFKA_BROKERS="127.0.0.1:$port"
    local waited=0
    until grep -q "Kafka Server started" "$KAFKA_DIR/server.log" 2>/dev/null; do
        if ! kill -0 "$KAFKA_PID" 2>/dev/null || [ $waited -ge 120 ]; then
            echo "Kafka did not start; its log:" >&2
            tail -n 40 "$KAFKA_DIR/server.log" "$KAFKA_DIR/stdout.log" >&2
            return 1
        fi
        sleep 0.5
        waited=$((waited + 1))
    done
    echo "Apache Kafka 4.4.0 (KRaft) at $KAFKA_BROKERS"
}

stop_kafka() {
    if [ -n "${KAFKA_PID:-}" ]; then
        kill "$KAFKA_PID" 2>/dev/null || true
        wait "$KAFKA_PID" 2>/dev/null || true
    fi
    if [ -n "${KAFKA_DIR:-}" ]; then rm -rf "$KAFKA_DIR"; fi
    KAFKA_PID=
}
