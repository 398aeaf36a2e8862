//! The registry's configuration file, rendered from what a test asked for.
//!
//! The file is written as JSON: distribution reads YAML, JSON is valid YAML, and `serde_json` then
//! takes care of quoting paths and realms.

use std::path::Path;

use serde_json::json;

/// How clients authenticate to the registry.
#[derive(Debug, Clone, Default)]
pub(crate) enum AuthMode {
    /// No authentication.
    #[default]
    Anonymous,
    /// Basic auth against an htpasswd file at this path.
    Htpasswd { path: String },
    /// Bearer tokens from a token service.
    Token { realm: String, bundle: String },
}

/// Everything that varies between the registries the tests start.
#[derive(Debug, Clone, Default)]
pub(crate) struct Settings {
    pub(crate) auth: AuthMode,
    /// Server certificate and key paths.
    pub(crate) tls: Option<(String, String)>,
    /// The CA whose client certificates are required (mutual TLS).
    pub(crate) client_ca: Option<String>,
    /// The upstream registry URL of a pull-through cache.
    pub(crate) proxy_remote: Option<String>,
    pub(crate) schema1: bool,
    pub(crate) catalog_max_entries: Option<usize>,
    /// What the URLs of foreign layers must match to be accepted.
    pub(crate) layer_urls: Option<String>,
}

/// The config for a registry listening on `addr` with its storage under `storage`.
pub(crate) fn render(settings: &Settings, addr: &str, storage: &Path) -> String {
    let mut http = json!({ "addr": addr, "secret": "skiff-integration" });
    if let Some((certificate, key)) = &settings.tls {
        http["tls"] = json!({ "certificate": certificate, "key": key });
        if let Some(ca) = &settings.client_ca {
            http["tls"]["clientcas"] = json!([ca]);
        }
    }
    let mut config = json!({
        "version": "0.1",
        "log": { "level": "info", "accesslog": { "disabled": true } },
        "storage": {
            "filesystem": { "rootdirectory": storage.display().to_string() },
            "delete": { "enabled": true },
            "maintenance": { "uploadpurging": { "enabled": false } },
        },
        "http": http,
    });
    match &settings.auth {
        AuthMode::Anonymous => {}
        AuthMode::Htpasswd { path } => {
            config["auth"] = json!({ "htpasswd": { "realm": "skiff-integration", "path": path } });
        }
        AuthMode::Token { realm, bundle } => {
            config["auth"] = json!({ "token": {
                "realm": realm,
                "service": crate::token::SERVICE,
                "issuer": crate::token::ISSUER,
                "rootcertbundle": bundle,
            } });
        }
    }
    if settings.schema1 {
        // Without a signing key file the registry makes one at start, which is all tests need.
        config["compatibility"] = json!({ "schema1": { "enabled": true } });
    }
    if let Some(remote) = &settings.proxy_remote {
        config["proxy"] = json!({ "remoteurl": remote });
    }
    if let Some(allow) = &settings.layer_urls {
        config["validation"] = json!({ "manifests": { "urls": { "allow": [allow] } } });
    }
    if let Some(max) = settings.catalog_max_entries {
        config["catalog"] = json!({ "maxentries": max });
    }
    serde_json::to_string_pretty(&config).expect("JSON of a config")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    fn rendered(settings: &Settings) -> Value {
        serde_json::from_str(&render(settings, "127.0.0.1:5000", Path::new("/store"))).unwrap()
    }

    #[test]
    fn each_setting_lands_under_its_key() {
        let anonymous = rendered(&Settings::default());
        assert_eq!(anonymous["http"]["addr"], "127.0.0.1:5000");
        assert_eq!(anonymous["storage"]["delete"]["enabled"], true);
        assert_eq!(anonymous["storage"]["filesystem"]["rootdirectory"], "/store");
        for absent in ["auth", "compatibility", "catalog", "proxy", "validation"] {
            assert!(anonymous.get(absent).is_none(), "{absent}");
        }
        assert!(anonymous["http"].get("tls").is_none());

        let all = rendered(&Settings {
            auth: AuthMode::Token {
                realm: "http://r/token".into(),
                bundle: "/b.pem".into(),
            },
            tls: Some(("/c.pem".into(), "/k.pem".into())),
            client_ca: Some("/ca.pem".into()),
            proxy_remote: Some("http://127.0.0.1:1".into()),
            schema1: true,
            catalog_max_entries: Some(2),
            layer_urls: Some("^https://x/".into()),
        });
        assert_eq!(all["auth"]["token"]["realm"], "http://r/token");
        assert_eq!(all["auth"]["token"]["rootcertbundle"], "/b.pem");
        assert_eq!(all["auth"]["token"]["service"], crate::token::SERVICE);
        assert_eq!(all["http"]["tls"]["certificate"], "/c.pem");
        assert_eq!(all["http"]["tls"]["clientcas"][0], "/ca.pem");
        assert_eq!(all["proxy"]["remoteurl"], "http://127.0.0.1:1");
        assert_eq!(all["compatibility"]["schema1"]["enabled"], true);
        assert_eq!(all["catalog"]["maxentries"], 2);
        assert_eq!(all["validation"]["manifests"]["urls"]["allow"][0], "^https://x/");

        let basic = rendered(&Settings {
            auth: AuthMode::Htpasswd { path: "/h".into() },
            ..Settings::default()
        });
        assert_eq!(basic["auth"]["htpasswd"]["path"], "/h");
    }
}
