//! The client's address. `X-Forwarded-For` is believed only when the peer is
//! one of the configured trusted proxies; anyone else could write anything
//! there, dodging the rate limit and forging audit rows.

use std::net::IpAddr;

use actix_web::{HttpRequest, web};

/// Proxy addresses from `GATEHOUSE_TRUSTED_PROXIES` (comma-separated).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<IpAddr>);

impl TrustedProxies {
    /// Parses "10.0.0.1, 10.0.0.2"; an entry that is no address is an error.
    pub fn parse(list: &str) -> anyhow::Result<TrustedProxies> {
        let ips = list
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| {
                s.parse::<IpAddr>().map_err(|_| {
                    anyhow::anyhow!("GATEHOUSE_TRUSTED_PROXIES: {s:?} is not an IP address")
                })
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        Ok(TrustedProxies(ips))
    }

    fn trusts(&self, ip: &IpAddr) -> bool {
        self.0.contains(&canonical(*ip))
    }

    /// The client behind `peer`: the right-most `X-Forwarded-For` entry that
    /// is not a trusted proxy, when `peer` is trusted; `peer` otherwise.
    pub fn client(&self, peer: IpAddr, forwarded_for: Option<&str>) -> IpAddr {
        let peer = canonical(peer);
        if !self.trusts(&peer) {
            return peer;
        }
        let Some(header) = forwarded_for else {
            return peer;
        };
        let mut client = peer;
        for hop in header.rsplit(',').map(str::trim) {
            match hop.parse::<IpAddr>() {
                Ok(ip) => {
                    client = canonical(ip);
                    if !self.trusts(&client) {
                        break;
                    }
                }
                // A garbled hop: stop at the last address we could trust.
                Err(_) => break,
            }
        }
        client
    }
}

/// IPv4-mapped IPv6 addresses compare as IPv4.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

/// The request's client address, by the application's trusted proxies.
pub fn client_ip(req: &HttpRequest) -> Option<IpAddr> {
    let peer = req.peer_addr()?.ip();
    let forwarded = req
        .headers()
        .get_all("x-forwarded-for")
        .filter_map(|v| v.to_str().ok())
        .collect::<Vec<_>>()
        .join(",");
    let forwarded = (!forwarded.is_empty()).then_some(forwarded.as_str());
    match req.app_data::<web::Data<TrustedProxies>>() {
        Some(trusted) => Some(trusted.client(peer, forwarded)),
        None => Some(canonical(peer)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn forwarded_for_is_ignored_from_an_untrusted_peer() {
        let trusted = TrustedProxies::parse("10.0.0.1").unwrap();
        assert_eq!(
            trusted.client(ip("203.0.113.9"), Some("198.51.100.7")),
            ip("203.0.113.9")
        );
        let nobody = TrustedProxies::default();
        assert_eq!(
            nobody.client(ip("10.0.0.1"), Some("1.2.3.4")),
            ip("10.0.0.1")
        );
    }

    #[test]
    fn a_trusted_proxy_names_the_client_and_spoofed_left_entries_are_skipped() {
        let trusted = TrustedProxies::parse("10.0.0.1, 10.0.0.2").unwrap();
        assert_eq!(
            trusted.client(ip("10.0.0.1"), Some("6.6.6.6, 198.51.100.7, 10.0.0.2")),
            ip("198.51.100.7")
        );
        assert_eq!(trusted.client(ip("10.0.0.1"), None), ip("10.0.0.1"));
        assert_eq!(
            trusted.client(ip("10.0.0.1"), Some("garbage, 198.51.100.7")),
            ip("198.51.100.7")
        );
    }

    #[test]
    fn ipv4_mapped_addresses_count_as_ipv4() {
        let trusted = TrustedProxies::parse("127.0.0.1").unwrap();
        assert_eq!(
            trusted.client(ip("::ffff:127.0.0.1"), Some("192.0.2.5")),
            ip("192.0.2.5")
        );
    }

    #[test]
    fn a_bad_proxy_entry_is_an_error() {
        assert!(TrustedProxies::parse("10.0.0.1, proxy.example").is_err());
        assert_eq!(
            TrustedProxies::parse(" ").unwrap(),
            TrustedProxies::default()
        );
    }
}
