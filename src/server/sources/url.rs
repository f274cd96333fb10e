//! Parsing and checking the URL of a source database.
//!
//! A [`SourceUrl`] is only built by [`SourceUrl::parse`], which checks that a
//! SQLite file lies inside the sources folder and that a network URL names a
//! host and a database. Its `Debug` and [`SourceUrl::masked`] forms never show
//! the password.

use std::fmt;
use std::path::{Component, Path, PathBuf};

use super::Dialect;

/// The kind of database a source URL points to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SourceKind {
    Sqlite,
    Postgres,
    /// MySQL or MariaDB (`mysql://` and `mariadb://`).
    Mysql,
}

impl SourceKind {
    pub fn dialect(self) -> Dialect {
        match self {
            SourceKind::Sqlite => Dialect::Sqlite,
            SourceKind::Postgres => Dialect::Postgres,
            SourceKind::Mysql => Dialect::Mysql,
        }
    }
}

/// Why a source URL was refused. The message is meant for the user (it is
/// shown as the `detail` of an HTTP 422): it never contains a password nor a
/// server path outside the sources folder.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct SourceUrlError(pub String);

impl SourceUrlError {
    fn new(msg: impl Into<String>) -> Self {
        SourceUrlError(msg.into())
    }

    pub fn message(&self) -> &str {
        &self.0
    }
}

/// A checked source URL.
#[derive(Clone, PartialEq, Eq)]
pub struct SourceUrl {
    /// What the user gave, password included: only for storing; never log it.
    raw: String,
    kind: SourceKind,
    target: Target,
}

#[derive(Clone, PartialEq, Eq)]
enum Target {
    /// The canonical path of the SQLite file (inside the sources folder).
    Sqlite(PathBuf),
    Network(Box<Network>),
}

/// A network URL split into its parts (see [`split_network`]).
#[derive(Clone, PartialEq, Eq)]
struct Network {
    /// The canonical URL: scheme normalized to `postgres` or `mysql`, user and
    /// password percent-encoded (everything but unreserved characters), so that
    /// the drivers decode exactly [`Network::password`].
    url: ::url::Url,
    /// The scheme as given (`postgresql`, `MariaDB`, …), for the masked form.
    scheme: String,
    /// The decoded user name ("" when none).
    user: String,
    /// The decoded password, if any.
    password: Option<String>,
    /// The password exactly as written in the URL (maybe percent-encoded).
    password_raw: Option<String>,
    /// `host[:port]/db[?query]` as given (no user info).
    after_userinfo: String,
    /// The PostgreSQL schemas of `schemas=a,b` (taken out of [`Network::url`]).
    schemas: Option<Vec<String>>,
}

/// Every byte but the unreserved characters of RFC 3986 (`A-Z a-z 0-9 - . _ ~`).
const USERINFO_ENCODE: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

const SCHEME_HELP: &str = "source_url must start with sqlite://, postgres:// or mysql://";

impl SourceUrl {
    /// Parses and checks `s`.
    ///
    /// - `sqlite:///abs/path.db` or `sqlite://relative.db` (relative to `sources_dir`): the
    ///   file must exist, resolve (symlinks followed) inside `sources_dir`, and must not be one
    ///   of `forbidden` (datatrain's own database).
    /// - `postgres://` / `postgresql://`, `mysql://` / `mariadb://`: must have a host and a
    ///   database name. The user info ends at the rightmost `@` followed by a plausible
    ///   `host[:port]/dbname[?query]`, so a password may hold any character (`@`, `/`, `:`,
    ///   spaces, quotes…), percent-encoded or not.
    pub fn parse(
        s: &str,
        sources_dir: &Path,
        forbidden: &[PathBuf],
    ) -> Result<SourceUrl, SourceUrlError> {
        let s = s.trim();
        if s.is_empty() {
            return Err(SourceUrlError::new("source_url is required"));
        }
        let Some((scheme, rest)) = s.split_once("://") else {
            return Err(SourceUrlError::new(SCHEME_HELP));
        };
        let kind = scheme_kind(scheme).ok_or_else(|| SourceUrlError::new(SCHEME_HELP))?;
        let target = match kind {
            SourceKind::Sqlite => Target::Sqlite(check_sqlite_path(rest, sources_dir, forbidden)?),
            SourceKind::Postgres | SourceKind::Mysql => {
                let mut network = split_network(kind, scheme, rest)?;
                network.schemas = take_schemas(kind, &mut network.url)?;
                Target::Network(Box::new(network))
            }
        };
        if kind == SourceKind::Sqlite && has_schemas_param(rest.split_once('?').map(|q| q.1)) {
            return Err(SourceUrlError::new(SCHEMAS_ONLY_PG));
        }
        Ok(SourceUrl {
            raw: s.to_string(),
            kind,
            target,
        })
    }

    pub fn kind(&self) -> SourceKind {
        self.kind
    }

