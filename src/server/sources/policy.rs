//! Which network sources may be opened (against SSRF).
//!
//! - `DATATRAIN_SOURCE_ALLOW` / `DATATRAIN_SOURCE_DENY`: comma lists of host
//!   names (`db.example.com`), `*.domain` patterns (subdomains only,
//!   case-insensitive) and CIDRs or plain IPs (`10.0.0.0/8`, `::1/128`,
//!   `192.0.2.7`), each with an optional `:port` (`[v6]:port` for IPv6). Deny
//!   wins; with no allow list every host is allowed.
//! - Always refused: datatrain's own PostgreSQL metadata database (same host
//!   after DNS resolution, loopback aliases counting as one host, same port and
//!   database name), unix-socket hosts, and every connection parameter but a
//!   short list that cannot redirect nor reconfigure the session
//!   ([`ALLOWED_PG_PARAMS`], [`ALLOWED_MYSQL_PARAMS`]).
//!
//! The check runs on every connect, after DNS resolution: every resolved address
//! (and the name) is checked, and the driver connects to a checked address
//! ([`Resolved::pin`]), so DNS rebinding cannot switch the target afterwards.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::{CONNECT_TIMEOUT, SourceError, SourceKind, SourceUrl};

/// Connection parameters a PostgreSQL source URL may carry (all others are refused):
/// `sslmode` (no file paths: `sslrootcert`/`sslcert`/`sslkey` read server files),
/// `connect_timeout` and `application_name` (harmless; datatrain sets its own name).
pub const ALLOWED_PG_PARAMS: &[&str] =
    &["sslmode", "ssl-mode", "connect_timeout", "application_name"];
/// Connection parameters a MySQL/MariaDB source URL may carry: `ssl-mode`/`sslmode`,
/// `connect_timeout` and `charset` (the connection character set; results stay the
/// same). `socket`, `timezone`, `collation`, `ssl-ca`, … are refused.
pub const ALLOWED_MYSQL_PARAMS: &[&str] = &["ssl-mode", "sslmode", "connect_timeout", "charset"];

/// One entry of an allow or deny list.
#[derive(Clone, PartialEq, Eq)]
pub struct HostRule {
    pattern: Pattern,
    port: Option<u16>,
}

#[derive(Clone, PartialEq, Eq)]
enum Pattern {
    /// A host name, lowercased, without a trailing dot.
    Host(String),
    /// `*.example.com` as `.example.com`.
    Suffix(String),
    /// An address block (a plain IP is a /32 or /128).
    Net(IpAddr, u8),
}

impl fmt::Debug for HostRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_string())
    }
}

impl fmt::Display for HostRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let host = match &self.pattern {
            Pattern::Host(h) => h.clone(),
            Pattern::Suffix(s) => format!("*{s}"),
            Pattern::Net(a, p) => format!("{a}/{p}"),
        };
        match (self.port, &self.pattern) {
            (Some(port), Pattern::Net(IpAddr::V6(_), _)) => write!(f, "[{host}]:{port}"),
            (Some(port), _) => write!(f, "{host}:{port}"),
            (None, _) => f.write_str(&host),
        }
    }
}

