//! Where alert channels may point. A channel URL is typed by a project owner but fetched by
//! the server, so without a check it could reach what only the server sees: its own admin
//! ports on loopback, a cloud's metadata service on a link-local address (server-side
//! request forgery). URLs are checked when a channel is saved and again, through the DNS
//! resolver of the sending client, at every delivery, so a name that later resolves to a
//! local address (DNS rebinding) is refused too. Private networks (10/8, 192.168/16, fc00::/7)
//! stay allowed: a self-hosted chat server there is a normal target.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use reqwest::Url;

/// Whether an address is one only this machine (or its link) can reach.
pub fn is_local(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            v4.is_loopback()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_multicast()
                || v4.octets()[0] == 0
        }
        IpAddr::V6(v6) => {
            // IPv4-mapped (::ffff:a.b.c.d) and IPv4-compatible (::a.b.c.d, which includes ::1)
            // forms reach the IPv4 address.
            v6.to_ipv4().is_some_and(|v4| is_local(IpAddr::V4(v4)))
                || v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || v6.is_unicast_link_local()
                // The EC2 instance metadata service's IPv6 address.
                || v6 == std::net::Ipv6Addr::new(0xfd00, 0xec2, 0, 0, 0, 0, 0, 0x254)
        }
    }
}

/// The check of channel URLs, on or off (`--alert-allow-local-targets`).
#[derive(Clone, Copy, Debug)]
pub struct Guard {
    pub allow_local: bool,
}

impl Guard {
    /// The URL if a channel may post to it: http or https, with a host that is not, and does
    /// not resolve to, a local address. A name that does not resolve yet is accepted; the
    /// sending client checks again.
    pub async fn check_url(&self, raw: &str) -> Result<Url, String> {
        let url = Url::parse(raw.trim()).map_err(|e| format!("not a URL: {e}"))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(format!("expected http or https, got {}", url.scheme()));
        }
        let host = url.host_str().ok_or("the URL has no host")?.to_string();
        if !url.username().is_empty() || url.password().is_some() {
            return Err("credentials in the URL are not supported".into());
        }
        if self.allow_local {
            return Ok(url);
        }
        self.check_literal(&url)?;
        if url
            .host()
            .is_some_and(|h| matches!(h, url::Host::Domain(_)))
        {
            let port = url.port_or_known_default().unwrap_or(443);
            if let Ok(addrs) = tokio::net::lookup_host((host.as_str(), port)).await {
                if let Some(local) = addrs.map(|a| a.ip()).find(|ip| is_local(*ip)) {
                    return Err(format!(
                        "{host} resolves to {local}, a loopback or link-local address; \
                         start omegi with --alert-allow-local-targets to allow it"
                    ));
                }
            }
        }
        Ok(url)
    }

    /// Refuses a URL whose host is a local IP address (the resolver never sees those).
    pub fn check_literal(&self, url: &Url) -> Result<(), String> {
        if self.allow_local {
            return Ok(());
        }
        let ip = match url.host() {
            Some(url::Host::Ipv4(v4)) => IpAddr::V4(v4),
            Some(url::Host::Ipv6(v6)) => IpAddr::V6(v6),
            _ => return Ok(()),
        };
        if is_local(ip) {
            return Err(format!(
                "{ip} is a loopback or link-local address; start omegi with \
                 --alert-allow-local-targets to allow it"
            ));
        }
        Ok(())
    }

    /// A DNS resolver for the sending client that drops local addresses.
    pub fn resolver(self) -> Arc<GuardedResolver> {
        Arc::new(GuardedResolver { guard: self })
    }
}

/// Resolves names for alert deliveries, leaving out local addresses unless they are allowed.
pub struct GuardedResolver {
    guard: Guard,
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let allow_local = self.guard.allow_local;
        Box::pin(async move {
            let host = name.as_str().to_string();
            let found: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0))
                .await?
                .filter(|a| allow_local || !is_local(a.ip()))
                .collect();
            if found.is_empty() {
                return Err(format!(
                    "{host} resolves to no address alerts may be sent to \
                     (loopback and link-local addresses are refused)"
                )
                .into());
            }
            Ok(Box::new(found.into_iter()) as Addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_link_local_and_metadata_addresses_are_local() {
        for ip in [
            "127.0.0.1",
            "127.1.2.3",
            "169.254.169.254",
            "0.0.0.0",
            "::1",
            "fe80::1",
            "::ffff:127.0.0.1",
            "::127.0.0.1",
            "::ffff:169.254.169.254",
            "fd00:ec2::254",
        ] {
            assert!(is_local(ip.parse().unwrap()), "{ip}");
        }
        for ip in ["10.0.0.5", "192.168.1.10", "8.8.8.8", "2001:db8::1"] {
            assert!(!is_local(ip.parse().unwrap()), "{ip}");
        }
    }

    #[tokio::test]
    async fn channel_urls_to_local_addresses_are_refused_unless_allowed() {
        let guard = Guard { allow_local: false };
        for url in [
            "http://127.0.0.1:9000/hook",
            "http://[::1]/hook",
            "http://169.254.169.254/latest/meta-data",
            "http://localhost:8080/x",
        ] {
            assert!(guard.check_url(url).await.is_err(), "{url}");
        }
        assert!(guard.check_url("ftp://example.com/x").await.is_err());
        assert!(guard.check_url("https://10.1.2.3/hook").await.is_ok());
        let open = Guard { allow_local: true };
        assert!(open.check_url("http://127.0.0.1:9000/hook").await.is_ok());
    }

    #[tokio::test]
    async fn the_sending_clients_resolver_refuses_names_of_local_addresses() {
        let name: Name = "localhost".parse().unwrap();
        let refused = Guard { allow_local: false }.resolver().resolve(name).await;
        assert!(refused.is_err());
        let name: Name = "localhost".parse().unwrap();
        let allowed = Guard { allow_local: true }.resolver().resolve(name).await;
        assert!(allowed.unwrap().next().is_some());
    }
}
