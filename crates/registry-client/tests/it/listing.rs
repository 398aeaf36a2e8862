//! Tags and catalog across several pages.

use futures_util::TryStreamExt;
use skiff_integration::Registry;

use crate::util::{client, push_image, repo};

#[tokio::test]
async fn tags_are_listed_whatever_the_page_size() {
    let registry = Registry::anonymous();
    let client = client();
    let repository = repo(registry.addr(), "paged/app");
    let mut expected = Vec::new();
    for (i, tag) in ["a", "b", "c", "d", "e"].into_iter().enumerate() {
        push_image(&client, &repository, tag, 20 + i as u64).await;
        expected.push(tag.to_owned());
    }
    // docker-registry 2.8 answers the tag list in one page whatever `n` says; the pager that
    // follows `Link` is shared with the catalog, whose pages the next test walks.
    let mut tags: Vec<String> = client.tags(&repository, Some(2)).try_collect().await.unwrap();
    tags.sort();
    assert_eq!(tags, expected);

    let all: Vec<String> = client.tags(&repository, None).try_collect().await.unwrap();
    assert_eq!(all.len(), 5);
}

#[tokio::test]
async fn catalog_follows_pagination() {
    let registry = Registry::builder().catalog_max_entries(2).start();
    let client = client();
    let mut expected = Vec::new();
    for i in 0..5 {
        let name = format!("cat/repo{i}");
        push_image(&client, &repo(registry.addr(), &name), "1", 30 + i).await;
        expected.push(name);
    }
    let before = client.request_counts().get;
    let names: Vec<String> = client
        .catalog(registry.addr(), Some(2))
        .try_collect()
        .await
        .unwrap();
    assert_eq!(names, expected);
    assert!(client.request_counts().get - before >= 3);
    let unsized_pages: Vec<String> = client.catalog(registry.addr(), None).try_collect().await.unwrap();
    assert_eq!(unsized_pages, expected);
}

#[tokio::test]
async fn tags_of_a_missing_repository_are_not_found() {
    let registry = Registry::anonymous();
    let client = client();
    let error = client
        .tags(&repo(registry.addr(), "no/such"), None)
        .try_collect::<Vec<_>>()
        .await
        .unwrap_err();
    assert!(error.is_not_found(), "{error}");
}
