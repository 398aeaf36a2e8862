//! The fault proxy in front of a real registry: each fault observed with plain HTTP requests.

use std::time::Duration;

use hyper::Method;
use skiff_integration::{
    sha256, Fault, FaultProxy, HttpRequest, HttpResponse, ImageRef, Latency, Match, RandomImage, Registry,
    Route, Rule, Skopeo, TokenService, TokenUser, User, SERVICE,
};

/// Pseudo-random bytes that gzip cannot shrink, so offsets in tests mean what they say.
fn blob_bytes(len: usize) -> Vec<u8> {
    let mut rng = fastrand::Rng::with_seed(len as u64);
    (0..len).map(|_| rng.u8(..)).collect()
}

/// Uploads `bytes` to `repo` with POST then a monolithic PUT, through `base` (a URL prefix), and
/// returns the digest.
fn upload(base: &str, repo: &str, bytes: &[u8], authorization: Option<&str>) -> String {
    let digest = sha256(bytes);
    let with_auth = |request: HttpRequest| match authorization {
        Some(value) => request.header("authorization", value),
        None => request,
    };
    let started = with_auth(HttpRequest::new(
        Method::POST,
        format!("{base}/v2/{repo}/blobs/uploads/"),
    ))
    .send_blocking();
    assert_eq!(
        started.status(),
        202,
        "{}",
        String::from_utf8_lossy(started.body())
    );
    let location = started.header("location").expect("upload location").to_owned();
    let location = if location.starts_with('/') {
        format!("{base}{location}")
    } else {
        location
    };
    assert!(
        location.starts_with(base),
        "the upload URL leads back through {base}: {location}"
    );
    let separator = if location.contains('?') { '&' } else { '?' };
    let put = with_auth(HttpRequest::new(
        Method::PUT,
        format!("{location}{separator}digest={digest}"),
    ))
    .header("content-type", "application/octet-stream")
    .body(bytes.to_vec())
    .send_blocking();
    assert_eq!(put.status(), 201, "{}", String::from_utf8_lossy(put.body()));
    digest
}

fn get_blob(proxy: &FaultProxy, repo: &str, digest: &str) -> HttpRequest {
    HttpRequest::get(proxy.url(&format!("/v2/{repo}/blobs/{digest}")))
}

fn text(response: &HttpResponse) -> String {
    String::from_utf8_lossy(response.body()).into_owned()
}

#[test]
fn requests_pass_through_and_are_counted() {
    let registry = Registry::anonymous();
    let proxy = FaultProxy::start(&registry);
    let bytes = blob_bytes(10_000);
    let digest = upload(&proxy.url(""), "pass/through", &bytes, None);

    let ping = HttpRequest::get(proxy.url("/v2/")).send_blocking();
    assert_eq!(ping.status(), 200);
    assert_eq!(
        ping.header("docker-distribution-api-version"),
        Some("registry/2.0")
    );
    let blob = get_blob(&proxy, "pass/through", &digest).send_blocking();
    assert_eq!(
        (blob.status().as_u16(), sha256(blob.body())),
        (200, sha256(bytes.as_slice()))
    );
    let head = HttpRequest::new(
        Method::HEAD,
        proxy.url(&format!("/v2/pass/through/blobs/{digest}")),
    )
    .send_blocking();
    assert_eq!(head.header("content-length"), Some("10000"));

    assert_eq!(proxy.count(&Method::POST, Route::Upload), 1);
    assert_eq!(proxy.count(&Method::PUT, Route::Upload), 1);
    assert_eq!(proxy.count(&Method::GET, Route::Ping), 1);
    assert_eq!(proxy.count(&Method::GET, Route::Blob), 1);
    assert_eq!(proxy.count(&Method::HEAD, Route::Blob), 1);
    assert_eq!(proxy.counts().values().sum::<usize>(), 5);
    assert_eq!(proxy.faults_applied(), 0);
}