impl HostRule {
    /// Parses one entry: `host`, `*.domain`, `a.b.c.d[/n]`, `v6[/n]`, each with an
    /// optional `:port` (`[v6[/n]]:port`).
    pub fn parse(entry: &str) -> Result<HostRule, String> {
        let e = entry.trim();
        let bad = |why: &str| format!("{e:?}: {why}");
        if e.is_empty() {
            return Err(bad("empty entry"));
        }
        let (host, port) = if let Some(v6) = e.strip_prefix('[') {
            let end = v6.find(']').ok_or_else(|| bad("missing ]"))?;
            let rest = &v6[end + 1..];
            let port = match rest.strip_prefix(':') {
                Some(p) => Some(p),
                None if rest.is_empty() => None,
                None => return Err(bad("expected [address]:port")),
            };
            (&v6[..end], port)
        } else if e.matches(':').count() == 1 {
            let (h, p) = e.split_once(':').expect("one colon");
            (h, Some(p))
        } else {
            (e, None)
        };
        let port = match port {
            None => None,
            Some(p) => Some(
                p.parse::<u16>()
                    .ok()
                    .filter(|p| *p > 0)
                    .ok_or_else(|| bad("the port must be a number from 1 to 65535"))?,
            ),
        };
        let pattern = if let Some((addr, len)) = host.split_once('/') {
            let addr: IpAddr = addr
                .parse()
                .map_err(|_| bad("expected an IP address before /"))?;
            let addr = canonical_ip(addr);
            let max = if addr.is_ipv4() { 32 } else { 128 };
            let len: u8 = len
                .parse()
                .ok()
                .filter(|l| *l <= max)
                .ok_or_else(|| bad("the prefix length is out of range"))?;
            Pattern::Net(mask(addr, len), len)
        } else if let Ok(addr) = host.parse::<IpAddr>() {
            let addr = canonical_ip(addr);
            Pattern::Net(addr, if addr.is_ipv4() { 32 } else { 128 })
        } else if let Some(domain) = host.strip_prefix("*.") {
            let d = normalize_name(domain);
            if !valid_name(&d) {
                return Err(bad("expected *.domain"));
            }
            Pattern::Suffix(format!(".{d}"))
        } else {
            let h = normalize_name(host);
            if !valid_name(&h) {
                return Err(bad(
                    "expected a host name, *.domain, an IP address or a CIDR, with an optional :port",
                ));
            }
            Pattern::Host(h)
        };
        Ok(HostRule { pattern, port })
    }

    /// Parses a comma list (empty entries are skipped).
    pub fn parse_list(list: &str) -> Result<Vec<HostRule>, String> {
        list.split(',')
            .filter(|e| !e.trim().is_empty())
            .map(HostRule::parse)
            .collect()
    }

    /// Whether the rule matches `name` (lowercased) or `addr`, on `port`.
    fn matches(&self, name: &str, addr: Option<IpAddr>, port: u16) -> bool {
        if self.port.is_some_and(|p| p != port) {
            return false;
        }
        match &self.pattern {
            Pattern::Host(h) => h == name,
            Pattern::Suffix(s) => name.ends_with(s.as_str()),
            Pattern::Net(net, len) => {
                let addr = addr.or_else(|| name.parse().ok()).map(canonical_ip);
                addr.is_some_and(|a| in_net(a, *net, *len))
            }
        }
    }

    fn is_name_rule(&self) -> bool {
        !matches!(self.pattern, Pattern::Net(..))
    }
}

/// The metadata store's own PostgreSQL database.
#[derive(Debug, Clone, PartialEq, Eq)]
struct OwnDatabase {
    host: String,
    port: u16,
    database: String,
}

/// Where sources may point; see the module documentation.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SourcePolicy {
    allow: Vec<HostRule>,
    deny: Vec<HostRule>,
    own: Option<OwnDatabase>,
}

/// The checked address to connect to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Resolved {
    /// The first resolved (and checked) address.
    pub addr: IpAddr,
    /// The TLS mode verifies the server's host name: the driver must connect by name.
    pub keep_name: bool,
}

impl Resolved {
    /// The host the driver must connect to instead of the URL's name, if any.
    pub fn pin(&self) -> Option<String> {
        (!self.keep_name).then(|| self.addr.to_string())
    }
}

impl SourcePolicy {
    pub fn new(allow: Vec<HostRule>, deny: Vec<HostRule>) -> SourcePolicy {
        SourcePolicy {
            allow,
            deny,
            own: None,
        }
    }

