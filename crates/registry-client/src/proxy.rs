//! Forward proxies from `HTTPS_PROXY`, `HTTP_PROXY` and `NO_PROXY`, as curl and Go read them.
//!
//! The matching is hyper-util's environment matcher (host, domain suffixes with or without a
//! leading dot, IP literals and CIDR ranges); `NO_PROXY` entries with a port (`host:port`,
//! which Go honours and the matcher does not) are matched here by running the same matcher on
//! the entry's host for destinations on that port, and `*` (which the matcher applies to names
//! only) turns proxying off for every host, as curl and Go do. https destinations go through a `CONNECT`
//! tunnel (hyper-util's [`Tunnel`]), so the proxy sees only the host and port, never a request
//! or its `Authorization`; plain-http destinations are sent to the proxy in absolute form.
//! Credentials in the proxy URL go as `Proxy-Authorization` to the proxy and nowhere else.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use http::header::HeaderValue;
use http::uri::Scheme;
use http::Uri;
use hyper::rt::{Read, ReadBufCursor, Write};
use hyper_util::client::legacy::connect::proxy::Tunnel;
use hyper_util::client::legacy::connect::{Connected, Connection, HttpConnector};
use hyper_util::client::proxy::matcher::Matcher;
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;
use tower_service::Service;

use crate::environment::NetworkEnv;
use crate::error::{BoxError, Error};

/// Which proxy, if any, each destination goes through.
#[derive(Debug)]
pub(crate) struct Proxies {
    matcher: Matcher,
    /// `NO_PROXY` entries with a port: the port, and a matcher that intercepts everything but
    /// the entry's host.
    port_exceptions: Vec<(u16, Matcher)>,
    /// `NO_PROXY` holds `*`: nothing is proxied. (The matcher applies `*` to names but not to
    /// IP addresses; curl and Go apply it to every host.)
    none: bool,
}

/// The proxy a request goes through.
#[derive(Debug, Clone)]
pub(crate) struct Route {
    /// The proxy, without credentials (safe to log).
    pub(crate) proxy: Uri,
    /// `Proxy-Authorization` from the proxy URL's credentials.
    pub(crate) authorization: Option<HeaderValue>,
}

impl Proxies {
    /// The proxies of `env`; a proxy URL that is not `http://` (or a bare `host:port`) is an
    /// error, since a silently ignored proxy setting sends traffic where the user said not to.
    pub(crate) fn from_env(env: &NetworkEnv) -> Result<Proxies, Error> {
        for (variable, value) in [("HTTPS_PROXY", &env.https_proxy), ("HTTP_PROXY", &env.http_proxy)] {
            if let Some(value) = value {
                check_proxy_url(variable, value)?;
            }
        }
        let all_but_ports = no_proxy_entries(env.no_proxy.as_deref().unwrap_or_default());
        let mut none = false;
        let mut no_proxy = Vec::new();
        let mut port_exceptions = Vec::new();
        for entry in all_but_ports {
            none |= entry == "*";
            match split_port(entry) {
                Some((host, port)) => port_exceptions.push((
                    port,
                    Matcher::builder()
                        .all("http://exception.invalid")
                        .no(host)
                        .build(),
                )),
                None => no_proxy.push(entry),
            }
        }
        let matcher = Matcher::builder()
            .https(env.https_proxy.clone().unwrap_or_default())
            .http(env.http_proxy.clone().unwrap_or_default())
            .no(no_proxy.join(","))
            .build();
        Ok(Proxies {
            matcher,
            port_exceptions,
            none,
        })
    }

    /// The proxy for `destination`, or `None` to connect directly.
    pub(crate) fn route(&self, destination: &Uri) -> Option<Route> {
        if self.none {
            return None;
        }
        let port = destination.port_u16().or_else(|| match destination.scheme_str() {
            Some("https") => Some(443),
            Some("http") => Some(80),
            _ => None,
        });
        let excepted = self.port_exceptions.iter().any(|(entry_port, matcher)| {
            Some(*entry_port) == port && matcher.intercept(destination).is_none()
        });
        if excepted {
            return None;
        }
        let intercept = self.matcher.intercept(destination)?;
        Some(Route {
            proxy: intercept.uri().clone(),
            authorization: intercept.basic_auth().cloned(),
        })
    }
}