#[test]
fn cut_connection_delivers_a_prefix_then_range_resumes() {
    let registry = Registry::anonymous();
    let proxy = FaultProxy::start(&registry);
    let bytes = blob_bytes(200_000);
    let digest = upload(&proxy.url(""), "cut/blob", &bytes, None);
    proxy.add(Rule::new(Match::blob_get(), Fault::CutBodyAfter(100_000)).times(1));

    let cut = get_blob(&proxy, "cut/blob", &digest).send_blocking();
    assert_eq!(cut.status(), 200);
    assert_eq!(
        cut.header("content-length"),
        Some("200000"),
        "the full length is announced"
    );
    assert!(cut.body_error().is_some(), "the body must end in an error");
    assert_eq!(cut.body().len(), 100_000, "bytes delivered before the cut");
    assert!(
        cut.body() == &bytes[..100_000],
        "the delivered bytes are the blob's start"
    );

    let rest = get_blob(&proxy, "cut/blob", &digest)
        .header("range", "bytes=100000-")
        .send_blocking();
    assert_eq!(rest.status(), 206, "{}", text(&rest));
    assert!(rest.body_error().is_none());
    assert!(
        [cut.body(), rest.body()].concat() == bytes,
        "prefix and resumed rest make the blob"
    );
    assert_eq!(proxy.faults_applied(), 1);
}

#[test]
fn ignored_range_serves_the_whole_blob() {
    let registry = Registry::anonymous();
    let proxy = FaultProxy::start(&registry);
    let bytes = blob_bytes(5_000);
    let digest = upload(&proxy.url(""), "range/blob", &bytes, None);

    let partial = get_blob(&proxy, "range/blob", &digest)
        .header("range", "bytes=4000-")
        .send_blocking();
    assert_eq!(
        (partial.status().as_u16(), sha256(partial.body())),
        (206, sha256(&bytes[4000..]))
    );

    proxy.add(Rule::new(Match::blob_get(), Fault::IgnoreRange));
    let whole = get_blob(&proxy, "range/blob", &digest)
        .header("range", "bytes=4000-")
        .send_blocking();
    assert_eq!(
        (whole.status().as_u16(), sha256(whole.body())),
        (200, sha256(bytes.as_slice()))
    );
}

#[test]
fn status_faults_carry_retry_after_then_stop() {
    let registry = Registry::anonymous();
    let proxy = FaultProxy::start(&registry);
    let manifests = Match::any().route(Route::Manifest);
    proxy.add(
        Rule::new(
            manifests.clone(),
            Fault::Status {
                status: 429,
                retry_after: Some(2),
            },
        )
        .times(2),
    );
    proxy.add(
        Rule::new(
            manifests,
            Fault::Status {
                status: 503,
                retry_after: None,
            },
        )
        .times(1),
    );

    let url = proxy.url("/v2/some/repo/manifests/latest");
    for _ in 0..2 {
        let limited = HttpRequest::get(&url).send_blocking();
        assert_eq!(limited.status(), 429);
        assert_eq!(limited.header("retry-after"), Some("2"));
        assert_eq!(limited.json()["errors"][0]["code"], "TOOMANYREQUESTS");
    }
    let unavailable = HttpRequest::get(&url).send_blocking();
    assert_eq!(unavailable.status(), 503);
    assert_eq!(unavailable.header("retry-after"), None);
    let real = HttpRequest::get(&url).send_blocking();
    assert_eq!(real.status(), 404, "the registry answers once the faults run out");
    assert_eq!(proxy.count(&Method::GET, Route::Manifest), 4);
    assert_eq!(proxy.faults_applied(), 3);
}

/// A token registry behind a proxy, and a Bearer token for `repo` with pull and push.
fn token_setup(repo: &str) -> (TokenService, Registry, FaultProxy, String) {
    let tokens = TokenService::builder()
        .user(TokenUser::admin("alice", "wonderland"))
        .start();
    let registry = Registry::builder().token(&tokens).start();
    let proxy = FaultProxy::start(&registry);
    let response = HttpRequest::get(format!(
        "{}?service={SERVICE}&scope=repository%3A{}%3Apull%2Cpush",
        tokens.realm(),
        repo.replace('/', "%2F")
    ))
    .header("authorization", "Basic YWxpY2U6d29uZGVybGFuZA==")
    .send_blocking();
    let token = response.json()["token"].as_str().expect("token").to_owned();
    (tokens, registry, proxy, format!("Bearer {token}"))
}