    /// Builds the policy from the two comma lists (`None` or empty: no list).
    pub fn from_lists(allow: Option<&str>, deny: Option<&str>) -> Result<SourcePolicy, String> {
        Ok(SourcePolicy::new(
            HostRule::parse_list(allow.unwrap_or(""))?,
            HostRule::parse_list(deny.unwrap_or(""))?,
        ))
    }

    /// Refuses datatrain's own metadata database as a source when
    /// `database_url` is a PostgreSQL URL (a SQLite store is kept out by the
    /// sources folder's `forbidden` files).
    pub fn with_own_database(mut self, database_url: &str) -> SourcePolicy {
        self.own = ::url::Url::parse(database_url.trim())
            .ok()
            .filter(|u| matches!(u.scheme(), "postgres" | "postgresql"))
            .and_then(|u| {
                Some(OwnDatabase {
                    host: normalize_name(u.host_str()?),
                    port: u.port().unwrap_or(5432),
                    database: decode(u.path().trim_start_matches('/')),
                })
            });
        self
    }

    pub fn allow_list(&self) -> &[HostRule] {
        &self.allow
    }

    pub fn deny_list(&self) -> &[HostRule] {
        &self.deny
    }

    /// The checks that need no DNS: unix sockets, connection parameters, and the
    /// lists against the host name (and the host itself when it is an IP).
    pub fn check_url(&self, url: &SourceUrl) -> Result<(), SourceError> {
        let Some(u) = url.connect_url() else {
            return Ok(());
        };
        let raw_host = u.host_str().unwrap_or("");
        if raw_host.starts_with('/') || raw_host.to_ascii_lowercase().starts_with("%2f") {
            return Err(refused("unix-socket hosts are not allowed"));
        }
        let allowed = match url.kind() {
            SourceKind::Postgres => ALLOWED_PG_PARAMS,
            _ => ALLOWED_MYSQL_PARAMS,
        };
        for (key, _) in u.query_pairs() {
            let k = key.to_ascii_lowercase();
            if k.contains("password") || k == "pwd" {
                return Err(refused(
                    "source_url must give the password as user:password@host, not as a query parameter",
                ));
            }
            if !allowed.contains(&k.as_str()) {
                let what = match k.as_str() {
                    "host" | "hostaddr" | "socket" => " (it would redirect the connection)",
                    _ => "",
                };
                return Err(refused(&format!(
                    "the connection parameter {key:?} is not allowed{what}; allowed: {}",
                    allowed.join(", ")
                )));
            }
        }
        let (name, port) = host_port(url);
        self.check_address(&name, None, port)
    }

    /// Every check, DNS included: resolves the host, checks every address and
    /// the own-database rule, and returns the address to connect to (`None` for
    /// SQLite sources).
    pub async fn resolve(&self, url: &SourceUrl) -> Result<Option<Resolved>, SourceError> {
        if url.connect_url().is_none() {
            return Ok(None);
        }
        self.check_url(url)?;
        let (name, port) = host_port(url);
        let addrs = lookup(&name, port).await.ok_or_else(|| {
            SourceError::Connect(format!("cannot resolve the host ({name}:{port})"))
        })?;
        self.check_resolved(url, &name, port, &addrs).await?;
        Ok(Some(Resolved {
            addr: addrs[0],
            keep_name: verifies_host_name(url),
        }))
    }

    /// The checks for a URL a user gives (creating or changing a dataset): those
    /// of [`SourcePolicy::resolve`], except that a host that does not resolve
    /// now is let through (it is checked again on every connect).
    pub async fn check_given(&self, url: &SourceUrl) -> Result<(), SourceError> {
        if url.connect_url().is_none() {
            return Ok(());
        }
        self.check_url(url)?;
        let (name, port) = host_port(url);
        match lookup(&name, port).await {
            Some(addrs) => self.check_resolved(url, &name, port, &addrs).await,
            None => Ok(()),
        }
    }

