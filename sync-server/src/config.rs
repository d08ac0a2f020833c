//! `sotay server`'s settings: an optional YAML file (`--config FILE`, e.g.
//! `/etc/sotay/server.yaml`) with the command line's flags over it. Everything is checked
//! before the server starts; an error in the file names its line and column.

use crate::limits::{Limits, Rule};
use crate::proxy::Cidr;
use crate::run::{DbUrl, ServerOptions};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

/// The settings as written, in the file or on the command line; all optional here.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerConfig {
    /// The built site (`--site`).
    pub site: Option<PathBuf>,
    /// Its search index (`--index`; default: beside the site).
    pub index: Option<PathBuf>,
    /// `sqlite://PATH` or `postgres://...` (`--db`).
    pub db: Option<String>,
    /// Address to listen on (`--listen`; default 127.0.0.1:8080).
    pub listen: Option<String>,
    /// Proxies whose `Forwarded` / `X-Forwarded-For` is believed (`--trusted-proxy`, which
    /// adds to this list).
    #[serde(default)]
    pub trusted_proxies: Vec<String>,
    /// Rate limits other than the defaults, by name (see `Limits`).
    #[serde(default)]
    pub limits: BTreeMap<String, LimitConfig>,
    /// `false` turns every limit off (`--no-rate-limits`): load tests only.
    pub rate_limits: Option<bool>,
    /// HTTPS of its own: the certificate chain (`--tls-cert`) and its key (`--tls-key`), PEM.
    pub tls_cert: Option<PathBuf>,
    pub tls_key: Option<PathBuf>,
    /// With HTTPS: plain HTTP on this address (`--http-redirect 0.0.0.0:80`) sends browsers
    /// to HTTPS.
    pub http_redirect: Option<String>,
    /// certbot's `--webroot` folder, whose ACME challenges the plain-HTTP listener answers
    /// (`--acme-webroot`).
    pub acme_webroot: Option<PathBuf>,
    /// Web Push for new notices, signed with this contact (`--push-contact mailto:...`): how a
    /// push service reaches the operator. Without it push is off.
    pub push_contact: Option<String>,
}

/// One limit: `burst` requests at once, refilled at `per_second`, `per_minute` or `per_hour`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LimitConfig {
    pub burst: f64,
    pub per_second: Option<f64>,
    pub per_minute: Option<f64>,
    pub per_hour: Option<f64>,
}