#[test]
fn unauthorized_once_sends_the_registry_challenge() {
    let (tokens, _registry, proxy, bearer) = token_setup("secure/app");
    proxy.add(Rule::new(Match::any().route(Route::Tags), Fault::Unauthorized).times(1));
    let url = proxy.url("/v2/secure/app/tags/list");

    let refused = HttpRequest::get(&url)
        .header("authorization", &bearer)
        .send_blocking();
    assert_eq!(refused.status(), 401);
    let challenge = refused.header("www-authenticate").expect("a challenge");
    assert!(
        challenge.starts_with(&format!("Bearer realm=\"{}\"", tokens.realm())),
        "{challenge}"
    );
    assert!(challenge.ends_with(",error=\"invalid_token\""), "{challenge}");
    assert_eq!(refused.json()["errors"][0]["code"], "UNAUTHORIZED");

    let accepted = HttpRequest::get(&url)
        .header("authorization", &bearer)
        .send_blocking();
    assert_eq!(
        accepted.status(),
        404,
        "the same token works again: {}",
        text(&accepted)
    );
    assert!(proxy.requests().iter().all(|r| r.had_authorization));
}

#[test]
fn redirected_blobs_come_from_the_mirror_which_records_authorization() {
    let (_tokens, _registry, proxy, bearer) = token_setup("cdn/app");
    let bytes = blob_bytes(30_000);
    let digest = upload(&proxy.url(""), "cdn/app", &bytes, Some(&bearer));
    proxy.add(Rule::new(Match::blob_get(), Fault::RedirectToMirror));

    let redirect = get_blob(&proxy, "cdn/app", &digest)
        .header("authorization", &bearer)
        .send_blocking();
    assert_eq!(redirect.status(), 307);
    let location = redirect.header("location").expect("a Location").to_owned();
    assert!(
        location.starts_with("http://127.0.0.1:") && !location.starts_with(&proxy.url("")),
        "{location}"
    );

    // Like a pre-signed CDN URL, the location works without credentials.
    let served = HttpRequest::get(&location).send_blocking();
    assert_eq!(
        (served.status().as_u16(), sha256(served.body())),
        (200, sha256(bytes.as_slice()))
    );
    let ranged = HttpRequest::get(&location)
        .header("range", "bytes=29990-")
        .header("authorization", &bearer);
    let ranged = ranged.send_blocking();
    assert_eq!(
        (ranged.status().as_u16(), sha256(ranged.body())),
        (206, sha256(&bytes[29_990..]))
    );

    let hits = proxy.mirror_hits();
    assert_eq!(hits.len(), 2);
    assert_eq!(hits[0].path, format!("/v2/cdn/app/blobs/{digest}"));
    assert!(!hits[0].had_authorization && hits[0].range.is_none());
    assert!(
        hits[1].had_authorization,
        "a leaked Authorization header is recorded"
    );
    assert_eq!(hits[1].range.as_deref(), Some("bytes=29990-"));
}

#[test]
fn corrupted_byte_changes_exactly_one_byte() {
    let registry = Registry::anonymous();
    let proxy = FaultProxy::start(&registry);
    let bytes = blob_bytes(70_000);
    let digest = upload(&proxy.url(""), "bad/bytes", &bytes, None);
    proxy.add(Rule::new(Match::blob_get(), Fault::CorruptByteAt(65_000)).times(1));

    let corrupted = get_blob(&proxy, "bad/bytes", &digest).send_blocking();
    assert_eq!(corrupted.status(), 200);
    assert!(corrupted.body_error().is_none());
    assert_eq!(corrupted.body().len(), bytes.len());
    let differing: Vec<usize> = (0..bytes.len())
        .filter(|&i| corrupted.body()[i] != bytes[i])
        .collect();
    assert_eq!(differing, [65_000]);
    assert_ne!(sha256(corrupted.body()), digest);
    assert_eq!(
        get_blob(&proxy, "bad/bytes", &digest).send_blocking().body(),
        bytes.as_slice()
    );
}

