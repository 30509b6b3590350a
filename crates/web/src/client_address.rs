//! Who the client is when itas sits behind reverse proxies. Each proxy
//! appends the address it received the request from to `X-Forwarded-For`
//! (or a `for=` element to `Forwarded`), so only the entries on the right,
//! written by proxies we run, can be believed; everything to their left is
//! whatever the client chose to send. The client is therefore the rightmost
//! entry that is not one of our proxies, never the leftmost.

use axum::http::HeaderMap;
use std::net::{IpAddr, SocketAddr};
use std::str::FromStr;

/// A network in CIDR form (`10.0.0.0/8`, `127.0.0.1`, `fd00::/8`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Network {
    addr: IpAddr,
    prefix: u8,
}

impl FromStr for Network {
    type Err = String;

    fn from_str(s: &str) -> Result<Network, String> {
        let s = s.trim();
        let (addr, prefix) = match s.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (s, None),
        };
        let addr: IpAddr = addr
            .parse()
            .map_err(|_| format!("'{s}' is not an address or network (CIDR)"))?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            Some(p) => p
                .parse::<u8>()
                .ok()
                .filter(|p| *p <= max)
                .ok_or_else(|| format!("'{s}': the prefix length must be 0 to {max}"))?,
            None => max,
        };
        Ok(Network { addr, prefix })
    }
}

impl Network {
    pub fn contains(&self, ip: IpAddr) -> bool {
        // An IPv4 client seen through an IPv6 socket is the same client.
        let ip = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
            v4 => v4,
        };
        match (self.addr, ip) {
            (IpAddr::V4(n), IpAddr::V4(a)) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                u32::from(n) & mask == u32::from(a) & mask
            }
            (IpAddr::V6(n), IpAddr::V6(a)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                u128::from(n) & mask == u128::from(a) & mask
            }
            _ => false,
        }
    }
}

/// Which proxies in front of itas are ours.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Proxies {
    /// None: the peer is the client (forwarding headers are ignored).
    #[default]
    None,
    /// One proxy, whatever its address: the entry it appended (the rightmost)
    /// is the client (`--trust-proxy`).
    OneHop,
    /// Proxies on these networks (`--trusted-proxies`): the rightmost entry
    /// outside them is the client. A peer outside them is the client itself.
    Networks(Vec<Network>),
}

impl Proxies {
    /// Parses `--trusted-proxies` ("10.0.0.0/8,127.0.0.1").
    pub fn networks(list: &str) -> Result<Proxies, String> {
        let nets = list
            .split(',')
            .filter(|s| !s.trim().is_empty())
            .map(Network::from_str)
            .collect::<Result<Vec<_>, _>>()?;
        if nets.is_empty() {
            return Err("--trusted-proxies names no network".into());
        }
        Ok(Proxies::Networks(nets))
    }

    fn trusts(&self, ip: IpAddr) -> bool {
        match self {
            Proxies::None => false,
            Proxies::OneHop => true,
            Proxies::Networks(nets) => nets.iter().any(|n| n.contains(ip)),
        }
    }
}

/// The address chain the proxies wrote, leftmost (claimed by the client)
/// first: the `for=` elements of `Forwarded` when there is one, else
/// `X-Forwarded-For`; several header lines are read in order, as one list.
fn forwarded_chain(headers: &HeaderMap) -> Vec<String> {
    let lines = |name: &str| -> Vec<String> {
        headers
            .get_all(name)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .collect()
    };
    let forwarded: Vec<String> = lines("forwarded")
        .iter()
        .filter_map(|element| {
            element.split(';').find_map(|pair| {
                let (k, v) = pair.split_once('=')?;
                k.trim()
                    .eq_ignore_ascii_case("for")
                    .then(|| v.trim().trim_matches('"').to_string())
            })
        })
        .collect();
    if !forwarded.is_empty() {
        return forwarded;
    }
    lines("x-forwarded-for")
}

/// An address as proxies write it: `1.2.3.4`, `1.2.3.4:5678`, `::1`,
/// `[2001:db8::1]:4711`. None for `unknown`, `_hidden` and the like.
fn parse_hop(s: &str) -> Option<IpAddr> {
    if let Ok(ip) = s.parse::<IpAddr>() {
        return Some(ip);
    }
    if let Ok(sa) = s.parse::<SocketAddr>() {
        return Some(sa.ip());
    }
    s.strip_prefix('[')
        .and_then(|r| r.split_once(']'))
        .and_then(|(ip, _)| ip.parse().ok())
}