impl ServerConfig {
    /// Reads a settings file; relative paths in it are relative to the file's folder.
    pub fn load(path: &Path) -> Result<ServerConfig, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let mut c: ServerConfig = match serde_yaml::from_str::<Option<ServerConfig>>(&text) {
            Ok(c) => c.unwrap_or_default(),
            Err(e) => {
                return Err(match e.location() {
                    Some(l) => {
                        format!("{}:{}:{}: error: {e}", path.display(), l.line(), l.column())
                    }
                    None => format!("{}: error: {e}", path.display()),
                })
            }
        };
        let dir = path.parent().unwrap_or(Path::new("."));
        for p in [
            &mut c.site,
            &mut c.index,
            &mut c.tls_cert,
            &mut c.tls_key,
            &mut c.acme_webroot,
        ]
        .into_iter()
        .flatten()
        {
            if p.is_relative() {
                *p = dir.join(&*p);
            }
        }
        Ok(c)
    }

    /// These settings with `flags` over them: a flag given wins, trusted proxies add up.
    pub fn with_flags(mut self, flags: ServerConfig) -> ServerConfig {
        self.site = flags.site.or(self.site);
        self.index = flags.index.or(self.index);
        self.db = flags.db.or(self.db);
        self.listen = flags.listen.or(self.listen);
        self.trusted_proxies.extend(flags.trusted_proxies);
        self.limits.extend(flags.limits);
        self.rate_limits = flags.rate_limits.or(self.rate_limits);
        self.tls_cert = flags.tls_cert.or(self.tls_cert);
        self.tls_key = flags.tls_key.or(self.tls_key);
        self.http_redirect = flags.http_redirect.or(self.http_redirect);
        self.acme_webroot = flags.acme_webroot.or(self.acme_webroot);
        self.push_contact = flags.push_contact.or(self.push_contact);
        self
    }

    /// Checks everything and gives what the server runs with.
    pub fn into_options(self) -> Result<ServerOptions, String> {
        let site = self.site.ok_or("--site DIR is required")?;
        let db = DbUrl::parse(&self.db.ok_or("--db URL is required (sqlite://PATH)")?)?;
        let listen = self.listen.unwrap_or_else(|| "127.0.0.1:8080".into());
        let listen: SocketAddr = listen.parse().map_err(|_| {
            format!("--listen wants an address such as 0.0.0.0:8080, found \"{listen}\"")
        })?;
        let trusted_proxies = self
            .trusted_proxies
            .iter()
            .map(|r| r.parse::<Cidr>().map_err(|e| format!("trusted proxy: {e}")))
            .collect::<Result<Vec<_>, _>>()?;
        let mut limits = Limits::default();
        for (name, l) in &self.limits {
            let per_sec = match (l.per_second, l.per_minute, l.per_hour) {
                (Some(s), None, None) => s,
                (None, Some(m), None) => m / 60.0,
                (None, None, Some(h)) => h / 3600.0,
                _ => {
                    return Err(format!(
                        "limit {name}: give one of per_second, per_minute, per_hour"
                    ))
                }
            };
            if !(l.burst >= 1.0 && l.burst.is_finite() && per_sec > 0.0 && per_sec.is_finite()) {
                return Err(format!(
                    "limit {name}: burst must be at least 1 and the rate above 0"
                ));
            }
            limits.set(
                name,
                Rule {
                    burst: l.burst,
                    per_sec,
                },
            )?;
        }
        if self.rate_limits == Some(false) {
            limits = Limits::off();
        }
        let tls = crate::tls::files(self.tls_cert, self.tls_key)?;
        let http_redirect = match self.http_redirect {
            None => None,
            Some(_) if tls.is_none() => {
                return Err("--http-redirect sends browsers to HTTPS, which needs --tls-cert and --tls-key (behind a proxy, the proxy redirects)".into())
            }
            Some(a) => Some(a.parse::<SocketAddr>().map_err(|_| {
                format!("--http-redirect wants an address such as 0.0.0.0:80, found \"{a}\"")
            })?),
        };
        if self.acme_webroot.is_some() && http_redirect.is_none() {
            return Err(
                "--acme-webroot is answered by the --http-redirect listener: give both".into(),
            );
        }
        let push_contact = self
            .push_contact
            .as_deref()
            .map(crate::run::push_contact)
            .transpose()?;
        Ok(ServerOptions {
            site,
            db,
            listen,
            index: self.index,
            limits,
            trusted_proxies,
            tls,
            http_redirect,
            acme_webroot: self.acme_webroot,
            push_contact,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(text: &str) -> Result<ServerConfig, String> {
        let dir = tempfile::tempdir().expect("tmp");
        let path = dir.path().join("server.yaml");
        std::fs::write(&path, text).expect("write");
        ServerConfig::load(&path).map_err(|e| e.replace(&path.display().to_string(), "F"))
    }

    #[test]
    fn file_and_flags() {
        let c = load(
            "site: public\ndb: sqlite:///var/lib/sotay/sotay.db\ntrusted_proxies: [127.0.0.1/32, '::1']\nlimits:\n  register_per_address: {burst: 50, per_minute: 30}\n",
        )
        .expect("loads");
        assert!(c
            .site
            .as_ref()
            .is_some_and(|s| s.is_absolute() && s.ends_with("public")));
        let flags = ServerConfig {
            listen: Some("0.0.0.0:9000".into()),
            trusted_proxies: vec!["10.0.0.0/8".into()],
            ..ServerConfig::default()
        };
        let o = c.with_flags(flags).into_options().expect("valid");
        assert_eq!(o.listen.to_string(), "0.0.0.0:9000");
        let ranges: Vec<String> = o.trusted_proxies.iter().map(|r| r.to_string()).collect();
        assert_eq!(ranges, ["127.0.0.1/32", "::1/128", "10.0.0.0/8"]);
        let r = o.limits.register_by_addr.rule();
        assert_eq!((r.burst, r.per_sec), (50.0, 0.5));
        assert_eq!(load("").expect("empty file").site, None);
    }

    #[test]
    fn errors() {
        assert_eq!(
            load("site: x\ntrusted_proxy: [1.2.3.4]\n").map(|_| ()).unwrap_err(),
            "F:2:1: error: unknown field `trusted_proxy`, expected one of `site`, `index`, `db`, `listen`, `trusted_proxies`, `limits`, `rate_limits`, `tls_cert`, `tls_key`, `http_redirect`, `acme_webroot`, `push_contact` at line 2 column 1"
        );
        let opts = |text: &str| {
            load(&format!("site: s\ndb: sqlite:///x.db\n{text}"))
                .and_then(ServerConfig::into_options)
                .map(|_| ())
        };
        assert_eq!(
            opts("trusted_proxies: [localhost]").unwrap_err(),
            "trusted proxy: \"localhost\" is not an address range such as 127.0.0.1/32, 10.0.0.0/8 or ::1/128"
        );
        assert_eq!(
            opts("limits: {search: {burst: 5, per_second: 1}}").unwrap_err(),
            "no limit named \"search\"; the limits are register_per_address, register_per_card, events_per_address, events_per_member, search_per_address"
        );
        assert_eq!(
            opts("limits: {search_per_address: {burst: 5}}").unwrap_err(),
            "limit search_per_address: give one of per_second, per_minute, per_hour"
        );
        assert_eq!(
            opts("limits: {search_per_address: {burst: 0, per_second: 1}}").unwrap_err(),
            "limit search_per_address: burst must be at least 1 and the rate above 0"
        );
        assert!(opts("").is_ok());
        assert!(opts("push_contact: mailto:vanphong@tinhuy.example.vn").is_ok());
        assert!(opts("push_contact: https://tinhuy.example.vn/lien-he").is_ok());
        assert!(opts("push_contact: vanphong")
            .unwrap_err()
            .starts_with("--push-contact wants mailto:ADDRESS or https://URL"));
        assert_eq!(
            opts("tls_cert: c.pem").unwrap_err(),
            "--tls-cert and --tls-key go together: the certificate chain and its private key (PEM)"
        );
        assert!(opts("http_redirect: 0.0.0.0:80")
            .unwrap_err()
            .contains("needs --tls-cert"));
        assert!(opts("tls_cert: c\ntls_key: k\nhttp_redirect: 0.0.0.0:80\n").is_ok());
        assert!(opts("tls_cert: c\ntls_key: k\nacme_webroot: w\n")
            .unwrap_err()
            .contains("give both"));
        assert_eq!(
            load("db: sqlite:///x.db\n")
                .and_then(ServerConfig::into_options)
                .map(|_| ())
                .unwrap_err(),
            "--site DIR is required"
        );
    }
}