    async fn check_resolved(
        &self,
        url: &SourceUrl,
        name: &str,
        port: u16,
        addrs: &[IpAddr],
    ) -> Result<(), SourceError> {
        for &a in addrs {
            self.check_address(name, Some(a), port)?;
        }
        if let Some(own) = &self.own
            && own.port == port
            && own.database == database(url)
        {
            let own_addrs = lookup(&own.host, own.port).await.unwrap_or_default();
            let own_loopback = (!own_addrs.is_empty() && own_addrs.iter().all(|a| a.is_loopback()))
                || own.host == "localhost";
            let same = own.host == name
                || addrs.iter().any(|a| own_addrs.contains(a))
                || (own_loopback && addrs.iter().all(|a| a.is_loopback()));
            if same {
                return Err(refused(
                    "datatrain's own database cannot be used as a source",
                ));
            }
        }
        Ok(())
    }

    /// Deny wins; then, with an allow list, the name or the address must be on it.
    /// The same lists for another outbound host (webhooks): `Ok(None)` when
    /// the name does not resolve now and `resolve` is false, else the checked
    /// address to connect to (every resolved address is checked).
    pub async fn check_host(
        &self,
        name: &str,
        port: u16,
        resolve: bool,
    ) -> Result<Option<IpAddr>, SourceError> {
        self.check_address(name, None, port)?;
        let Some(addrs) = lookup(name, port).await else {
            return if resolve {
                Err(SourceError::Connect(format!(
                    "cannot resolve the host ({name}:{port})"
                )))
            } else {
                Ok(None)
            };
        };
        for &a in &addrs {
            self.check_address(name, Some(a), port)?;
        }
        Ok(Some(addrs[0]))
    }

    fn check_address(
        &self,
        name: &str,
        addr: Option<IpAddr>,
        port: u16,
    ) -> Result<(), SourceError> {
        let shown = match addr {
            Some(a) if a.to_string() != name => format!("{name}:{port} ({a})"),
            _ => format!("{name}:{port}"),
        };
        if self.deny.iter().any(|r| {
            r.matches(name, None, port) || addr.is_some_and(|a| r.matches(name, Some(a), port))
        }) {
            return Err(refused(&format!(
                "{shown} is denied by DATATRAIN_SOURCE_DENY"
            )));
        }
        if self.allow.is_empty() {
            return Ok(());
        }
        let by_name = self
            .allow
            .iter()
            .any(|r| r.is_name_rule() && r.matches(name, None, port));
        let by_addr = self.allow.iter().any(|r| r.matches(name, addr, port));
        // Before DNS (addr None), a name that only an address rule could allow waits for resolution.
        let undecided = addr.is_none()
            && name.parse::<IpAddr>().is_err()
            && self.allow.iter().any(|r| !r.is_name_rule());
        if by_name || by_addr || undecided {
            Ok(())
        } else {
            Err(refused(&format!(
                "{shown} is not in DATATRAIN_SOURCE_ALLOW"
            )))
        }
    }
}

fn refused(msg: &str) -> SourceError {
    SourceError::Refused(msg.to_string())
}

/// The URL's host (lowercased, without brackets or a trailing dot) and port
/// (the default one when none is given).
fn host_port(url: &SourceUrl) -> (String, u16) {
    let u = url.connect_url().expect("a network URL");
    let host = u
        .host_str()
        .unwrap_or("")
        .trim_start_matches('[')
        .trim_end_matches(']');
    let default = match url.kind() {
        SourceKind::Postgres => 5432,
        _ => 3306,
    };
    (normalize_name(host), u.port().unwrap_or(default))
}

fn database(url: &SourceUrl) -> String {
    url.connect_url()
        .map(|u| decode(u.path().trim_start_matches('/')))
        .unwrap_or_default()
}

/// Whether the URL's TLS mode checks the server's host name (then the driver
/// must connect by name, and rebinding is prevented by the certificate check).
fn verifies_host_name(url: &SourceUrl) -> bool {
    let Some(u) = url.connect_url() else {
        return false;
    };
    u.query_pairs().any(|(k, v)| {
        matches!(k.to_ascii_lowercase().as_str(), "sslmode" | "ssl-mode")
            && matches!(
                v.to_ascii_lowercase().as_str(),
                "verify-full" | "verify_identity"
            )
    })
}