fn no_proxy_entries(value: &str) -> impl Iterator<Item = &str> {
    value.split(',').map(str::trim).filter(|entry| !entry.is_empty())
}

/// `host:port` (or `[v6]:port`) split in two; `None` for entries without a port (a bare IPv6
/// address has colons but no port).
fn split_port(entry: &str) -> Option<(&str, u16)> {
    let (host, port) = entry.rsplit_once(':')?;
    let port = port.parse().ok()?;
    let bracketed = host.starts_with('[') && host.ends_with(']');
    if host.contains(':') && !bracketed {
        return None;
    }
    Some((host, port))
}

fn check_proxy_url(variable: &'static str, value: &str) -> Result<(), Error> {
    let shown = without_userinfo(value);
    let error = |reason: &str| Error::Proxy {
        variable,
        url: shown.clone(),
        reason: reason.to_owned(),
    };
    let uri: Uri = value.parse().map_err(|_| error("not a URL"))?;
    match uri.scheme() {
        None => {}
        Some(scheme) if *scheme == Scheme::HTTP => {}
        Some(_) => return Err(error("only http:// proxies are supported")),
    }
    if uri.host().map_or(true, str::is_empty) {
        return Err(error("no proxy host"));
    }
    Ok(())
}

/// A proxy URL with any `user:password@` cut out, for messages.
fn without_userinfo(value: &str) -> String {
    let (scheme, rest) = value.split_once("://").unwrap_or(("", value));
    let rest = rest.rsplit_once('@').map_or(rest, |(_, host)| host);
    if scheme.is_empty() {
        rest.to_owned()
    } else {
        format!("{scheme}://{rest}")
    }
}

/// The connector under TLS: direct, through a `CONNECT` tunnel, or to the proxy for a plain-http
/// request in absolute form.
#[derive(Debug, Clone)]
pub(crate) struct RouteConnector {
    pub(crate) http: HttpConnector,
    pub(crate) proxies: Arc<Proxies>,
}

type Connecting = Pin<Box<dyn Future<Output = Result<RoutedIo, BoxError>> + Send>>;

impl Service<Uri> for RouteConnector {
    type Response = RoutedIo;
    type Error = BoxError;
    type Future = Connecting;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        self.http.poll_ready(cx).map_err(BoxError::from)
    }

    fn call(&mut self, destination: Uri) -> Connecting {
        let mut http = self.http.clone();
        match self.proxies.route(&destination) {
            None => Box::pin(async move {
                let io = http.call(destination).await?;
                Ok(RoutedIo { io, forward: false })
            }),
            Some(route) if destination.scheme() == Some(&Scheme::HTTPS) => {
                let mut tunnel = Tunnel::new(route.proxy, http);
                if let Some(authorization) = route.authorization {
                    tunnel = tunnel.with_auth(authorization);
                }
                Box::pin(async move {
                    let io = tunnel.call(destination).await?;
                    Ok(RoutedIo { io, forward: false })
                })
            }
            Some(route) => Box::pin(async move {
                let io = http.call(route.proxy).await?;
                Ok(RoutedIo { io, forward: true })
            }),
        }
    }
}

/// A connection, marked as one to a forward proxy when requests on it must be in absolute form.
#[derive(Debug)]
pub(crate) struct RoutedIo {
    io: TokioIo<TcpStream>,
    forward: bool,
}

impl Connection for RoutedIo {
    fn connected(&self) -> Connected {
        self.io.connected().proxy(self.forward)
    }
}

impl Read for RoutedIo {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: ReadBufCursor<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_read(cx, buf)
    }
}

