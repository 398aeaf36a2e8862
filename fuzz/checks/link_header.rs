//! `Link: <...>; rel="next"` headers that paginate tag listings.
//!
//! The link parser is internal to `registry-client`, so this drives it through
//! the public listing API: an in-memory `Transport` answers every request with
//! 200, and the first tag page carries the fuzzed `Link` header. Properties:
//! the listing never panics (whatever the link target: relative, absolute, to
//! another host, malformed), and it ends after at most one more page, either
//! with the names served or with an error.
//!
//! Shared by the fuzz target and by the corpus replay test of `registry-client`.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use bytes::Bytes;
use futures_util::TryStreamExt;
use http::{HeaderValue, Request, Response};
use http_body_util::{BodyExt, Full};
use oci_manifest::Repository;
use registry_client::{Client, RepositoryRef, RequestBody, Transport, TransportFuture};

/// Answers every request with 200; tag pages list one tag each, and only the
/// first carries `link`.
#[derive(Debug)]
struct OnePageLink {
    link: HeaderValue,
    tag_pages: Arc<AtomicUsize>,
}

impl Transport for OnePageLink {
    fn send(&self, request: Request<RequestBody>) -> TransportFuture {
        let is_tag_page = request.uri().path().ends_with("/tags/list");
        let mut response = Response::builder().status(200);
        let body: &'static [u8] = if is_tag_page {
            let page = self.tag_pages.fetch_add(1, Ordering::SeqCst);
            if page == 0 {
                response = response.header(http::header::LINK, self.link.clone());
                br#"{"tags":["first"]}"#
            } else {
                br#"{"tags":["next"]}"#
            }
        } else {
            b"{}"
        };
        let response = response
            .header(http::header::CONTENT_TYPE, "application/json")
            .body(
                Full::new(Bytes::from_static(body))
                    .map_err(|never| match never {})
                    .boxed_unsync(),
            )
            .expect("valid response");
        Box::pin(async move { Ok(response) })
    }
}

/// Checks one input (as the fuzzer gives it: raw bytes) against the properties above;
/// a violation panics.
pub(crate) fn check(data: &[u8]) {
    let Ok(link) = HeaderValue::from_bytes(data) else {
        return;
    };
    let tag_pages = Arc::new(AtomicUsize::new(0));
    let client = Client::builder()
        .transport(OnePageLink {
            link,
            tag_pages: Arc::clone(&tag_pages),
        })
        .build()
        .expect("client");
    let repository = RepositoryRef::new(
        "localhost:5000",
        "team/app".parse::<Repository>().expect("repository"),
    );
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let listed: Result<Vec<String>, _> = runtime.block_on(client.tags(&repository, None).try_collect());
    if let Ok(names) = listed {
        let expected: &[&str] = if names.len() == 1 {
            &["first"]
        } else {
            &["first", "next"]
        };
        assert_eq!(names, expected);
    }
    assert!(
        tag_pages.load(Ordering::SeqCst) <= 2,
        "at most one page is followed"
    );
}