async fn lookup(host: &str, port: u16) -> Option<Vec<IpAddr>> {
    if let Ok(ip) = host.parse::<IpAddr>() {
        return Some(vec![canonical_ip(ip)]);
    }
    let found = tokio::time::timeout(CONNECT_TIMEOUT, tokio::net::lookup_host((host, port)))
        .await
        .ok()?
        .ok()?;
    let mut addrs: Vec<IpAddr> = Vec::new();
    for a in found {
        let ip = canonical_ip(a.ip());
        if !addrs.contains(&ip) {
            addrs.push(ip);
        }
    }
    (!addrs.is_empty()).then_some(addrs)
}

fn decode(s: &str) -> String {
    percent_encoding::percent_decode_str(s)
        .decode_utf8_lossy()
        .into_owned()
}

fn normalize_name(h: &str) -> String {
    h.trim().trim_end_matches('.').to_ascii_lowercase()
}

fn valid_name(h: &str) -> bool {
    !h.is_empty()
        && h.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
}

/// IPv4-mapped IPv6 addresses (`::ffff:10.0.0.1`) as IPv4.
fn canonical_ip(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6(v6),
        },
        v4 => v4,
    }
}

fn mask(ip: IpAddr, len: u8) -> IpAddr {
    match ip {
        IpAddr::V4(a) => {
            let bits = u32::from(a);
            let m = if len == 0 {
                0
            } else {
                u32::MAX << (32 - u32::from(len))
            };
            IpAddr::V4(Ipv4Addr::from(bits & m))
        }
        IpAddr::V6(a) => {
            let bits = u128::from(a);
            let m = if len == 0 {
                0
            } else {
                u128::MAX << (128 - u32::from(len))
            };
            IpAddr::V6(Ipv6Addr::from(bits & m))
        }
    }
}