impl Write for RoutedIo {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().io).poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_shutdown(cx)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().io).poll_write_vectored(cx, bufs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn proxies(https: &str, http: &str, no: &str) -> Proxies {
        let some = |v: &str| (!v.is_empty()).then(|| v.to_owned());
        Proxies::from_env(&NetworkEnv {
            https_proxy: some(https),
            http_proxy: some(http),
            no_proxy: some(no),
            ..NetworkEnv::default()
        })
        .unwrap()
    }

    fn via(proxies: &Proxies, url: &str) -> Option<String> {
        proxies
            .route(&url.parse().unwrap())
            .map(|route| route.proxy.to_string())
    }

    #[test]
    fn no_proxy_has_curl_and_go_meaning() {
        let p = proxies(
            "http://sq:3128",
            "http://plain:8080",
            "internal.example, .corp.example,10.0.0.0/8,::1,192.168.1.7, only.example:5000",
        );
        assert_eq!(
            via(&p, "https://r.example/v2/").as_deref(),
            Some("http://sq:3128/")
        );
        assert_eq!(
            via(&p, "http://r.example/v2/").as_deref(),
            Some("http://plain:8080/")
        );
        for direct in [
            "https://internal.example/v2/",
            "https://a.internal.example/v2/",
            "https://corp.example/v2/",
            "https://x.corp.example/v2/",
            "https://10.1.2.3:5000/v2/",
            "https://[::1]:5000/v2/",
            "https://192.168.1.7/v2/",
            "https://only.example:5000/v2/",
        ] {
            assert_eq!(via(&p, direct), None, "{direct}");
        }
        for proxied in [
            "https://notinternal.example/v2/",
            "https://only.example/v2/",
            "https://only.example:5001/v2/",
            "https://192.168.1.8/v2/",
        ] {
            assert!(via(&p, proxied).is_some(), "{proxied}");
        }
        let everything = proxies("http://sq:3128", "", "*");
        assert_eq!(via(&everything, "https://r.example/v2/"), None);
        assert_eq!(via(&everything, "https://10.1.2.3/v2/"), None);
        assert_eq!(via(&proxies("http://sq:3128", "", ""), "http://r.example/"), None);
    }

    #[test]
    fn credentials_in_the_proxy_url_become_proxy_authorization_only() {
        let p = proxies("http://al%40ice:s3cret@sq:3128", "", "");
        let route = p.route(&"https://r.example/v2/".parse().unwrap()).unwrap();
        assert_eq!(route.proxy.to_string(), "http://sq:3128/");
        let authorization = route.authorization.unwrap();
        assert!(authorization.is_sensitive());
        assert_eq!(authorization, "Basic YWxAaWNlOnMzY3JldA==");
    }

    #[test]
    fn unusable_proxy_urls_are_errors_without_their_credentials() {
        for (value, reason) in [
            ("https://u:pw@sq:3128", "only http://"),
            ("socks5://sq:1080", "only http://"),
            ("http://", "not a URL"),
        ] {
            let env = NetworkEnv {
                https_proxy: Some(value.to_owned()),
                ..NetworkEnv::default()
            };
            let error = Proxies::from_env(&env).unwrap_err().to_string();
            assert!(
                error.contains("HTTPS_PROXY") && error.contains(reason),
                "{value}: {error}"
            );
            assert!(!error.contains("pw"), "{error}");
        }
        assert!(Proxies::from_env(&NetworkEnv {
            http_proxy: Some("sq:3128".to_owned()),
            ..NetworkEnv::default()
        })
        .is_ok());
    }

    #[test]
    fn ports_split_off_only_where_there_is_one() {
        assert_eq!(split_port("h:5000"), Some(("h", 5000)));
        assert_eq!(split_port("[::1]:5000"), Some(("[::1]", 5000)));
        assert_eq!(split_port("::1"), None);
        assert_eq!(split_port("h"), None);
        assert_eq!(without_userinfo("http://u:p@h:1"), "http://h:1");
        assert_eq!(without_userinfo("u:p@h:1"), "h:1");
    }
}
