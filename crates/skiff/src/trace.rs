//! `-vv`: every request and response head in the log, with every secret redacted.
//!
//! The client's own logs say what it decided (scheme, retries); this transport wrapper says
//! what went over the wire. Credentials live in headers (`Authorization`, cookies) and signed
//! URLs carry them in the query, so both are cut before anything is logged.

use std::fmt;

use http::header::{AUTHORIZATION, COOKIE, LOCATION, PROXY_AUTHORIZATION, SET_COOKIE};
use http::{HeaderMap, Request, Uri};
use registry_client::{RequestBody, Transport, TransportFuture};

/// Wraps a transport and traces each exchange at the `TRACE` level.
#[derive(Debug)]
pub(crate) struct TracingTransport<T> {
    inner: T,
}

impl<T> TracingTransport<T> {
    pub(crate) fn new(inner: T) -> TracingTransport<T> {
        TracingTransport { inner }
    }
}

impl<T: Transport> Transport for TracingTransport<T> {
    fn send(&self, request: Request<RequestBody>) -> TransportFuture {
        if !tracing::enabled!(tracing::Level::TRACE) {
            return self.inner.send(request);
        }
        let method = request.method().clone();
        let url = without_query(request.uri());
        tracing::trace!(%method, %url, headers = %Redacted(request.headers()), "request");
        let response = self.inner.send(request);
        Box::pin(async move {
            let result = response.await;
            match &result {
                Ok(response) => tracing::trace!(
                    %method,
                    %url,
                    status = %response.status(),
                    headers = %Redacted(response.headers()),
                    "response"
                ),
                Err(error) => tracing::trace!(%method, %url, %error, "no response"),
            }
            result
        })
    }
}

/// A URL without its query string, which may hold upload state or signatures.
fn without_query(uri: &Uri) -> String {
    redact_query(&uri.to_string())
}

/// Headers as `name: value` pairs, secrets replaced by `<redacted>`.
struct Redacted<'a>(&'a HeaderMap);

impl fmt::Display for Redacted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, (name, value)) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            let secret = value.is_sensitive()
                || [AUTHORIZATION, PROXY_AUTHORIZATION, COOKIE, SET_COOKIE].contains(name);
            let shown = if secret {
                "<redacted>".to_owned()
            } else if *name == LOCATION {
                value
                    .to_str()
                    .map_or_else(|_| "<binary>".to_owned(), redact_query)
            } else {
                value.to_str().unwrap_or("<binary>").to_owned()
            };
            write!(f, "{name}: {shown}")?;
        }
        Ok(())
    }
}

fn redact_query(url: &str) -> String {
    match url.split_once('?') {
        Some((before, _)) => format!("{before}?<redacted>"),
        None => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use http::HeaderValue;

    use super::*;

    #[test]
    fn secrets_never_reach_the_log() {
        let mut headers = HeaderMap::new();
        headers.insert(
            AUTHORIZATION,
            HeaderValue::from_static("Basic YWxpY2U6aHVudGVyMg=="),
        );
        headers.insert(COOKIE, HeaderValue::from_static("sid=hunter2"));
        headers.insert(
            LOCATION,
            HeaderValue::from_static("https://cdn.example/b?sig=hunter2"),
        );
        let mut sensitive = HeaderValue::from_static("hunter2");
        sensitive.set_sensitive(true);
        headers.insert("x-custom-token", sensitive);
        headers.insert("docker-content-digest", HeaderValue::from_static("sha256:abc"));
        let shown = Redacted(&headers).to_string();
        assert!(!shown.contains("hunter2") && !shown.contains("YWxp"), "{shown}");
        assert!(shown.contains("authorization: <redacted>"), "{shown}");
        assert!(
            shown.contains("location: https://cdn.example/b?<redacted>"),
            "{shown}"
        );
        assert!(shown.contains("docker-content-digest: sha256:abc"), "{shown}");

        let uri: Uri = "http://127.0.0.1:5000/v2/a/blobs/uploads/x?_state=secret"
            .parse()
            .unwrap();
        assert_eq!(
            without_query(&uri),
            "http://127.0.0.1:5000/v2/a/blobs/uploads/x?<redacted>"
        );
    }
}
