//! The traces the load generator sends: requests through a shop (gateway → orders →
//! inventory, payments, …), each service with its own resource, server/client spans with
//! HTTP attributes, method spans with code attributes and database calls with their query
//! text, sized like what the OpenTelemetry SDKs and Omegi's agents record. A failing trace
//! throws in its deepest method span with one of a few exception kinds, each with a stack
//! trace in its language's format, and marks the server and client spans above it as failed.

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::{any_value, AnyValue, InstrumentationScope, KeyValue};
use opentelemetry_proto::tonic::resource::v1::Resource;
use opentelemetry_proto::tonic::trace::v1::span::{Event, SpanKind};
use opentelemetry_proto::tonic::trace::v1::{status, ResourceSpans, ScopeSpans, Span, Status};
use rand::Rng;

/// The shop's services, in the order a request visits them; `--services N` takes the first N.
pub const SERVICES: [&str; 8] = [
    "gateway",
    "orders",
    "inventory",
    "payments",
    "shipping",
    "users",
    "search",
    "notifications",
];

/// A way a request fails: the exception the failing method throws.
pub struct ExceptionKind {
    /// The service it is thrown in, when the trace reaches it.
    pub service: &'static str,
    pub exception_type: &'static str,
    pub message: &'static str,
    /// `{service}` is replaced by the failing service's name.
    stacktrace: &'static str,
}

/// The exception kinds, in the order `--exception-kinds N` takes them.
pub const EXCEPTION_KINDS: [ExceptionKind; 6] = [
    ExceptionKind {
        service: "inventory",
        exception_type: "java.sql.SQLTransientConnectionException",
        message: "HikariPool-1 - Connection is not available, request timed out after 30000ms.",
        stacktrace: "java.sql.SQLTransientConnectionException: HikariPool-1 - Connection is not available, request timed out after 30000ms.\n\
\tat com.zaxxer.hikari.pool.HikariPool.createTimeoutException(HikariPool.java:696)\n\
\tat com.zaxxer.hikari.pool.HikariPool.getConnection(HikariPool.java:181)\n\
\tat com.zaxxer.hikari.HikariDataSource.getConnection(HikariDataSource.java:100)\n\
\tat com.shop.{service}.StockRepository.reserve(StockRepository.java:88)\n\
\tat com.shop.{service}.ReservationService.reserveAll(ReservationService.java:41)\n\
\tat com.shop.{service}.ReservationController.reserve(ReservationController.java:29)\n\
\tat java.base/jdk.internal.reflect.DirectMethodHandleAccessor.invoke(DirectMethodHandleAccessor.java:103)\n\
\tat org.springframework.web.servlet.FrameworkServlet.service(FrameworkServlet.java:885)\n\
\tat org.apache.catalina.core.ApplicationFilterChain.doFilter(ApplicationFilterChain.java:166)\n\
\tat java.base/java.lang.Thread.run(Thread.java:840)\n",
    },
    ExceptionKind {
        service: "orders",
        exception_type: "java.lang.NullPointerException",
        message: "Cannot invoke \"com.shop.orders.Address.getZip()\" because \"customer.address\" is null",
        stacktrace: "java.lang.NullPointerException: Cannot invoke \"com.shop.orders.Address.getZip()\" because \"customer.address\" is null\n\
\tat com.shop.{service}.ShippingQuote.forCustomer(ShippingQuote.java:57)\n\
\tat com.shop.{service}.OrderService.place(OrderService.java:112)\n\
\tat com.shop.{service}.OrderController.create(OrderController.java:48)\n\
\tat java.base/jdk.internal.reflect.DirectMethodHandleAccessor.invoke(DirectMethodHandleAccessor.java:103)\n\
\tat org.springframework.web.method.support.InvocableHandlerMethod.doInvoke(InvocableHandlerMethod.java:255)\n\
\tat org.springframework.web.servlet.DispatcherServlet.doDispatch(DispatcherServlet.java:1089)\n\
\tat java.base/java.lang.Thread.run(Thread.java:840)\n",
    },
    ExceptionKind {
        service: "payments",
        exception_type: "KeyError",
        message: "'currency'",
        stacktrace: "Traceback (most recent call last):\n\
  File \"/usr/local/lib/python3.11/site-packages/flask/app.py\", line 1484, in full_dispatch_request\n\
    rv = self.dispatch_request()\n\
  File \"/usr/local/lib/python3.11/site-packages/flask/app.py\", line 1469, in dispatch_request\n\
    return self.ensure_sync(self.view_functions[rule.endpoint])(**view_args)\n\
  File \"/app/{service}/views.py\", line 42, in charge\n\
    payment = service.charge(order)\n\
  File \"/app/{service}/service.py\", line 88, in charge\n\
    amount = to_minor_units(order[\"total\"], order[\"currency\"])\n\
KeyError: 'currency'\n",
    },
    ExceptionKind {
        service: "payments",
        exception_type: "com.shop.payments.CardDeclinedException",
        message: "card declined: insufficient_funds",
        stacktrace: "com.shop.payments.CardDeclinedException: card declined: insufficient_funds\n\
\tat com.shop.{service}.gateway.StripeClient.capture(StripeClient.java:133)\n\
\tat com.shop.{service}.PaymentService.capture(PaymentService.java:76)\n\
\tat com.shop.{service}.PaymentController.pay(PaymentController.java:35)\n\
\tat org.springframework.web.servlet.FrameworkServlet.service(FrameworkServlet.java:885)\n\
\tat java.base/java.lang.Thread.run(Thread.java:840)\n",
    },
    ExceptionKind {
        service: "shipping",
        exception_type: "TimeoutError",
        message: "upstream shipping-rates did not answer within 2.0s",
        stacktrace: "Traceback (most recent call last):\n\
  File \"/app/{service}/rates.py\", line 61, in quote\n\
    response = await client.post(RATES_URL, json=parcel, timeout=2.0)\n\
  File \"/usr/local/lib/python3.11/site-packages/httpx/_client.py\", line 1892, in post\n\
    return await self.request(\"POST\", url, json=json, timeout=timeout)\n\
  File \"/usr/local/lib/python3.11/asyncio/tasks.py\", line 479, in wait_for\n\
    return fut.result()\n\
TimeoutError: upstream shipping-rates did not answer within 2.0s\n",
    },
    ExceptionKind {
        service: "orders",
        exception_type: "java.lang.IllegalStateException",
        message: "order is already confirmed",
        stacktrace: "java.lang.IllegalStateException: order is already confirmed\n\
\tat com.shop.{service}.Order.confirm(Order.java:94)\n\
\tat com.shop.{service}.OrderService.confirm(OrderService.java:150)\n\
\tat com.shop.{service}.OrderController.confirm(OrderController.java:71)\n\
\tat org.springframework.web.servlet.FrameworkServlet.service(FrameworkServlet.java:885)\n\
\tat java.base/java.lang.Thread.run(Thread.java:840)\n",
    },
];

