//! Blob uploads (monolithic, streamed, chunked), mounts, verified downloads, HEAD and DELETE.

use futures_util::TryStreamExt;
use oci_digest::Digest;
use registry_client::image::{BlobOutcome, VerifiedBlob};
use registry_client::ErrorCode;
use skiff_integration::Registry;

use crate::util::{builder, bytes_of, client, repo};

#[tokio::test]
async fn monolithic_push_head_get_delete() {
    let registry = Registry::anonymous();
    let client = client();
    let repository = repo(registry.addr(), "blobs/small");
    let content = bytes_of(1, 10_000);
    let digest = client
        .push_blob_bytes(&repository, content.clone())
        .await
        .unwrap();
    assert_eq!(digest, Digest::sha256(&content));
    assert_eq!(
        client.blob_size(&repository, &digest).await.unwrap(),
        Some(10_000)
    );

    let blob = client.get_blob(&repository, &digest).await.unwrap();
    assert_eq!(blob.size(), Some(10_000));
    let chunks: Vec<bytes::Bytes> = blob.try_collect().await.unwrap();
    assert_eq!(chunks.concat(), content.to_vec());

    let again = client
        .push_blob(
            &repository,
            VerifiedBlob::hashing(
                std::io::Cursor::new(content.clone()),
                &digest,
                content.len() as u64,
            )
            .unwrap(),
            None,
        )
        .await
        .unwrap();
    assert_eq!(again, BlobOutcome::AlreadyPresent);

    client.delete_blob(&repository, &digest).await.unwrap();
    assert_eq!(client.blob_size(&repository, &digest).await.unwrap(), None);
}

#[tokio::test]
async fn streamed_and_chunked_uploads_round_trip() {
    let registry = Registry::anonymous();
    let content = bytes_of(2, 300_000);
    let digest = Digest::sha256(&content);
    let streamed = builder().monolithic_upload_limit(1024).build().unwrap();
    let chunked = builder()
        .monolithic_upload_limit(1024)
        .upload_chunk_size(64 * 1024)
        .build()
        .unwrap();
    for (client, name) in [(&streamed, "blobs/streamed"), (&chunked, "blobs/chunked")] {
        let repository = repo(registry.addr(), name);
        let outcome = client
            .push_blob(
                &repository,
                VerifiedBlob::hashing(
                    std::io::Cursor::new(content.clone()),
                    &digest,
                    content.len() as u64,
                )
                .unwrap(),
                None,
            )
            .await
            .unwrap();
        assert_eq!(outcome, BlobOutcome::Transferred, "{name}");
        let mut out = Vec::new();
        let written = client
            .get_blob(&repository, &digest)
            .await
            .unwrap()
            .write_to(&mut out)
            .await
            .unwrap();
        assert_eq!(written, content.len() as u64, "{name}");
        assert_eq!(out, content.to_vec(), "{name}");
    }
    // Five chunks of at most 64 KiB each.
    assert_eq!(chunked.request_counts().patch, 5);
    assert_eq!(streamed.request_counts().patch, 1);
}

#[tokio::test]
async fn content_that_does_not_match_its_digest_is_not_committed() {
    let registry = Registry::anonymous();
    let repository = repo(registry.addr(), "blobs/wrong");
    let claimed = Digest::sha256(b"something else");
    for client in [client(), builder().monolithic_upload_limit(16).build().unwrap()] {
        let content = bytes_of(3, 4096);
        let error = client
            .push_blob(
                &repository,
                VerifiedBlob::hashing(
                    std::io::Cursor::new(content.clone()),
                    &claimed,
                    content.len() as u64,
                )
                .unwrap(),
                None,
            )
            .await
            .unwrap_err();
        assert!(error.is_digest_mismatch(), "{error}");
        assert_eq!(client.blob_size(&repository, &claimed).await.unwrap(), None);
    }
}

#[tokio::test]
async fn blobs_mount_across_repositories() {
    let registry = Registry::anonymous();
    let client = client();
    let source = repo(registry.addr(), "mount/source");
    let target = repo(registry.addr(), "mount/target");
    let content = bytes_of(4, 5000);
    let digest = client.push_blob_bytes(&source, content.clone()).await.unwrap();

    let pushed = |content: Vec<u8>| {
        let digest = Digest::sha256(&content);
        let size = content.len() as u64;
        VerifiedBlob::hashing(std::io::Cursor::new(content), &digest, size).unwrap()
    };
    assert_eq!(
        client
            .push_blob(&target, pushed(content.to_vec()), Some(&source))
            .await
            .unwrap(),
        BlobOutcome::Mounted
    );
    assert_eq!(client.blob_size(&target, &digest).await.unwrap(), Some(5000));

    // A blob the source lacks is not mounted: the registry opened an upload, which is used.
    let other = bytes_of(5, 700);
    let other_digest = Digest::sha256(&other);
    let third = repo(registry.addr(), "mount/third");
    let outcome = client
        .push_blob(&third, pushed(other.to_vec()), Some(&source))
        .await
        .unwrap();
    assert_eq!(outcome, BlobOutcome::Transferred);
    assert_eq!(client.blob_size(&third, &other_digest).await.unwrap(), Some(700));
    let mounted = client
        .push_blob(&third, pushed(content.to_vec()), Some(&source))
        .await
        .unwrap();
    assert_eq!(mounted, BlobOutcome::Mounted);
}

#[tokio::test]
async fn missing_blobs_are_not_found_with_diagnostics() {
    let registry = Registry::anonymous();
    let client = client();
    let repository = repo(registry.addr(), "blobs/present");
    client
        .push_blob_bytes(&repository, bytes_of(6, 10))
        .await
        .unwrap();
    let missing = Digest::sha256(b"missing");
    let error = client.get_blob(&repository, &missing).await.unwrap_err();
    assert!(error.is_not_found(), "{error}");
    assert_eq!(error.status(), Some(http::StatusCode::NOT_FOUND));
    assert_eq!(error.diagnostics()[0].code(), &ErrorCode::BlobUnknown);
    let message = error.to_string();
    assert!(
        message.contains("blobs/present") && message.contains(missing.as_str()),
        "{message}"
    );
}