/// The client's address: the peer, or behind trusted proxies the rightmost
/// forwarded address that is not one of them.
pub fn client_ip(proxies: &Proxies, headers: &HeaderMap, peer: Option<SocketAddr>) -> String {
    let peer_ip = peer.map(|p| p.ip());
    let shown = |ip: IpAddr| match ip {
        IpAddr::V6(v6) => v6
            .to_ipv4_mapped()
            .map_or_else(|| ip.to_string(), |v4| v4.to_string()),
        v4 => v4.to_string(),
    };
    let direct = || peer_ip.map_or_else(|| "unknown".into(), shown);
    if *proxies == Proxies::None || peer_ip.is_some_and(|p| !proxies.trusts(p)) {
        return direct();
    }
    let chain = forwarded_chain(headers);
    if *proxies == Proxies::OneHop {
        return chain
            .last()
            .and_then(|h| parse_hop(h))
            .map_or_else(direct, shown);
    }
    let mut client = peer_ip;
    for hop in chain.iter().rev() {
        match parse_hop(hop) {
            Some(ip) => {
                client = Some(ip);
                if !proxies.trusts(ip) {
                    break;
                }
            }
            // An entry no proxy of ours writes: what lies left of it is the
            // client's own claim, so the last address read stands.
            None => break,
        }
    }
    client.map_or_else(direct, shown)
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(*k, HeaderValue::from_str(v).unwrap());
        }
        h
    }

    fn peer(s: &str) -> Option<SocketAddr> {
        Some(SocketAddr::new(s.parse().unwrap(), 40000))
    }

    #[test]
    fn networks_parse_and_contain() {
        let n: Network = "10.0.0.0/8".parse().unwrap();
        assert!(n.contains("10.200.3.4".parse().unwrap()));
        assert!(!n.contains("11.0.0.1".parse().unwrap()));
        assert!(n.contains("::ffff:10.1.2.3".parse().unwrap()), "v4-mapped");
        let one: Network = "127.0.0.1".parse().unwrap();
        assert!(one.contains("127.0.0.1".parse().unwrap()));
        assert!(!one.contains("127.0.0.2".parse().unwrap()));
        let v6: Network = "fd00::/8".parse().unwrap();
        assert!(v6.contains("fd12::1".parse().unwrap()));
        assert!(!v6.contains("10.0.0.1".parse().unwrap()));
        let all: Network = "0.0.0.0/0".parse().unwrap();
        assert!(all.contains("203.0.113.9".parse().unwrap()));
        for bad in ["10.0.0.0/33", "ten", "::/129", "1.2.3.4/x"] {
            assert!(bad.parse::<Network>().is_err(), "{bad}");
        }
        assert!(Proxies::networks(" , ").is_err());
    }

    #[test]
    fn without_trusted_proxies_the_peer_is_the_client() {
        let h = headers(&[("x-forwarded-for", "203.0.113.7")]);
        assert_eq!(
            client_ip(&Proxies::None, &h, peer("192.0.2.1")),
            "192.0.2.1"
        );
    }

    #[test]
    fn one_hop_takes_what_the_proxy_appended_never_what_the_client_wrote() {
        // The client sent "1.1.1.1, 2.2.2.2"; nginx appended 198.51.100.4.
        let h = headers(&[("x-forwarded-for", "1.1.1.1, 2.2.2.2, 198.51.100.4")]);
        assert_eq!(
            client_ip(&Proxies::OneHop, &h, peer("127.0.0.1")),
            "198.51.100.4"
        );
        // Two header lines are one list.
        let h = headers(&[
            ("x-forwarded-for", "1.1.1.1"),
            ("x-forwarded-for", "198.51.100.4"),
        ]);
        assert_eq!(
            client_ip(&Proxies::OneHop, &h, peer("127.0.0.1")),
            "198.51.100.4"
        );
        // No header: the peer.
        assert_eq!(
            client_ip(&Proxies::OneHop, &HeaderMap::new(), peer("127.0.0.1")),
            "127.0.0.1"
        );
    }

    #[test]
    fn trusted_networks_are_walked_from_the_right() {
        let p = Proxies::networks("10.0.0.0/8, 127.0.0.1").unwrap();
        let h = headers(&[("x-forwarded-for", "6.6.6.6, 198.51.100.4, 10.1.1.1")]);
        assert_eq!(client_ip(&p, &h, peer("127.0.0.1")), "198.51.100.4");
        // A peer that is not a proxy of ours is the client, whatever it says.
        assert_eq!(client_ip(&p, &h, peer("203.0.113.5")), "203.0.113.5");
        // Every hop ours: the leftmost is as far as the chain goes.
        let h = headers(&[("x-forwarded-for", "10.9.9.9, 10.1.1.1")]);
        assert_eq!(client_ip(&p, &h, peer("127.0.0.1")), "10.9.9.9");
        // Garbage to the left of a real hop is never reached.
        let h = headers(&[("x-forwarded-for", "not-an-ip, 198.51.100.4")]);
        assert_eq!(client_ip(&p, &h, peer("127.0.0.1")), "198.51.100.4");
    }

    #[test]
    fn forwarded_is_read_with_ports_quotes_and_ipv6() {
        let p = Proxies::networks("10.0.0.0/8").unwrap();
        let h = headers(&[(
            "forwarded",
            r#"for=6.6.6.6, for="[2001:db8::1]:4711";proto=https, for=10.0.0.2:80"#,
        )]);
        assert_eq!(client_ip(&p, &h, peer("10.0.0.1")), "2001:db8::1");
        // Forwarded wins over X-Forwarded-For when both are there.
        let h = headers(&[
            ("forwarded", "for=198.51.100.4"),
            ("x-forwarded-for", "6.6.6.6"),
        ]);
        assert_eq!(
            client_ip(&Proxies::OneHop, &h, peer("10.0.0.1")),
            "198.51.100.4"
        );
        // An obfuscated identifier stops the walk at the hop before it.
        let h = headers(&[("forwarded", "for=6.6.6.6, for=_hidden")]);
        assert_eq!(client_ip(&p, &h, peer("10.0.0.1")), "10.0.0.1");
    }
}