/// What the generator was asked for, shape-wise.
#[derive(Clone, Debug)]
pub struct Shape {
    pub spans_per_trace: usize,
    pub services: usize,
}

/// One generated trace: its id, and the exception it throws if it fails.
#[derive(Clone, Debug)]
pub struct Generated {
    pub trace_id: String,
    pub failure: Option<String>,
}

/// Builds export requests of shop traces.
pub struct Shop {
    shape: Shape,
    resources: Vec<Arc<Resource>>,
    token: Option<String>,
}

impl Shop {
    /// `token`, when given, is put on every resource as `omegi.token` (for Kafka messages
    /// that carry no header).
    pub fn new(shape: Shape, token: Option<String>) -> Shop {
        let services = shape.services.clamp(1, SERVICES.len());
        let resources = SERVICES[..services]
            .iter()
            .enumerate()
            .map(|(i, name)| Arc::new(resource(name, i)))
            .collect();
        Shop {
            shape: Shape { services, ..shape },
            resources,
            token,
        }
    }

    /// One export of `traces` traces; `failing(i)` says whether the i-th fails and how, as an
    /// index into [`EXCEPTION_KINDS`] (or a probe's own exception type).
    pub fn export(
        &self,
        rng: &mut impl Rng,
        traces: usize,
        mut failing: impl FnMut(usize) -> Option<Failure>,
    ) -> (ExportTraceServiceRequest, Vec<Generated>) {
        let mut by_service: Vec<Vec<Span>> = vec![Vec::new(); self.shape.services];
        let mut generated = Vec::with_capacity(traces);
        for i in 0..traces {
            let failure = failing(i);
            let (id, spans) = self.trace(rng, failure.as_ref());
            generated.push(Generated {
                trace_id: crate::model::hex(&id),
                failure: failure.map(|f| f.exception_type()),
            });
            for (service, span) in spans {
                by_service[service].push(span);
            }
        }
        let resource_spans = by_service
            .into_iter()
            .enumerate()
            .filter(|(_, spans)| !spans.is_empty())
            .map(|(service, spans)| {
                let mut resource = (*self.resources[service]).clone();
                if let Some(token) = &self.token {
                    resource.attributes.push(text("omegi.token", token));
                }
                ResourceSpans {
                    resource: Some(resource),
                    scope_spans: vec![ScopeSpans {
                        scope: Some(InstrumentationScope {
                            name: "omegi-loadgen".into(),
                            version: env!("CARGO_PKG_VERSION").into(),
                            ..Default::default()
                        }),
                        spans,
                        schema_url: String::new(),
                    }],
                    schema_url: String::new(),
                }
            })
            .collect();
        (ExportTraceServiceRequest { resource_spans }, generated)
    }