fn in_net(addr: IpAddr, net: IpAddr, len: u8) -> bool {
    addr.is_ipv4() == net.is_ipv4() && mask(addr, len) == net
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules(s: &str) -> Vec<HostRule> {
        HostRule::parse_list(s).unwrap()
    }

    fn policy(allow: &str, deny: &str) -> SourcePolicy {
        SourcePolicy::from_lists(Some(allow), Some(deny)).unwrap()
    }

    fn ip(s: &str) -> Option<IpAddr> {
        Some(s.parse().unwrap())
    }

    fn ok(p: &SourcePolicy, name: &str, addr: Option<IpAddr>, port: u16) -> bool {
        p.check_address(name, addr, port).is_ok()
    }

    #[test]
    fn parsing_entries() {
        let r = rules(
            " db.Example.com , *.corp.example.ORG:5432, 10.0.0.0/8, 192.0.2.7:3306, ::1/128, [fd00::/8]:5432, [::1]:3306, 2001:db8::1 ,, ",
        );
        let shown: Vec<String> = r.iter().map(|r| r.to_string()).collect();
        assert_eq!(
            shown,
            [
                "db.example.com",
                "*.corp.example.org:5432",
                "10.0.0.0/8",
                "192.0.2.7/32:3306",
                "::1/128",
                "[fd00::/8]:5432",
                "[::1/128]:3306",
                "2001:db8::1/128"
            ]
        );
        // A CIDR is normalized to its network.
        assert_eq!(rules("10.1.2.3/8")[0].to_string(), "10.0.0.0/8");
        for bad in [
            "db example.com",
            "10.0.0.0/33",
            "::1/129",
            "x/8",
            "host:notaport",
            "host:0",
            "host:70000",
            "[::1",
            "[::1]x",
            "*.",
            "*",
            "a:b:c/x",
            "ho$t",
        ] {
            assert!(HostRule::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn hosts_wildcards_and_ports() {
        let p = policy("db.example.com, *.corp.example.org:5432", "");
        assert!(ok(&p, "db.example.com", None, 5432));
        assert!(ok(&p, "db.example.com", None, 3306));
        assert!(!ok(&p, "other.example.com", None, 5432));
        assert!(!ok(&p, "xdb.example.com", None, 5432));
        assert!(ok(&p, "a.corp.example.org", None, 5432));
        assert!(ok(&p, "a.b.corp.example.org", ip("203.0.113.9"), 5432));
        assert!(!ok(&p, "a.corp.example.org", None, 3306), "wrong port");
        assert!(!ok(&p, "corp.example.org", None, 5432), "subdomains only");
        assert!(!ok(&p, "evilcorp.example.org", None, 5432));
    }

    #[test]
    fn cidrs_v4_and_v6() {
        let p = policy("10.0.0.0/8, [fd00::/8]:5432, 192.0.2.7", "");
        assert!(ok(&p, "10.1.2.3", None, 5432));
        assert!(ok(&p, "db.internal", ip("10.200.0.1"), 3306));
        assert!(!ok(&p, "db.internal", ip("11.0.0.1"), 3306));
        assert!(ok(&p, "fd12::1", None, 5432));
        assert!(!ok(&p, "fd12::1", None, 5433));
        assert!(!ok(&p, "fe80::1", None, 5432));
        assert!(ok(&p, "192.0.2.7", None, 1));
        assert!(!ok(&p, "192.0.2.8", None, 1));
        // IPv4-mapped IPv6 is its IPv4 address.
        assert!(ok(&p, "x", ip("::ffff:10.9.9.9"), 5432));
        // A name with only address rules waits for DNS before being refused.
        assert!(ok(&p, "db.internal", None, 5432));
    }

    #[test]
    fn deny_wins_and_empty_allow_is_everything() {
        let p = policy("", "");
        assert!(ok(&p, "anything.example", ip("8.8.8.8"), 1));
        let p = policy("", "127.0.0.1:3306, *.internal, ::1/128");
        assert!(!ok(&p, "127.0.0.1", None, 3306));
        assert!(!ok(&p, "localhost", ip("127.0.0.1"), 3306));
        assert!(ok(&p, "127.0.0.1", None, 5432));
        assert!(!ok(&p, "db.internal", ip("10.0.0.1"), 5432));
        assert!(!ok(&p, "ip6-localhost", ip("::1"), 5432));
        assert!(!ok(&p, "x", ip("::ffff:127.0.0.1"), 3306));
        let p = policy("127.0.0.0/8", "127.0.0.1:3306");
        assert!(!ok(&p, "127.0.0.1", None, 3306), "deny wins");
        assert!(ok(&p, "127.0.0.1", None, 5432));
        let msg = p
            .check_address("127.0.0.1", None, 3306)
            .unwrap_err()
            .to_string();
        assert!(msg.contains("DATATRAIN_SOURCE_DENY"), "{msg}");
        let msg = p
            .check_address("10.0.0.1", None, 1)
            .unwrap_err()
            .to_string();
        assert!(msg.contains("DATATRAIN_SOURCE_ALLOW"), "{msg}");
    }

    fn url(s: &str) -> SourceUrl {
        SourceUrl::parse(s, std::path::Path::new("/nonexistent"), &[]).unwrap()
    }

    #[test]
    fn parameters_and_sockets() {
        let p = SourcePolicy::default();
        for good in [
            "postgres://u@h/db?sslmode=disable&connect_timeout=3&application_name=x",
            "mysql://u@h/db?ssl-mode=DISABLED&charset=utf8mb4",
            "postgres://u:p%3Fw@h/db",
        ] {
            assert!(p.check_url(&url(good)).is_ok(), "{good}");
        }
        for (bad, named) in [
            (
                "postgres://u@h/db?options=-c%20search_path%3Dpg_catalog",
                "options",
            ),
            ("postgres://u@h/db?host=/var/run/postgresql", "host"),
            ("postgres://u@h/db?hostaddr=10.0.0.1", "hostaddr"),
            ("postgres://u@h/db?port=5433", "port"),
            ("postgres://u@h/db?dbname=postgres", "dbname"),
            ("postgres://u@h/db?user=postgres", "user"),
            ("postgres://u@h/db?service=x", "service"),
            ("postgres://u@h/db?passfile=/etc/x", "passfile"),
            ("postgres://u@h/db?sslrootcert=/etc/passwd", "sslrootcert"),
            ("mysql://u@h/db?socket=/run/mysqld/mysqld.sock", "socket"),
            ("mysql://u@h/db?timezone=%2B08:00", "timezone"),
            ("mysql://u@h/db?application_name=x", "application_name"),
        ] {
            let msg = p.check_url(&url(bad)).unwrap_err().to_string();
            assert!(msg.contains(&format!("{named:?}")), "{bad}: {msg}");
        }
        let msg = p
            .check_url(&url("postgres://u@h/db?password=x"))
            .unwrap_err()
            .to_string();
        assert!(msg.contains("user:password@host"), "{msg}");
        let msg = p
            .check_url(&url("postgres://u@%2Fvar%2Frun%2Fpostgresql/db"))
            .unwrap_err()
            .to_string();
        assert!(msg.contains("unix-socket"), "{msg}");
    }

    #[tokio::test]
    async fn own_database_is_refused_through_loopback_aliases() {
        let p =
            SourcePolicy::default().with_own_database("postgres://postgres@127.0.0.1:5432/dt_meta");
        for own in [
            "postgres://x:y@127.0.0.1/dt_meta",
            "postgres://x@localhost:5432/dt_meta",
            "postgres://x@127.0.0.2:5432/dt_meta",
            "postgresql://x@[::1]:5432/dt_m%65ta",
        ] {
            let msg = p.resolve(&url(own)).await.unwrap_err().to_string();
            assert!(msg.contains("own database"), "{own}: {msg}");
            assert!(p.check_given(&url(own)).await.is_err(), "{own}");
        }
        for other in [
            "postgres://x@127.0.0.1:5432/other",
            "postgres://x@127.0.0.1:5433/dt_meta",
        ] {
            assert!(p.resolve(&url(other)).await.is_ok(), "{other}");
        }
        let r = p
            .resolve(&url("postgres://x@localhost/other"))
            .await
            .unwrap()
            .unwrap();
        assert!(r.addr.is_loopback() && r.pin().is_some());
        let r = p
            .resolve(&url("postgres://x@localhost/other?sslmode=verify-full"))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(r.pin(), None);
        // A SQLite store has no own network database.
        let p = SourcePolicy::default().with_own_database("sqlite://data/datatrain.db");
        assert!(
            p.resolve(&url("postgres://x@127.0.0.1/dt_meta"))
                .await
                .is_ok()
        );
    }

    #[tokio::test]
    async fn resolution_checks_every_address() {
        let p = policy("", "127.0.0.0/8");
        let msg = p
            .resolve(&url("mysql://u@localhost/db"))
            .await
            .unwrap_err()
            .to_string();
        assert!(msg.contains("DATATRAIN_SOURCE_DENY"), "{msg}");
        // A name that does not resolve: refused to connect, let through when given.
        let u = url("mysql://u@no-such-host.invalid/db");
        assert!(matches!(p.resolve(&u).await, Err(SourceError::Connect(_))));
        assert!(p.check_given(&u).await.is_ok());
        let p = policy("10.0.0.0/8", "");
        let msg = p
            .resolve(&url("mysql://u@localhost/db"))
            .await
            .unwrap_err()
            .to_string();
        assert!(msg.contains("DATATRAIN_SOURCE_ALLOW"), "{msg}");
    }
}
