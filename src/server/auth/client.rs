//! Who is on the other end: the socket peer, or, when the peer is one of
//! `DATATRAIN_TRUSTED_PROXIES`, the client that proxy names in `X-Forwarded-For`.

use std::net::IpAddr;

use axum::http::HeaderMap;
use ipnet::IpNet;

/// The client address of a request. `X-Forwarded-For` is read only when the
/// socket peer is a trusted proxy; then the rightmost address that is not itself
/// a trusted proxy is the client (the ones left of it could be made up).
pub fn client_ip(peer: IpAddr, headers: &HeaderMap, trusted: &[IpNet]) -> IpAddr {
    let peer = canonical(peer);
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|net| net.contains(ip));
    if !is_trusted(&peer) {
        return peer;
    }
    let forwarded: Vec<IpAddr> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|s| s.trim().parse::<IpAddr>().ok())
        .map(canonical)
        .collect();
    forwarded
        .iter()
        .rev()
        .find(|ip| !is_trusted(ip))
        .or(forwarded.first())
        .copied()
        .unwrap_or(peer)
}

/// IPv4-mapped IPv6 addresses (`::ffff:1.2.3.4`) as plain IPv4.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(ip),
        v4 => v4,
    }
}

/// Parses `DATATRAIN_TRUSTED_PROXIES`: a comma list of IP addresses and CIDRs.
pub fn parse_trusted_proxies(list: &str) -> Result<Vec<IpNet>, String> {
    list.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| {
            s.parse::<IpNet>()
                .or_else(|_| s.parse::<IpAddr>().map(IpNet::from))
                .map_err(|_| format!("{s:?} is not an IP address or CIDR"))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(xff: &[&str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for v in xff {
            h.append("x-forwarded-for", v.parse().unwrap());
        }
        h
    }

    #[test]
    fn forwarded_for_only_from_trusted_proxies() {
        let proxies = parse_trusted_proxies("10.0.0.0/8, 127.0.0.1").unwrap();
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        // Not a proxy: its header is ignored.
        assert_eq!(
            client_ip(ip("203.0.113.9"), &headers(&["1.2.3.4"]), &proxies),
            ip("203.0.113.9")
        );
        // A proxy: the rightmost untrusted address.
        assert_eq!(
            client_ip(
                ip("127.0.0.1"),
                &headers(&["6.6.6.6, 1.2.3.4, 10.1.1.1"]),
                &proxies
            ),
            ip("1.2.3.4")
        );
        assert_eq!(
            client_ip(ip("10.0.0.2"), &headers(&["6.6.6.6", "1.2.3.4"]), &proxies),
            ip("1.2.3.4")
        );
        // A proxy without the header, or with garbage: the peer.
        assert_eq!(
            client_ip(ip("127.0.0.1"), &headers(&[]), &proxies),
            ip("127.0.0.1")
        );
        assert_eq!(
            client_ip(ip("127.0.0.1"), &headers(&["nonsense"]), &proxies),
            ip("127.0.0.1")
        );
        // No proxies configured: always the peer; mapped addresses are IPv4.
        assert_eq!(
            client_ip(ip("::ffff:127.0.0.1"), &headers(&["1.2.3.4"]), &[]),
            ip("127.0.0.1")
        );
        assert!(parse_trusted_proxies("10.0.0.0/8,nope").is_err());
        assert!(parse_trusted_proxies("").unwrap().is_empty());
        assert_eq!(parse_trusted_proxies("::1, fd00::/8").unwrap().len(), 2);
    }
}