    /// One trace: (service index, span) pairs, the root first.
    fn trace(
        &self,
        rng: &mut impl Rng,
        failure: Option<&Failure>,
    ) -> ([u8; 16], Vec<(usize, Span)>) {
        let trace_id: [u8; 16] = rng.gen();
        let base: u64 = rng.gen();
        let mut b = TraceBuilder {
            trace_id,
            base,
            start: now_ns() - 80_000_000,
            spans: Vec::new(),
            parents: Vec::new(),
            limit: self.shape.spans_per_trace.max(1),
        };
        let root = b.push(
            None,
            0,
            "POST /api/checkout",
            SpanKind::Server,
            server_attrs("/api/checkout"),
        );
        // The gateway's server span calls on; the others each get a method span (ten spans
        // reach four services: gateway, orders, inventory with its query, payments).
        let mut caller = root;
        // Hops: gateway calls orders, orders fans out to the others, and round again.
        let mut fan_out = None;
        let mut hop = 0;
        while b.spans.len() < b.limit {
            let service = match (hop, self.shape.services) {
                (_, 1) => 0,
                (0, _) | (_, 2) => 1,
                (h, n) => 2 + (h - 1) % (n - 2),
            };
            let from = if hop == 0 { caller } else { fan_out.or(caller) };
            let Some(method) = b.call(from, service) else {
                break;
            };
            if hop == 0 {
                fan_out = Some(method);
            }
            caller = Some(method);
            hop += 1;
        }
        if let Some(failure) = failure {
            b.fail(failure);
        }
        (trace_id, b.spans)
    }
}

/// How a trace fails.
pub enum Failure {
    /// One of [`EXCEPTION_KINDS`].
    Kind(usize),
    /// A probe: an exception type of its own, so the failure makes a new error group.
    Probe(String),
}

impl Failure {
    fn exception_type(&self) -> String {
        match self {
            Failure::Kind(k) => EXCEPTION_KINDS[*k % EXCEPTION_KINDS.len()]
                .exception_type
                .to_string(),
            Failure::Probe(ty) => ty.clone(),
        }
    }
}

struct TraceBuilder {
    trace_id: [u8; 16],
    base: u64,
    start: u64,
    spans: Vec<(usize, Span)>,
    parents: Vec<Option<usize>>,
    limit: usize,
}

impl TraceBuilder {
    /// Adds a span under `parent` (an index); `None` once the trace has its spans.
    fn push(
        &mut self,
        parent: Option<usize>,
        service: usize,
        name: &str,
        kind: SpanKind,
        attributes: Vec<KeyValue>,
    ) -> Option<usize> {
        let n = self.spans.len();
        if n >= self.limit {
            return None;
        }
        let depth = {
            let mut d = 0u64;
            let mut p = parent;
            while let Some(i) = p {
                d += 1;
                p = self.parents[i];
            }
            d
        };
        let start = self.start + depth * 2_000_000 + n as u64 * 100_000;
        let span = Span {
            trace_id: self.trace_id.to_vec(),
            span_id: self.id(n),
            parent_span_id: parent.map(|p| self.id(p)).unwrap_or_default(),
            name: name.to_string(),
            kind: kind as i32,
            start_time_unix_nano: start,
            end_time_unix_nano: start + 60_000_000 - depth * 4_000_000,
            attributes,
            ..Default::default()
        };
        self.spans.push((service, span));
        self.parents.push(parent);
        Some(n)
    }

    fn id(&self, n: usize) -> Vec<u8> {
        self.base.wrapping_add(n as u64 + 1).to_be_bytes().to_vec()
    }