    pub fn dialect(&self) -> Dialect {
        self.kind.dialect()
    }

    /// The URL as given, password included (what is stored). Never log it;
    /// connect with [`SourceUrl::connect_url`].
    pub fn as_str(&self) -> &str {
        &self.raw
    }

    /// The URL with its password replaced by `***` (SQLite URLs are unchanged),
    /// rebuilt from the parsed parts: `scheme://user:***@host:port/db?query`.
    pub fn masked(&self) -> String {
        match &self.target {
            Target::Sqlite(_) => self.raw.clone(),
            Target::Network(n) => n.masked(),
        }
    }

    /// The canonical path of the SQLite file (SQLite URLs only).
    pub fn sqlite_path(&self) -> Option<&Path> {
        match &self.target {
            Target::Sqlite(p) => Some(p),
            Target::Network(_) => None,
        }
    }

    /// The URL the drivers connect with (network URLs only): scheme normalized
    /// to `postgres` or `mysql`, user and password percent-encoded so that the
    /// driver decodes exactly the password given.
    pub fn connect_url(&self) -> Option<&::url::Url> {
        match &self.target {
            Target::Network(n) => Some(&n.url),
            Target::Sqlite(_) => None,
        }
    }

    /// Same as [`SourceUrl::connect_url`].
    pub(crate) fn network_url(&self) -> Option<&::url::Url> {
        self.connect_url()
    }

    /// The schemas a PostgreSQL URL lists in `schemas=a,b` (checked, in the
    /// order given, duplicates dropped); `None` when it lists none: then every
    /// non-system schema the user can read is a source schema.
    pub fn schemas(&self) -> Option<&[String]> {
        match &self.target {
            Target::Network(n) => n.schemas.as_deref(),
            Target::Sqlite(_) => None,
        }
    }

    /// The decoded password of a network URL, if it has one.
    pub fn password(&self) -> Option<&str> {
        match &self.target {
            Target::Network(n) => n.password.as_deref(),
            Target::Sqlite(_) => None,
        }
    }

    /// Makes a message safe to show: removes the password (decoded, as written
    /// and in its encoded forms) and masks URL passwords.
    pub fn sanitize(&self, msg: &str) -> String {
        let mut out = msg.to_string();
        if let Target::Network(n) = &self.target {
            for secret in n.secret_forms() {
                out = out.replace(&secret, "***");
            }
        }
        mask_password(&out)
    }
}

impl Network {
    fn masked(&self) -> String {
        let user = percent_encoding::utf8_percent_encode(&self.user, USERINFO_ENCODE).to_string();
        let userinfo = match &self.password {
            Some(_) => format!("{user}:***@"),
            None if user.is_empty() => String::new(),
            None => format!("{user}@"),
        };
        format!("{}://{userinfo}{}", self.scheme, self.after_userinfo)
    }

    /// Every spelling of the password that may show up in a message, longest first.
    fn secret_forms(&self) -> Vec<String> {
        let Some(pw) = self.password.as_deref().filter(|p| !p.is_empty()) else {
            return Vec::new();
        };
        let mut forms = vec![
            pw.to_string(),
            percent_encoding::utf8_percent_encode(pw, USERINFO_ENCODE).to_string(),
            percent_encoding::utf8_percent_encode(pw, percent_encoding::NON_ALPHANUMERIC)
                .to_string(),
            ::url::form_urlencoded::byte_serialize(pw.as_bytes()).collect(),
        ];
        if let Some(raw) = &self.password_raw {
            forms.push(raw.clone());
        }
        if let Some(p) = self.url.password() {
            forms.push(p.to_string());
        }
        forms.retain(|f| !f.is_empty());
        forms.sort_by_key(|f| std::cmp::Reverse(f.len()));
        forms.dedup();
        forms
    }
}

impl fmt::Debug for SourceUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("SourceUrl").field(&self.masked()).finish()
    }
}

impl fmt::Display for SourceUrl {
    /// Shows the masked form.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.masked())
    }
}

fn scheme_kind(scheme: &str) -> Option<SourceKind> {
    match scheme.to_ascii_lowercase().as_str() {
        "sqlite" => Some(SourceKind::Sqlite),
        "postgres" | "postgresql" => Some(SourceKind::Postgres),
        "mysql" | "mariadb" => Some(SourceKind::Mysql),
        _ => None,
    }
}

/// Whether a raw source URL carries a (non-empty) password in its user info,
/// with the same splitting rules as [`SourceUrl::parse`]. SQLite URLs and text
/// that is not a source URL have none.
pub fn url_has_password(raw: &str) -> bool {
    let raw = raw.trim();
    let Some((scheme, rest)) = raw.split_once("://") else {
        return false;
    };
    match scheme_kind(scheme) {
        Some(SourceKind::Postgres | SourceKind::Mysql) => {
            let (userinfo, _) = split_userinfo(rest);
            userinfo
                .and_then(|u| u.split_once(':'))
                .is_some_and(|(_, pw)| !pw.is_empty())
        }
        _ => false,
    }
}

