//! The OCI 1.1 referrers API, played by the proxy in front of a registry that lacks it
//! (distribution 2.8), from that registry's own data: the index under the fallback tag
//! `sha256-HEX` of a subject is the referrers list.
//!
//! - `GET /v2/NAME/referrers/DIGEST[?artifactType=T]` answers that index (an empty one when
//!   the tag does not exist), filtered by `artifactType` with `OCI-Filters-Applied` as the
//!   spec describes.
//! - A manifest `PUT` whose body has a `subject` is passed on, then the proxy adds the
//!   manifest's descriptor to the subject's fallback index itself, as a registry with the API
//!   keeps its referrers, and answers with `OCI-Subject`.
//!
//! A stand-in, not an attacker or a fault: the harness has no registry with the API, and this
//! lets the client's API path (detection and all) run against real stored data.

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::header::{ACCEPT, CONTENT_TYPE};
use hyper::{Method, Request, Response, StatusCode};
use serde_json::{json, Value};

use super::forward::forward;
use crate::serve::{full, Body, BodyError};

const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";

/// `(NAME, DIGEST)` of a referrers API path.
fn referrers_path(path: &str) -> Option<(&str, &str)> {
    let rest = path.strip_prefix("/v2/")?;
    let (name, digest) = rest.rsplit_once("/referrers/")?;
    Some((name, digest))
}

/// `NAME` of a manifest path.
fn manifest_name(path: &str) -> Option<&str> {
    let rest = path.strip_prefix("/v2/")?;
    rest.rsplit_once("/manifests/").map(|(name, _)| name)
}

/// Answers `request` as a registry with the referrers API would, when it is a request the API
/// changes; gives it back otherwise.
pub(super) async fn handle(
    upstream: &str,
    request: Request<Incoming>,
) -> Result<Response<Body>, Request<Incoming>> {
    let path = request.uri().path().to_owned();
    if request.method() == Method::GET {
        if let Some((name, digest)) = referrers_path(&path) {
            let artifact_type = request.uri().query().and_then(|q| {
                q.split('&')
                    .find_map(|kv| kv.strip_prefix("artifactType="))
                    .map(|t| t.replace("%2B", "+").replace("%2F", "/"))
            });
            return Ok(list(upstream, name, digest, artifact_type.as_deref()).await);
        }
    }
    if request.method() == Method::PUT {
        if let Some(name) = manifest_name(&path) {
            return Ok(put_manifest(upstream, name.to_owned(), request).await);
        }
    }
    Err(request)
}

fn fallback_tag(digest: &str) -> String {
    digest.replacen(':', "-", 1)
}

/// The manifests listed under `name`'s fallback tag for `digest` (none when it is missing).
async fn read_index(upstream: &str, name: &str, digest: &str) -> Result<Vec<Value>, BodyError> {
    let request = Request::get(format!("/v2/{name}/manifests/{}", fallback_tag(digest)))
        .header("host", upstream)
        .header(ACCEPT, OCI_INDEX)
        .body(Full::new(Bytes::new()))?;
    let response = forward(upstream, request).await?;
    if response.status() == StatusCode::NOT_FOUND {
        return Ok(Vec::new());
    }
    let body = response.into_body().collect().await?.to_bytes();
    let index: Value = serde_json::from_slice(&body)?;
    Ok(index["manifests"].as_array().cloned().unwrap_or_default())
}

async fn list(upstream: &str, name: &str, digest: &str, artifact_type: Option<&str>) -> Response<Body> {
    let manifests = match read_index(upstream, name, digest).await {
        Ok(manifests) => manifests,
        Err(error) => return bad_gateway(error),
    };
    let manifests: Vec<Value> = match artifact_type {
        Some(wanted) => manifests
            .into_iter()
            .filter(|d| d["artifactType"].as_str() == Some(wanted))
            .collect(),
        None => manifests,
    };
    let body = json!({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": manifests});
    let mut response = Response::builder()
        .status(StatusCode::OK)
        .header(CONTENT_TYPE, OCI_INDEX);
    if artifact_type.is_some() {
        response = response.header("oci-filters-applied", "artifactType");
    }
    response.body(full(body.to_string())).expect("referrers response")
}

async fn put_manifest(upstream: &str, name: String, request: Request<Incoming>) -> Response<Body> {
    let (parts, body) = request.into_parts();
    let bytes = match body.collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(error) => return bad_gateway(error.into()),
    };
    let manifest: Option<Value> = serde_json::from_slice(&bytes).ok();
    let media_type = parts
        .headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let passed = Request::from_parts(parts, Full::new(bytes.clone()));
    let response = match forward(upstream, passed).await {
        Ok(response) => response,
        Err(error) => return bad_gateway(error),
    };
    let (mut head, body) = response.into_parts();
    let body = match body.collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(error) => return bad_gateway(error.into()),
    };
    let subject = manifest
        .as_ref()
        .and_then(|m| m["subject"]["digest"].as_str())
        .map(str::to_owned);
    if let (Some(subject), true) = (subject, head.status == StatusCode::CREATED) {
        let manifest = manifest.unwrap_or_default();
        let mut entry = json!({
            "mediaType": media_type,
            "digest": format!("sha256:{}", crate::sha256(&bytes).trim_start_matches("sha256:")),
            "size": bytes.len(),
        });
        let artifact_type = manifest["artifactType"]
            .as_str()
            .or_else(|| manifest["config"]["mediaType"].as_str());
        if let Some(artifact_type) = artifact_type {
            entry["artifactType"] = Value::from(artifact_type);
        }
        if let Err(error) = add_referrer(upstream, &name, &subject, entry).await {
            return bad_gateway(error);
        }
        head.headers.insert(
            "oci-subject",
            subject.parse().expect("a digest is a header value"),
        );
    }
    Response::from_parts(head, full(body))
}

async fn add_referrer(upstream: &str, name: &str, subject: &str, entry: Value) -> Result<(), BodyError> {
    let mut manifests = read_index(upstream, name, subject).await?;
    if !manifests.iter().any(|d| d["digest"] == entry["digest"]) {
        manifests.push(entry);
    }
    let index = json!({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": manifests});
    let request = Request::put(format!("/v2/{name}/manifests/{}", fallback_tag(subject)))
        .header("host", upstream)
        .header(CONTENT_TYPE, OCI_INDEX)
        .body(Full::new(Bytes::from(index.to_string())))?;
    let response = forward(upstream, request).await?;
    if response.status() != StatusCode::CREATED {
        return Err(format!("writing the referrers index answered {}", response.status()).into());
    }
    Ok(())
}

fn bad_gateway(error: BodyError) -> Response<Body> {
    Response::builder()
        .status(StatusCode::BAD_GATEWAY)
        .body(full(format!(
            "referrers stand-in could not reach the registry: {error}"
        )))
        .expect("bad gateway response")
}