    /// A call from the span `from` into `service`: client span, server span, the handling
    /// method and (for some services) its database query. Returns the method span.
    fn call(&mut self, from: Option<usize>, service: usize) -> Option<usize> {
        let from = from?;
        let caller = self.spans[from].0;
        let name = SERVICES[service];
        let route = format!("/api/{name}");
        let client = self.push(
            Some(from),
            caller,
            &format!("POST {route}"),
            SpanKind::Client,
            client_attrs(name, &route),
        )?;
        let server = self.push(
            Some(client),
            service,
            &format!("POST {route}"),
            SpanKind::Server,
            server_attrs(&route),
        )?;
        let class = format!("{}Service", capitalised(name));
        let method = self.push(
            Some(server),
            service,
            &format!("{class}.handle"),
            SpanKind::Internal,
            method_attrs(name, &class, "handle"),
        )?;
        if service % 2 == 0 {
            self.push(
                Some(method),
                service,
                &format!("SELECT shop.{name}"),
                SpanKind::Client,
                db_attrs(name),
            );
        }
        Some(method)
    }

    /// Throws in the deepest span (not a client call) of the failure's home service, or in
    /// the last method span when the trace does not reach that service, and marks the server
    /// and client spans above it.
    fn fail(&mut self, failure: &Failure) {
        let home = match failure {
            Failure::Kind(k) => EXCEPTION_KINDS[*k % EXCEPTION_KINDS.len()].service,
            Failure::Probe(_) => "",
        };
        let in_home = self.spans.iter().rposition(|(service, s)| {
            SERVICES[*service] == home && s.kind != SpanKind::Client as i32
        });
        let Some(at) = in_home.or_else(|| {
            self.spans
                .iter()
                .rposition(|(_, s)| s.kind == SpanKind::Internal as i32)
        }) else {
            return;
        };
        let service = SERVICES[self.spans[at].0];
        let (ty, message, stacktrace) = match failure {
            Failure::Kind(k) => {
                let kind = &EXCEPTION_KINDS[*k % EXCEPTION_KINDS.len()];
                (kind.exception_type, kind.message.to_string(), kind.stacktrace.replace("{service}", service))
            }
            Failure::Probe(ty) => (
                ty.as_str(),
                "a probe of the load generator".to_string(),
                format!("{ty}: a probe of the load generator\n\tat com.shop.{service}.Probe.fire(Probe.java:1)\n"),
            ),
        };
        let span = &mut self.spans[at].1;
        span.status = Some(Status {
            code: status::StatusCode::Error as i32,
            message: message.clone(),
        });
        span.events.push(Event {
            time_unix_nano: span.end_time_unix_nano,
            name: "exception".into(),
            attributes: vec![
                text("exception.type", ty),
                text("exception.message", &message),
                text("exception.stacktrace", &stacktrace),
            ],
            dropped_attributes_count: 0,
        });
        let mut up = self.parents[at];
        while let Some(i) = up {
            let span = &mut self.spans[i].1;
            if span.kind != SpanKind::Internal as i32 {
                span.status = Some(Status {
                    code: status::StatusCode::Error as i32,
                    message: String::new(),
                });
                span.attributes.push(int("http.response.status_code", 500));
            }
            up = self.parents[i];
        }
    }
}

fn capitalised(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
        .unwrap_or_default()
}

fn now_ns() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or_default()
}

fn text(key: &str, value: &str) -> KeyValue {
    KeyValue {
        key: key.into(),
        value: Some(AnyValue {
            value: Some(any_value::Value::StringValue(value.into())),
        }),
        ..Default::default()
    }
}

fn int(key: &str, value: i64) -> KeyValue {
    KeyValue {
        key: key.into(),
        value: Some(AnyValue {
            value: Some(any_value::Value::IntValue(value)),
        }),
        ..Default::default()
    }
}

fn resource(service: &str, i: usize) -> Resource {
    let java = i % 2 == 0;
    Resource {
        attributes: vec![
            text("service.name", service),
            text("service.namespace", "shop"),
            text("service.version", "1.4.2"),
            text("service.instance.id", &format!("{service}-7d9f8b6c5-x2k4p")),
            text("deployment.environment.name", "production"),
            text("host.name", &format!("shop-{service}-7d9f8b6c5-x2k4p")),
            text("host.arch", "amd64"),
            text("os.type", "linux"),
            int("process.pid", 1 + i as i64),
            text(
                "process.runtime.name",
                if java {
                    "OpenJDK Runtime Environment"
                } else {
                    "CPython"
                },
            ),
            text(
                "process.runtime.version",
                if java { "17.0.13+11" } else { "3.11.10" },
            ),
            text("telemetry.sdk.name", "opentelemetry"),
            text(
                "telemetry.sdk.language",
                if java { "java" } else { "python" },
            ),
            text(
                "telemetry.sdk.version",
                if java { "1.44.1" } else { "1.28.2" },
            ),
        ],
        ..Default::default()
    }
}