/// The masked form of a stored source URL (what responses and pages show):
/// network URLs are rebuilt from their parsed parts, SQLite URLs are shown as
/// given, anything else goes through [`mask_password`].
pub fn mask_source_url(raw: &str) -> String {
    let trimmed = raw.trim();
    if let Some((scheme, rest)) = trimmed.split_once("://")
        && let Some(kind @ (SourceKind::Postgres | SourceKind::Mysql)) = scheme_kind(scheme)
    {
        return match split_network(kind, scheme, rest) {
            Ok(n) => n.masked(),
            // Not a valid URL: show no user info at all.
            Err(_) => match split_userinfo(rest) {
                (Some(_), after) => format!("{scheme}://***@{after}"),
                (None, after) => format!("{scheme}://{after}"),
            },
        };
    }
    mask_password(raw)
}

/// Whether `s` starts with a plausible `host[:port]`; returns the rest after it.
/// A host is letters, digits, `.`, `-`, `_`, or a bracketed IPv6 literal.
fn host_port_prefix(s: &str) -> Option<&str> {
    let rest = if let Some(v6) = s.strip_prefix('[') {
        let end = v6.find(']')?;
        let inner = &v6[..end];
        if inner.is_empty()
            || !inner
                .chars()
                .all(|c| c.is_ascii_hexdigit() || c == ':' || c == '.')
        {
            return None;
        }
        &v6[end + 1..]
    } else {
        let end = s
            .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_')))
            .unwrap_or(s.len());
        if end == 0 {
            return None;
        }
        &s[end..]
    };
    match rest.strip_prefix(':') {
        Some(p) => {
            let end = p.find(|c: char| !c.is_ascii_digit()).unwrap_or(p.len());
            (end > 0).then(|| &p[end..])
        }
        None => Some(rest),
    }
}

/// `host[:port]/dbname[?query]` with a database name that holds no `/`.
fn plausible_full(s: &str) -> bool {
    let Some(rest) = host_port_prefix(s) else {
        return false;
    };
    let Some(path) = rest.strip_prefix('/') else {
        return false;
    };
    let db = path.split(['?', '#']).next().unwrap_or("");
    !db.is_empty() && !db.contains('/')
}

/// `host[:port]` followed by the end, `/`, `?` or `#`.
fn plausible_host(s: &str) -> bool {
    host_port_prefix(s).is_some_and(|r| r.is_empty() || r.starts_with(['/', '?', '#']))
}

/// Splits what follows `scheme://` into (user info, the rest). The user info
/// ends at the rightmost `@` followed by a plausible `host[:port]/dbname[?query]`;
/// failing that, at the rightmost `@` followed by a plausible `host[:port]`;
/// failing that, at the rightmost `@` (the rest is then refused with a message
/// that holds no part of the user info).
fn split_userinfo(rest: &str) -> (Option<&str>, &str) {
    let ats: Vec<usize> = rest.match_indices('@').map(|(i, _)| i).collect();
    let pick = ats
        .iter()
        .rev()
        .find(|&&i| plausible_full(&rest[i + 1..]))
        .or_else(|| ats.iter().rev().find(|&&i| plausible_host(&rest[i + 1..])))
        .or(ats.last());
    match pick {
        Some(&i) => (Some(&rest[..i]), &rest[i + 1..]),
        None => (None, rest),
    }
}

/// Percent-decodes `s`; invalid `%` sequences stay literal, and text that does
/// not decode to UTF-8 is kept as written.
fn decode(s: &str) -> String {
    match percent_encoding::percent_decode_str(s).decode_utf8() {
        Ok(d) => d.into_owned(),
        Err(_) => s.to_string(),
    }
}