#[test]
fn delayed_answers_outlast_a_short_timeout() {
    let registry = Registry::anonymous();
    let proxy = FaultProxy::start(&registry);
    proxy.add(
        Rule::new(
            Match::any().route(Route::Ping),
            Fault::Delay(Duration::from_secs(10)),
        )
        .times(1),
    );
    let late = HttpRequest::get(proxy.url("/v2/")).send_blocking_within(Duration::from_millis(300));
    assert!(late.is_none(), "the answer was held back");
    let prompt = HttpRequest::get(proxy.url("/v2/")).send_blocking_within(Duration::from_secs(10));
    assert_eq!(prompt.map(|r| r.status().as_u16()), Some(200));
}

#[test]
fn cut_upload_kills_the_upload_and_commits_nothing() {
    let registry = Registry::anonymous();
    let proxy = FaultProxy::start(&registry);
    let bytes = blob_bytes(300_000);
    let digest = sha256(&bytes);
    let started = HttpRequest::new(Method::POST, proxy.url("/v2/up/load/blobs/uploads/")).send_blocking();
    let location = started.header("location").expect("upload location").to_owned();
    let patches = Match::any().method(Method::PATCH).route(Route::Upload);
    proxy.add(Rule::new(patches, Fault::CutRequestAfter(100_000)).times(1));

    let failure = HttpRequest::new(Method::PATCH, &location)
        .header("content-type", "application/octet-stream")
        .body(bytes.clone())
        .try_send_blocking()
        .expect_err("the connection is dropped without an answer");
    assert_eq!(failure.stage(), "exchange");

    // distribution 2.8 keeps what arrived, so the offset recorded in the upload URL's state no
    // longer matches and that URL is dead: a client has to start a new upload.
    let status = HttpRequest::get(&location).send_blocking();
    assert_eq!(status.status(), 404, "{}", text(&status));
    assert_eq!(status.json()["errors"][0]["code"], "BLOB_UPLOAD_INVALID");
    let head =
        HttpRequest::new(Method::HEAD, proxy.url(&format!("/v2/up/load/blobs/{digest}"))).send_blocking();
    assert_eq!(head.status(), 404, "no truncated blob was committed");

    assert_eq!(upload(&proxy.url(""), "up/load", &bytes, None), digest);
    let blob = get_blob(&proxy, "up/load", &digest).send_blocking();
    assert_eq!(sha256(blob.body()), digest);
}

#[test]
fn stalled_body_outlasts_a_short_timeout() {
    let registry = Registry::anonymous();
    let proxy = FaultProxy::start(&registry);
    let bytes = blob_bytes(50_000);
    let digest = upload(&proxy.url(""), "slow/blob", &bytes, None);
    proxy.add(Rule::new(Match::blob_get(), Fault::StallBodyAfter(20_000)).times(1));
    let stalled = get_blob(&proxy, "slow/blob", &digest).send_blocking_within(Duration::from_millis(500));
    assert!(stalled.is_none(), "the body never completed");
    let whole = get_blob(&proxy, "slow/blob", &digest).send_blocking_within(Duration::from_secs(10));
    assert_eq!(whole.map(|r| sha256(r.body())), Some(digest));
}

#[test]
fn skopeo_works_through_the_proxy() {
    let tokens = TokenService::builder()
        .user(TokenUser::admin("alice", "wonderland"))
        .start();
    let registry = Registry::builder().token(&tokens).start();
    let proxy = FaultProxy::start(&registry);
    let skopeo = Skopeo::new();
    let image = RandomImage::build("proxied", &[2_000, 40_000]);
    let target = ImageRef::through_proxy(&proxy, &registry, "via/proxy:1");
    let digest = skopeo
        .copy(&ImageRef::local(image.oci_reference()), &target, None)
        .unwrap_or_else(|e| registry.fail(e));
    assert_eq!(skopeo.inspect(&target).unwrap()["Digest"], digest.as_str());

    assert_eq!(proxy.count(&Method::PUT, Route::Manifest), 1);
    assert!(
        proxy.count(&Method::PUT, Route::Upload) >= 3,
        "config and two layers: {:?}",
        proxy.counts()
    );
    let uploads = proxy.requests().into_iter().filter(|r| r.route == Route::Upload);
    assert!(
        uploads.clone().all(|r| r.had_authorization),
        "every upload request was authorised"
    );
    assert!(tokens
        .requests()
        .iter()
        .any(|r| r.subject.as_deref() == Some("alice")));
}