fn server_attrs(route: &str) -> Vec<KeyValue> {
    vec![
        text("http.request.method", "POST"),
        text("url.path", route),
        text("url.scheme", "http"),
        text("http.route", route),
        int("http.response.status_code", 200),
        text("network.protocol.version", "1.1"),
        text("server.address", "shop.example.com"),
        text("client.address", "10.42.3.17"),
        text(
            "user_agent.original",
            "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
        ),
    ]
}

fn client_attrs(service: &str, route: &str) -> Vec<KeyValue> {
    vec![
        text("http.request.method", "POST"),
        text(
            "url.full",
            &format!("http://{service}.shop.svc.cluster.local:8080{route}"),
        ),
        text(
            "server.address",
            &format!("{service}.shop.svc.cluster.local"),
        ),
        int("server.port", 8080),
        int("http.response.status_code", 200),
    ]
}

fn method_attrs(service: &str, class: &str, method: &str) -> Vec<KeyValue> {
    vec![
        text("code.namespace", &format!("com.shop.{service}.{class}")),
        text("code.function", method),
        text(
            "code.filepath",
            &format!("src/main/java/com/shop/{service}/{class}.java"),
        ),
        int("code.lineno", 42),
        text("thread.name", "http-nio-8080-exec-7"),
    ]
}

fn db_attrs(table: &str) -> Vec<KeyValue> {
    vec![
        text("db.system", "postgresql"),
        text("db.namespace", "shop"),
        text("db.operation.name", "SELECT"),
        text(
            "db.query.text",
            &format!("SELECT id, sku, quantity, reserved, updated_at FROM {table} WHERE sku = $1 AND warehouse_id = $2 FOR UPDATE"),
        ),
        text("server.address", "postgres.shop.svc.cluster.local"),
        int("server.port", 5432),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shop(spans: usize, services: usize) -> Shop {
        Shop::new(
            Shape {
                spans_per_trace: spans,
                services,
            },
            None,
        )
    }

    #[test]
    fn a_trace_has_the_asked_spans_one_root_and_every_parent_in_it() {
        for n in [1, 2, 5, 10, 40] {
            let (_, spans) = shop(n, 4).trace(&mut rand::thread_rng(), None);
            assert_eq!(spans.len(), n);
            let ids: Vec<&Vec<u8>> = spans.iter().map(|(_, s)| &s.span_id).collect();
            assert_eq!(
                spans
                    .iter()
                    .filter(|(_, s)| s.parent_span_id.is_empty())
                    .count(),
                1
            );
            assert!(spans
                .iter()
                .all(|(_, s)| s.parent_span_id.is_empty() || ids.contains(&&s.parent_span_id)));
        }
    }

    #[test]
    fn a_failing_trace_throws_once_in_its_home_service_and_fails_the_calls_above() {
        // KeyError is thrown in payments, which ten spans through four services reach.
        let (_, spans) = shop(10, 4).trace(&mut rand::thread_rng(), Some(&Failure::Kind(2)));
        let thrown: Vec<_> = spans.iter().filter(|(_, s)| !s.events.is_empty()).collect();
        assert_eq!(thrown.len(), 1);
        assert_eq!(SERVICES[thrown[0].0], "payments");
        assert_ne!(thrown[0].1.kind, SpanKind::Client as i32);
        let failed = spans.iter().filter(|(_, s)| s.status.is_some()).count();
        // Payments' server span, the call into it, orders' server span, the call into it and
        // the root; orders' method span is not an HTTP span and keeps its status.
        assert_eq!(failed, 5);
    }

    #[test]
    fn a_failure_whose_service_is_not_reached_throws_in_the_last_method() {
        // Shipping (TimeoutError's home) is not among three services.
        let (_, spans) = shop(10, 3).trace(&mut rand::thread_rng(), Some(&Failure::Kind(4)));
        let thrown: Vec<_> = spans.iter().filter(|(_, s)| !s.events.is_empty()).collect();
        assert_eq!(thrown.len(), 1);
        assert_eq!(thrown[0].1.kind, SpanKind::Internal as i32);
    }

    #[test]
    fn an_export_spans_as_many_services_as_asked() {
        let (req, generated) = shop(10, 4).export(&mut rand::thread_rng(), 3, |_| None);
        assert_eq!(generated.len(), 3);
        assert_eq!(req.resource_spans.len(), 4);
        let spans: usize = req
            .resource_spans
            .iter()
            .map(|r| r.scope_spans[0].spans.len())
            .sum();
        assert_eq!(spans, 30);
    }
}