fn split_network(kind: SourceKind, scheme: &str, rest: &str) -> Result<Network, SourceUrlError> {
    let example = match kind {
        SourceKind::Postgres => "postgres://user:password@host:5432/dbname",
        _ => "mysql://user:password@host:3306/dbname",
    };
    let normalized = match kind {
        SourceKind::Postgres => "postgres",
        _ => "mysql",
    };
    let (userinfo, after) = split_userinfo(rest);
    let (user_raw, password_raw) = match userinfo {
        None => ("", None),
        Some(u) => match u.split_once(':') {
            Some((user, pw)) => (user, Some(pw)),
            None => (u, None),
        },
    };
    let user = decode(user_raw);
    let password = password_raw.map(decode);
    let host_end = if after.starts_with('[') {
        after.find(']').map_or(after.len(), |i| i + 1)
    } else {
        after.find([':', '/', '?', '#']).unwrap_or(after.len())
    };
    if host_end == 0 {
        return Err(SourceUrlError::new(format!(
            "source_url must include a host, e.g. {example}"
        )));
    }
    // The user info is added below, already encoded: the URL parser never sees it raw.
    let mut url = ::url::Url::parse(&format!("{normalized}://{after}")).map_err(|e| {
        SourceUrlError::new(format!(
            "source_url is not a valid URL ({e}); expected e.g. {example}"
        ))
    })?;
    if url.host_str().is_none_or(str::is_empty) {
        return Err(SourceUrlError::new(format!(
            "source_url must include a host, e.g. {example}"
        )));
    }
    let db = url.path().trim_start_matches('/');
    if db.is_empty() {
        return Err(SourceUrlError::new(format!(
            "source_url must name a database, e.g. {example}"
        )));
    }
    if db.contains('/') {
        return Err(SourceUrlError::new(format!(
            "source_url must name a single database after the host, e.g. {example}"
        )));
    }
    url.set_fragment(None);
    let invalid = || {
        SourceUrlError::new(format!(
            "source_url is not a valid URL; expected e.g. {example}"
        ))
    };
    if !user.is_empty() {
        let enc = percent_encoding::utf8_percent_encode(&user, USERINFO_ENCODE).to_string();
        url.set_username(&enc).map_err(|_| invalid())?;
    }
    if let Some(pw) = &password {
        let enc = percent_encoding::utf8_percent_encode(pw, USERINFO_ENCODE).to_string();
        url.set_password(Some(&enc)).map_err(|_| invalid())?;
    }
    Ok(Network {
        url,
        scheme: scheme.to_string(),
        user,
        password,
        password_raw: password_raw.map(str::to_string),
        after_userinfo: after.split('#').next().unwrap_or("").to_string(),
        schemas: None,
    })
}

/// The URL parameter that lists a PostgreSQL source's schemas.
const SCHEMAS_PARAM: &str = "schemas";
const SCHEMAS_ONLY_PG: &str = "schemas= is only for PostgreSQL sources: a MySQL source reads the \
     URL's database, a SQLite source its file";
/// PostgreSQL's identifier limit (NAMEDATALEN - 1), in bytes.
const MAX_SCHEMA_BYTES: usize = 63;

fn has_schemas_param(query: Option<&str>) -> bool {
    query.is_some_and(|q| {
        ::url::form_urlencoded::parse(q.split('#').next().unwrap_or("").as_bytes())
            .any(|(k, _)| k.eq_ignore_ascii_case(SCHEMAS_PARAM))
    })
}

/// Takes `schemas=a,b` out of `url` (the drivers never see it) and checks the
/// names: PostgreSQL URLs only, given once, 1-63 bytes each, no control
/// characters, no `.` (a table `schema.table` is split at its first dot), no
/// system schema (`pg_*`, `information_schema`).
fn take_schemas(
    kind: SourceKind,
    url: &mut ::url::Url,
) -> Result<Option<Vec<String>>, SourceUrlError> {
    if !has_schemas_param(url.query()) {
        return Ok(None);
    }
    if kind != SourceKind::Postgres {
        return Err(SourceUrlError::new(SCHEMAS_ONLY_PG));
    }
    let (given, others): (Vec<_>, Vec<_>) = url
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .partition(|(k, _)| k.eq_ignore_ascii_case(SCHEMAS_PARAM));
    if given.len() > 1 {
        return Err(SourceUrlError::new(
            "schemas= must be given once, e.g. schemas=sales,finance",
        ));
    }
    let mut schemas: Vec<String> = Vec::new();
    for name in given[0].1.split(',').map(str::trim) {
        check_schema_name(name)?;
        if !schemas.iter().any(|s| s == name) {
            schemas.push(name.to_string());
        }
    }
    if others.is_empty() {
        url.set_query(None);
    } else {
        url.query_pairs_mut().clear().extend_pairs(others);
    }
    Ok(Some(schemas))
}

fn check_schema_name(name: &str) -> Result<(), SourceUrlError> {
    let bad = |why: &str| {
        let shown: String = name.chars().filter(|c| !c.is_control()).take(80).collect();
        Err(SourceUrlError::new(format!(
            "schemas= has an invalid schema name {shown:?}: {why}"
        )))
    };
    if name.is_empty() {
        return Err(SourceUrlError::new(
            "schemas= must list schema names separated by commas, e.g. schemas=sales,finance",
        ));
    }
    if name.len() > MAX_SCHEMA_BYTES {
        return bad("longer than 63 bytes");
    }
    if name.chars().any(char::is_control) {
        return bad("it holds a control character");
    }
    if name.contains('.') {
        return bad("schema names with a dot are not supported");
    }
    if name.starts_with("pg_") || name == "information_schema" {
        return bad("system schemas cannot be sources");
    }
    Ok(())
}

const OUTSIDE: &str = "the SQLite file must be inside the sources folder";

