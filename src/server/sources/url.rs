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
    /// What the user gave, password included: only for connecting.
    raw: String,
    kind: SourceKind,
    target: Target,
}

#[derive(Clone, PartialEq, Eq)]
enum Target {
    /// The canonical path of the SQLite file (inside the sources folder).
    Sqlite(PathBuf),
    Network {
        /// The URL with its scheme normalized to `postgres` or `mysql`.
        url: ::url::Url,
        /// The decoded password, if any (to strip it from error messages).
        password: Option<String>,
    },
}

const SCHEME_HELP: &str = "source_url must start with sqlite://, postgres:// or mysql://";

impl SourceUrl {
    /// Parses and checks `s`.
    ///
    /// - `sqlite:///abs/path.db` or `sqlite://relative.db` (relative to `sources_dir`): the
    ///   file must exist, resolve (symlinks followed) inside `sources_dir`, and must not be one
    ///   of `forbidden` (datatrain's own database).
    /// - `postgres://` / `postgresql://`, `mysql://` / `mariadb://`: must have a host and a
    ///   database name.
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
        let kind = match scheme.to_ascii_lowercase().as_str() {
            "sqlite" => SourceKind::Sqlite,
            "postgres" | "postgresql" => SourceKind::Postgres,
            "mysql" | "mariadb" => SourceKind::Mysql,
            _ => return Err(SourceUrlError::new(SCHEME_HELP)),
        };
        let target = match kind {
            SourceKind::Sqlite => Target::Sqlite(check_sqlite_path(rest, sources_dir, forbidden)?),
            SourceKind::Postgres | SourceKind::Mysql => parse_network(kind, s)?,
        };
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

    /// The URL as given, password included. Use it only to connect; never log it.
    pub fn as_str(&self) -> &str {
        &self.raw
    }

    /// The URL with its password replaced by `***` (SQLite URLs are unchanged).
    pub fn masked(&self) -> String {
        match &self.target {
            Target::Sqlite(_) => self.raw.clone(),
            Target::Network { .. } => mask_password(&self.raw),
        }
    }

    /// The canonical path of the SQLite file (SQLite URLs only).
    pub fn sqlite_path(&self) -> Option<&Path> {
        match &self.target {
            Target::Sqlite(p) => Some(p),
            Target::Network { .. } => None,
        }
    }

    /// The URL to connect to a network database, with the scheme normalized to
    /// `postgres` or `mysql` (network URLs only).
    pub(crate) fn network_url(&self) -> Option<&::url::Url> {
        match &self.target {
            Target::Network { url, .. } => Some(url),
            Target::Sqlite(_) => None,
        }
    }

    /// Makes a message safe to show: masks URL passwords and removes the literal password.
    pub fn sanitize(&self, msg: &str) -> String {
        let mut out = mask_password(msg);
        if let Target::Network {
            url,
            password: Some(pw),
        } = &self.target
        {
            for secret in [pw.as_str(), url.password().unwrap_or("")] {
                if !secret.is_empty() {
                    out = out.replace(secret, "***");
                }
            }
        }
        out
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

fn parse_network(kind: SourceKind, s: &str) -> Result<Target, SourceUrlError> {
    let example = match kind {
        SourceKind::Postgres => "postgres://user:password@host:5432/dbname",
        _ => "mysql://user:password@host:3306/dbname",
    };
    let mut url = ::url::Url::parse(s).map_err(|e| {
        SourceUrlError::new(format!(
            "source_url is not a valid URL ({e}); expected e.g. {example}"
        ))
    })?;
    let normalized = match kind {
        SourceKind::Postgres => "postgres",
        _ => "mysql",
    };
    if url.scheme() != normalized {
        // Both schemes are "special"-less, so the change cannot fail; check anyway.
        url.set_scheme(normalized).map_err(|_| {
            SourceUrlError::new(format!(
                "source_url is not a valid URL; expected e.g. {example}"
            ))
        })?;
    }
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
    let password = url.password().map(|p| {
        ::url::form_urlencoded::parse(format!("p={}", p.replace('+', "%2B")).as_bytes())
            .next()
            .map(|(_, v)| v.into_owned())
            .unwrap_or_else(|| p.to_string())
    });
    Ok(Target::Network { url, password })
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
/// `s` by `***`. Works on any text (error messages, log lines).
pub fn mask_password(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(pos) = rest.find("://") {
        let (before, after) = rest.split_at(pos + 3);
        out.push_str(before);
        // The authority ends at the first '/', '?', '#', whitespace or quote.
        let end = after
            .find(|c: char| {
                matches!(c, '/' | '?' | '#' | '"' | '\'' | '`' | '<' | '>') || c.is_whitespace()
            })
            .unwrap_or(after.len());
        let authority = &after[..end];
        match authority.rfind('@') {
            Some(at) => {
                let userinfo = &authority[..at];
                match userinfo.find(':') {
                    Some(colon) => {
                        out.push_str(&userinfo[..colon]);
                        out.push_str(":***");
                    }
                    None => out.push_str(userinfo),
                }
                out.push_str(&authority[at..]);
            }
            None => out.push_str(authority),
        }
        rest = &after[end..];
    }
    out.push_str(rest);
    out
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
}