#[tokio::test]
async fn the_harness_serves_async_tests_too() {
    let tokens = TokenService::builder()
        .user(TokenUser::admin("alice", "wonderland"))
        .start();
    let registry = Registry::builder().token(&tokens).start();
    let proxy = FaultProxy::start(&registry);
    let unavailable = Fault::Status {
        status: 503,
        retry_after: Some(1),
    };
    proxy.add(Rule::new(Match::any().route(Route::Ping), unavailable).times(1));
    let first = HttpRequest::get(proxy.url("/v2/")).send().await;
    assert_eq!(first.status(), 503);
    let second = HttpRequest::get(proxy.url("/v2/")).send().await;
    assert_eq!(second.status(), 401, "the real registry asks for a token");
    let token = HttpRequest::get(format!("{}?service={SERVICE}", tokens.realm()))
        .send()
        .await;
    assert_eq!(token.status(), 200);
}

#[test]
fn tls_proxy_serves_skopeo_and_its_redirects_downgrade_to_http() {
    let registry = Registry::builder()
        .htpasswd(&[User::new("alice", "wonderland")])
        .start();
    let proxy = FaultProxy::start_tls(&registry);
    assert!(proxy.url("/v2/").starts_with("https://127.0.0.1:"));
    let skopeo = Skopeo::new();
    let image = RandomImage::build("tls proxy", &[3_000, 9_000]);
    let remote = ImageRef::through_proxy(&proxy, &registry, "tls/app:1");
    let digest = skopeo
        .copy(&ImageRef::local(image.oci_reference()), &remote, None)
        .unwrap_or_else(|e| registry.fail(e));
    assert_eq!(proxy.count(&Method::PUT, Route::Manifest), 1);

    proxy.add(Rule::new(Match::blob_get(), Fault::RedirectToMirror));
    let pulled = tempfile::tempdir().unwrap();
    let local = ImageRef::local(format!("oci:{}:pulled", pulled.path().display()));
    let copied = skopeo
        .copy(&remote, &local, None)
        .unwrap_or_else(|e| registry.fail(e));
    assert_eq!(copied, digest);
    // skopeo (Go) follows the https-to-http redirect and drops Authorization on the way; a client
    // that refuses downgrades must fail here instead.
    let hits = proxy.mirror_hits();
    assert_eq!(
        hits.len(),
        3,
        "config and both layers came from the http mirror: {hits:?}"
    );
    assert!(hits.iter().all(|hit| !hit.had_authorization), "{hits:?}");
    let redirected = proxy
        .requests()
        .into_iter()
        .filter(|r| r.fault == Some(Fault::RedirectToMirror));
    assert_eq!(redirected.count(), 3);
}

#[test]
fn hold_until_counts_the_requests_held_at_once() {
    let registry = Registry::anonymous();
    let proxy = FaultProxy::start(&registry);
    let hold = Fault::HoldUntil {
        together: 3,
        at_most: Duration::from_secs(30),
    };
    proxy.add(Rule::new(Match::any().route(Route::Ping), hold));
    // Three at once open the gate long before it would give up.
    let url = proxy.url("/v2/");
    let requests: Vec<_> = (0..3)
        .map(|_| {
            let url = url.clone();
            std::thread::spawn(move || HttpRequest::get(url).send_blocking_within(Duration::from_secs(20)))
        })
        .collect();
    for request in requests {
        let answer = request.join().unwrap();
        assert_eq!(answer.map(|r| r.status().as_u16()), Some(200));
    }
    assert_eq!(proxy.most_held(), 3);
    // The gate stays open.
    let after = HttpRequest::get(proxy.url("/v2/")).send_blocking_within(Duration::from_secs(5));
    assert_eq!(after.map(|r| r.status().as_u16()), Some(200));

    // Alone, a request waits `at_most`, then goes on; one was held at once.
    let alone = FaultProxy::start(&registry);
    let hold = Fault::HoldUntil {
        together: 2,
        at_most: Duration::from_millis(300),
    };
    alone.add(Rule::new(Match::any().route(Route::Ping), hold));
    let answer = HttpRequest::get(alone.url("/v2/")).send_blocking_within(Duration::from_secs(20));
    assert_eq!(answer.map(|r| r.status().as_u16()), Some(200));
    assert_eq!(alone.most_held(), 1);
}