fn check_sqlite_path(
    rest: &str,
    sources_dir: &Path,
    forbidden: &[PathBuf],
) -> Result<PathBuf, SourceUrlError> {
    // A query string (`?mode=ro`) is ignored: sources are always opened read-only.
    let path_str = rest.split(['?', '#']).next().unwrap_or("");
    if path_str.is_empty() {
        return Err(SourceUrlError::new(
            "source_url must name a SQLite file, e.g. sqlite://chinook.sqlite (inside the sources folder)",
        ));
    }
    if path_str.contains('\0') {
        return Err(SourceUrlError::new(
            "source_url contains an invalid character",
        ));
    }
    let given = Path::new(path_str);
    let sources = sources_dir
        .canonicalize()
        .map_err(|_| SourceUrlError::new("the sources folder does not exist on the server"))?;
    let candidate = if given.is_absolute() {
        given.to_path_buf()
    } else {
        sources.join(given)
    };
    let display_name = |p: &Path| -> String {
        p.strip_prefix(&sources)
            .or_else(|_| p.strip_prefix(sources_dir))
            .map(|r| r.display().to_string())
            .unwrap_or_else(|_| given.display().to_string())
    };
    let canonical = match candidate.canonicalize() {
        Ok(c) => c,
        Err(_) => {
            // It does not exist (or cannot be resolved): say so only if it would be inside.
            let lexical = normalize_lexically(&candidate);
            if lexical.starts_with(&sources)
                || lexical.starts_with(normalize_lexically(sources_dir))
            {
                return Err(SourceUrlError::new(format!(
                    "no such SQLite file in the sources folder: {}",
                    display_name(&lexical)
                )));
            }
            return Err(SourceUrlError::new(OUTSIDE));
        }
    };
    if !canonical.starts_with(&sources) || canonical == sources {
        return Err(SourceUrlError::new(OUTSIDE));
    }
    let is_forbidden = forbidden.iter().any(|f| match f.canonicalize() {
        Ok(fc) => fc == canonical,
        Err(_) => normalize_lexically(f) == canonical,
    });
    if is_forbidden {
        return Err(SourceUrlError::new(
            "datatrain's own database cannot be used as a source",
        ));
    }
    if !canonical.is_file() {
        return Err(SourceUrlError::new(format!(
            "not a SQLite file in the sources folder: {}",
            display_name(&canonical)
        )));
    }
    Ok(canonical)
}

/// Resolves `.` and `..` without touching the file system.
fn normalize_lexically(p: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            other => out.push(other.as_os_str()),
        }
    }
    out
}

/// Replaces the password of every `scheme://user:password@host` URL found in
/// `s` by `***`. Works on any text (error messages, log lines); a password may
/// hold spaces, quotes, `@`, `/` and `:`: the user info of a URL ends at the
/// rightmost `@` (before the next URL or line break) that is followed by a
/// plausible `host[:port]/dbname`, else by a plausible `host[:port]`.
pub fn mask_password(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(pos) = rest.find("://") {
        let (before, after) = rest.split_at(pos + 3);
        out.push_str(before);
        let seg_end = segment_end(after);
        let segment = &after[..seg_end];
        let ats: Vec<usize> = segment.match_indices('@').map(|(i, _)| i).collect();
        let pick = ats
            .iter()
            .rev()
            .find(|&&i| plausible_full_text(&segment[i + 1..]))
            .or_else(|| {
                ats.iter()
                    .rev()
                    .find(|&&i| host_port_prefix(&segment[i + 1..]).is_some())
            });
        let consumed = match pick {
            Some(&at) => {
                let userinfo = &segment[..at];
                match userinfo.split_once(':') {
                    Some((user, _)) if plausible_user(user) => {
                        out.push_str(user);
                        out.push_str(":***");
                        at
                    }
                    _ => 0,
                }
            }
            None => 0,
        };
        rest = &after[consumed..];
    }
    out.push_str(rest);
    out
}

/// Where the text of one URL may end: at a line break or where the next URL's scheme starts.
fn segment_end(after: &str) -> usize {
    let line = after.find(['\n', '\r']).unwrap_or(after.len());
    let next = match after[..line].find("://") {
        Some(i) => after[..i]
            .rfind(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.')))
            .map_or(0, |j| j + 1),
        None => line,
    };
    next.min(line)
}

/// A user name as written in a URL: no spaces, quotes or path characters.
fn plausible_user(user: &str) -> bool {
    !user.contains(|c: char| c.is_whitespace() || matches!(c, '/' | '?' | '#' | '"' | '\'' | '`'))
}

/// `host[:port]/dbname` in free text (the name ends at a space or quote).
fn plausible_full_text(s: &str) -> bool {
    let Some(path) = host_port_prefix(s).and_then(|r| r.strip_prefix('/')) else {
        return false;
    };
    let end = path
        .find(|c: char| c.is_whitespace() || matches!(c, '?' | '#' | '"' | '\'' | '`' | '<' | '>'))
        .unwrap_or(path.len());
    end > 0 && !path[..end].contains('/')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dirs() -> (tempfile::TempDir, PathBuf) {
        let root = tempfile::tempdir().unwrap();
        let sources = root.path().join("sources");
        std::fs::create_dir(&sources).unwrap();
        std::fs::write(sources.join("a.db"), b"x").unwrap();
        std::fs::create_dir(sources.join("sub")).unwrap();
        std::fs::write(sources.join("sub").join("b.db"), b"x").unwrap();
        std::fs::write(root.path().join("outside.db"), b"x").unwrap();
        std::fs::write(root.path().join("datatrain.db"), b"x").unwrap();
        (root, sources)
    }

    fn err(s: &str, sources: &Path, forbidden: &[PathBuf]) -> String {
        SourceUrl::parse(s, sources, forbidden).unwrap_err().0
    }

    #[test]
    fn relative_and_absolute_sqlite() {
        let (_root, sources) = dirs();
        let u = SourceUrl::parse("sqlite://a.db", &sources, &[]).unwrap();
        assert_eq!(u.kind(), SourceKind::Sqlite);
        assert_eq!(u.dialect(), Dialect::Sqlite);
        assert_eq!(
            u.sqlite_path().unwrap(),
            sources.canonicalize().unwrap().join("a.db")
        );
        assert_eq!(u.masked(), "sqlite://a.db");
        assert_eq!(u.as_str(), "sqlite://a.db");

        let u = SourceUrl::parse("sqlite://sub/b.db", &sources, &[]).unwrap();
        assert!(u.sqlite_path().unwrap().ends_with("sub/b.db"));

        let abs = format!("sqlite://{}", sources.join("a.db").display());
        assert!(abs.starts_with("sqlite:///"));
        let u = SourceUrl::parse(&abs, &sources, &[]).unwrap();
        assert_eq!(
            u.sqlite_path().unwrap(),
            sources.canonicalize().unwrap().join("a.db")
        );

        // `..` that stays inside is fine; a query string is ignored.
        assert!(SourceUrl::parse("sqlite://sub/../a.db?mode=ro", &sources, &[]).is_ok());
    }

    #[test]
    fn sqlite_path_escapes_are_refused() {
        let (root, sources) = dirs();
        let root_s = root.path().display().to_string();
        for url in [
            "sqlite://../outside.db".to_string(),
            "sqlite://sub/../../outside.db".to_string(),
            format!("sqlite://{root_s}/outside.db"),
            "sqlite:///etc/passwd".to_string(),
            "sqlite://../nonexistent.db".to_string(),
            "sqlite:///nonexistent/x.db".to_string(),
            "sqlite://.".to_string(),
            "sqlite://..".to_string(),
        ] {
            let msg = err(&url, &sources, &[]);
            assert_eq!(msg, OUTSIDE, "{url}");
            assert!(!msg.contains(&root_s));
        }
    }

    #[test]
    fn symlink_outside_is_refused() {
        let (root, sources) = dirs();
        std::os::unix::fs::symlink(root.path().join("outside.db"), sources.join("link.db"))
            .unwrap();
        assert_eq!(err("sqlite://link.db", &sources, &[]), OUTSIDE);
        // A symlink to a file inside is fine.
        std::os::unix::fs::symlink(sources.join("a.db"), sources.join("inner.db")).unwrap();
        let u = SourceUrl::parse("sqlite://inner.db", &sources, &[]).unwrap();
        assert!(u.sqlite_path().unwrap().ends_with("a.db"));
        // A symlinked directory pointing outside.
        std::os::unix::fs::symlink(root.path(), sources.join("up")).unwrap();
        assert_eq!(err("sqlite://up/outside.db", &sources, &[]), OUTSIDE);
    }

    #[test]
    fn forbidden_file_is_refused() {
        let (_root, sources) = dirs();
        let own = sources.join("own.db");
        std::fs::write(&own, b"x").unwrap();
        let msg = err("sqlite://own.db", &sources, std::slice::from_ref(&own));
        assert!(msg.contains("own database"), "{msg}");
        // Also through a symlink, and through a non-canonical forbidden path.
        std::os::unix::fs::symlink(&own, sources.join("alias.db")).unwrap();
        let forbidden = vec![sources.join("sub").join("..").join("own.db")];
        assert!(err("sqlite://alias.db", &sources, &forbidden).contains("own database"));
    }

    #[test]
    fn missing_file_and_directories() {
        let (_root, sources) = dirs();
        assert_eq!(
            err("sqlite://nope.db", &sources, &[]),
            "no such SQLite file in the sources folder: nope.db"
        );
        let abs = format!("sqlite://{}", sources.join("sub/nope.db").display());
        let msg = err(&abs, &sources, &[]);
        assert_eq!(
            msg,
            "no such SQLite file in the sources folder: sub/nope.db"
        );
        assert!(err("sqlite://sub", &sources, &[]).contains("not a SQLite file"));
        assert!(err("sqlite://", &sources, &[]).contains("must name a SQLite file"));
        let missing = sources.join("missing-dir");
        assert!(err("sqlite://a.db", &missing, &[]).contains("sources folder does not exist"));
    }

    #[test]
    fn schemes() {
        let (_root, sources) = dirs();
        for bad in [
            "",
            "chinook.db",
            "http://h/db",
            "file:///x.db",
            "sqlite:a.db",
            "postgres:h/db",
        ] {
            let msg = err(bad, &sources, &[]);
            assert!(msg.starts_with("source_url"), "{bad}: {msg}");
        }
        assert_eq!(err("ftp://h/db", &sources, &[]), SCHEME_HELP);

        let u = SourceUrl::parse("postgresql://u:pw@h:5432/db", &sources, &[]).unwrap();
        assert_eq!(u.kind(), SourceKind::Postgres);
        assert_eq!(u.dialect(), Dialect::Postgres);
        assert_eq!(u.network_url().unwrap().scheme(), "postgres");
        assert_eq!(u.as_str(), "postgresql://u:pw@h:5432/db");

        let u = SourceUrl::parse("mariadb://root@127.0.0.1/chinook", &sources, &[]).unwrap();
        assert_eq!(u.kind(), SourceKind::Mysql);
        assert_eq!(u.dialect(), Dialect::Mysql);
        assert_eq!(
            u.network_url().unwrap().as_str(),
            "mysql://root@127.0.0.1/chinook"
        );
        assert!(SourceUrl::parse("MySQL://h/db", &sources, &[]).is_ok());
    }

    #[test]
    fn network_urls_need_host_and_database() {
        let (_root, sources) = dirs();
        assert!(err("postgres://h", &sources, &[]).contains("must name a database"));
        assert!(err("postgres://h/", &sources, &[]).contains("must name a database"));
        assert!(err("mysql://u:secret@h:3306", &sources, &[]).contains("must name a database"));
        assert!(err("postgres:///db", &sources, &[]).contains("must include a host"));
        assert!(err("postgres://h/db/x", &sources, &[]).contains("single database"));
        let msg = err("postgres://u:secret@h:notaport/db", &sources, &[]);
        assert!(
            msg.contains("not a valid URL") && !msg.contains("secret"),
            "{msg}"
        );
    }

    #[test]
    fn masking() {
        let (_root, sources) = dirs();
        let u = SourceUrl::parse("postgres://u:s3cret@h:5432/db", &sources, &[]).unwrap();
        assert_eq!(u.masked(), "postgres://u:***@h:5432/db");
        assert_eq!(u.to_string(), "postgres://u:***@h:5432/db");
        let dbg = format!("{u:?}");
        assert_eq!(dbg, "SourceUrl(\"postgres://u:***@h:5432/db\")");
        assert!(!dbg.contains("s3cret"));
        assert_eq!(
            u.sanitize("password s3cret refused"),
            "password *** refused"
        );

        let u = SourceUrl::parse("mysql://u:p%40ss@h/db", &sources, &[]).unwrap();
        assert_eq!(u.masked(), "mysql://u:***@h/db");
        assert_eq!(u.sanitize("bad p@ss and p%40ss"), "bad *** and ***");

        let u = SourceUrl::parse("mysql://u@h/db", &sources, &[]).unwrap();
        assert_eq!(u.masked(), "mysql://u@h/db");

        assert_eq!(
            mask_password("postgres://u:pw@h/db"),
            "postgres://u:***@h/db"
        );
        assert_eq!(
            mask_password("error at mysql://root:x@y@db:3306/a?ssl=1, see postgres://a:b@c"),
            "error at mysql://root:***@db:3306/a?ssl=1, see postgres://a:***@c"
        );
        assert_eq!(mask_password("no url here"), "no url here");
        assert_eq!(mask_password("postgres://h/db"), "postgres://h/db");
        assert_eq!(mask_password("postgres://u@h/db"), "postgres://u@h/db");
        assert_eq!(mask_password("sqlite:///a/b.db"), "sqlite:///a/b.db");
        assert_eq!(
            mask_password("'postgres://u:p@h' x://"),
            "'postgres://u:***@h' x://"
        );
    }

    /// Passwords holding each awkward character, raw and percent-encoded.
    fn awkward_passwords() -> Vec<String> {
        let mut out = Vec::new();
        for c in [' ', '\'', '"', '<', '>', '@', ':', '/', '%', '#', '?'] {
            out.push(format!("pa{c}ss1"));
            out.push(format!("{c}lead9"));
            out.push(format!("trail7{c}"));
        }
        out.push("p@ss:w/rd?x#y%z 'q\"<>".into());
        out.push("%zz%4".into());
        out
    }

    #[test]
    fn awkward_passwords_parse_and_never_show() {
        let (_root, sources) = dirs();
        for pw in awkward_passwords() {
            let encoded = percent_encoding::utf8_percent_encode(&pw, USERINFO_ENCODE).to_string();
            for (given, scheme) in [
                (pw.clone(), "mysql"),
                (encoded.clone(), "postgres"),
                (pw.clone(), "postgresql"),
                (encoded.clone(), "mariadb"),
            ] {
                let raw = format!("{scheme}://u:{given}@db.example.com:5432/shop?sslmode=disable");
                let u = SourceUrl::parse(&raw, &sources, &[])
                    .unwrap_or_else(|e| panic!("{raw:?}: {e}"));
                assert_eq!(u.as_str(), raw);
                // A `%` not followed by two hex digits stays literal when given raw.
                let expected = if given == pw { decode(&pw) } else { pw.clone() };
                assert_eq!(u.password(), Some(expected.as_str()), "{raw:?}");
                let url = u.connect_url().unwrap();
                assert_eq!(url.username(), "u");
                assert_eq!(url.host_str(), Some("db.example.com"));
                assert_eq!(url.port(), Some(5432));
                assert_eq!(url.path(), "/shop");
                assert_eq!(url.query(), Some("sslmode=disable"));
                let back = percent_encoding::percent_decode_str(url.password().unwrap())
                    .decode_utf8()
                    .unwrap();
                assert_eq!(back, expected, "{raw:?}");
                let masked = u.masked();
                assert_eq!(
                    masked,
                    format!("{scheme}://u:***@db.example.com:5432/shop?sslmode=disable")
                );
                assert_eq!(mask_source_url(&raw), masked, "{raw:?}");
                assert!(!format!("{u:?}").contains(&given));
                assert!(!u.to_string().contains(&given));
                assert!(url_has_password(&raw), "{raw:?}");
                let msg = format!("password {expected} refused for {raw} ({given}, {encoded})");
                let clean = u.sanitize(&msg);
                for secret in [&expected, &given, &encoded] {
                    assert!(!clean.contains(secret.as_str()), "{raw:?}: {clean}");
                }
            }
        }
    }

    #[test]
    fn the_rightmost_plausible_at_ends_the_user_info() {
        let (_root, sources) = dirs();
        // `@` in the query does not end the user info.
        let u = SourceUrl::parse(
            "postgres://u:p@ss@h:1/db?application_name=a@b",
            &sources,
            &[],
        )
        .unwrap();
        assert_eq!(u.password(), Some("p@ss"));
        assert_eq!(u.connect_url().unwrap().host_str(), Some("h"));
        assert_eq!(u.masked(), "postgres://u:***@h:1/db?application_name=a@b");
        // IPv6 literals.
        let u = SourceUrl::parse("mysql://u:a/b@c@[::1]:3306/db", &sources, &[]).unwrap();
        assert_eq!(u.password(), Some("a/b@c"));
        assert_eq!(u.masked(), "mysql://u:***@[::1]:3306/db");
        // A user without a password, an encoded user.
        let u = SourceUrl::parse("mysql://r%40x@h/db", &sources, &[]).unwrap();
        assert_eq!(u.password(), None);
        assert_eq!(u.connect_url().unwrap().username(), "r%40x");
        assert_eq!(u.masked(), "mysql://r%40x@h/db");
        assert!(!url_has_password("mysql://r%40x@h/db"));
        assert!(!url_has_password("mysql://r:@h/db"));
        assert!(!url_has_password("sqlite://a.db"));
        assert!(!url_has_password("not a url"));
        // Invalid URLs never echo the user info.
        for bad in [
            "postgres://u:pa ss1@h:notaport/db",
            "postgres://u:pa ss1@/db",
            "postgres://u:pa ss1@h:99999/db",
        ] {
            let msg = err(bad, &sources, &[]);
            assert!(
                !msg.contains("pa ss1") && !msg.contains("ss1"),
                "{bad}: {msg}"
            );
            assert!(!mask_source_url(bad).contains("ss1"), "{bad}");
        }
    }

    #[test]
    fn free_text_masking_handles_awkward_passwords() {
        for pw in [
            "pa ss1", "pa'ss1", "pa\"ss1", "pa<ss1", "pa>ss1", "pa@ss1", "pa/ss1",
        ] {
            let text = format!("cannot connect to mysql://u:{pw}@host:3306/db: refused");
            let masked = mask_password(&text);
            assert_eq!(
                masked, "cannot connect to mysql://u:***@host:3306/db: refused",
                "{pw}"
            );
        }
        // Plain text with a URL and an unrelated address is left alone.
        assert_eq!(
            mask_password("postgres://h/db failed, mail admin@example.com"),
            "postgres://h/db failed, mail admin@example.com"
        );
    }
}