/// The far-registry latency: every exchange costs at least both delays, and requests on many
/// connections wait at once rather than one after the other, while a kept-alive connection
/// carries request after request.
#[test]
fn latency_delays_every_exchange_without_serialising_connections() {
    let registry = Registry::anonymous();
    let proxy = FaultProxy::start(&registry);
    // Long delays, so that the properties below hold with a wide margin on a loaded machine.
    let latency = Latency::each_way(Duration::from_millis(300));
    proxy.set_latency(latency);
    let round_trip = latency.round_trip();

    // A lower bound, seen by the client and recorded by the proxy.
    let started = std::time::Instant::now();
    let answer = HttpRequest::get(proxy.url("/v2/")).send_blocking_within(Duration::from_secs(20));
    assert_eq!(answer.map(|r| r.status().as_u16()), Some(200));
    assert!(
        started.elapsed() >= round_trip,
        "{:?} < {round_trip:?}",
        started.elapsed()
    );
    let ping = &proxy.requests()[0];
    let answered = ping.answered.expect("answered");
    assert!(answered - ping.arrived >= round_trip, "{ping:?}");

    // Eight at once, each on its own connection: all eight are in flight together (every one
    // arrived before any answer left), which one-at-a-time forwarding could never show.
    let url = proxy.url("/v2/");
    let parallel: Vec<_> = (0..8)
        .map(|_| {
            let url = url.clone();
            std::thread::spawn(move || HttpRequest::get(url).send_blocking_within(Duration::from_secs(20)))
        })
        .collect();
    for request in parallel {
        let answer = request.join().unwrap();
        assert_eq!(answer.map(|r| r.status().as_u16()), Some(200));
    }
    let eight = &proxy.requests()[1..];
    assert_eq!(eight.len(), 8);
    let last_arrival = eight.iter().map(|r| r.arrived).max().unwrap();
    let first_answer = eight.iter().filter_map(|r| r.answered).min().unwrap();
    assert!(
        last_arrival < first_answer,
        "the eight requests overlapped: {eight:?}"
    );
    assert!(eight
        .iter()
        .all(|r| r.answered.is_some_and(|a| a - r.arrived >= round_trip)));

    // Two requests on one kept-alive connection: both answered, both delayed.
    let mut stream = std::net::TcpStream::connect(proxy.addr()).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    for _ in 0..2 {
        keep_alive_ping(&mut stream, &proxy.addr());
    }
    let both = &proxy.requests()[9..];
    assert_eq!(both.len(), 2, "{both:?}");
    assert!(both[1].arrived >= both[0].answered.unwrap(), "{both:?}");
    assert!(both
        .iter()
        .all(|r| r.answered.is_some_and(|a| a - r.arrived >= round_trip)));

    // Taken away again: the answer no longer waits (a recorded duration, not a timing).
    proxy.set_latency(Latency::default());
    let answer = HttpRequest::get(proxy.url("/v2/")).send_blocking_within(Duration::from_secs(20));
    assert_eq!(answer.map(|r| r.status().as_u16()), Some(200));
    let last = proxy.requests().pop().unwrap();
    assert!(last.answered.unwrap() - last.arrived < round_trip, "{last:?}");
}

/// Sends `GET /v2/` on an open connection and reads the answer (distribution's ping: a small
/// body with a `Content-Length`), leaving the connection open.
fn keep_alive_ping(stream: &mut std::net::TcpStream, host: &str) {
    use std::io::{Read, Write};
    write!(stream, "GET /v2/ HTTP/1.1\r\nHost: {host}\r\n\r\n").unwrap();
    let mut received = Vec::new();
    let mut byte = [0u8; 1];
    while !received.ends_with(b"\r\n\r\n") {
        assert_eq!(stream.read(&mut byte).unwrap(), 1, "the connection stayed open");
        received.push(byte[0]);
    }
    let head = String::from_utf8_lossy(&received).to_lowercase();
    assert!(head.starts_with("http/1.1 200"), "{head}");
    let length: usize = head
        .lines()
        .find_map(|line| line.strip_prefix("content-length:"))
        .map(|value| value.trim().parse().unwrap())
        .expect("a Content-Length");
    let mut body = vec![0u8; length];
    stream.read_exact(&mut body).unwrap();
}
