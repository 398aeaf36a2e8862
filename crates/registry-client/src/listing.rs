//! Tag and catalog listings as streams that follow `Link: <...>; rel="next"` pages.

use std::collections::VecDeque;
use std::pin::Pin;

use futures_util::Stream;
use http::{Method, StatusCode};
use serde::Deserialize;

use crate::auth::Access;
use crate::client::{Call, Client, Target};
use crate::dispatch::{expect_status, response_uri};
use crate::error::{display_url, Context, Error};
use crate::link::next_link;
use crate::repository::RepositoryRef;
use crate::url::resolve;

/// Listing pages are at most this large.
const PAGE_LIMIT: u64 = 16 * 1024 * 1024;

/// A stream of names from a paginated listing.
pub type Names = Pin<Box<dyn Stream<Item = Result<String, Error>> + Send>>;

#[derive(Deserialize)]
struct TagPage {
    #[serde(default)]
    tags: Option<Vec<String>>,
}

#[derive(Deserialize)]
struct CatalogPage {
    #[serde(default)]
    repositories: Option<Vec<String>>,
}

/// Which listing, and how to read its pages.
#[derive(Clone)]
struct Listing {
    client: Client,
    registry: String,
    access: Access,
    context: Context,
    extract: fn(&[u8]) -> Result<Vec<String>, serde_json::Error>,
}

struct Pager {
    listing: Listing,
    next: Option<Target>,
    buffered: VecDeque<String>,
}

fn tags_of(body: &[u8]) -> Result<Vec<String>, serde_json::Error> {
    Ok(serde_json::from_slice::<TagPage>(body)?.tags.unwrap_or_default())
}

fn repositories_of(body: &[u8]) -> Result<Vec<String>, serde_json::Error> {
    Ok(serde_json::from_slice::<CatalogPage>(body)?
        .repositories
        .unwrap_or_default())
}

fn with_page_size(path: String, page_size: Option<u32>) -> String {
    match page_size {
        Some(n) => format!("{path}?n={n}"),
        None => path,
    }
}

impl Pager {
    async fn next_name(mut self) -> Result<Option<(String, Pager)>, Error> {
        loop {
            if let Some(name) = self.buffered.pop_front() {
                return Ok(Some((name, self)));
            }
            let Some(target) = self.next.take() else {
                return Ok(None);
            };
            self.fetch(target)
                .await
                .map_err(|e| e.context(self.listing.context.clone()))?;
        }
    }

    async fn fetch(&mut self, target: Target) -> Result<(), Error> {
        let listing = &self.listing;
        let call = Call::new(&listing.registry, listing.access.clone(), Method::GET, target);
        let response = listing.client.execute(call).await?;
        let response = expect_status(&Method::GET, response, &[StatusCode::OK]).await?;
        let uri = response_uri(&response);
        // The next page is used exactly as the registry wrote it, resolved against this one.
        self.next = next_link(response.headers())
            .map(|link| resolve(&uri, &link))
            .transpose()?
            .map(Target::Url);
        let body = response.into_body().bytes(PAGE_LIMIT).await?;
        let names = (listing.extract)(&body).map_err(|source| Error::Json {
            url: display_url(&uri),
            source,
        })?;
        self.buffered.extend(names);
        Ok(())
    }
}

fn paginate(listing: Listing, first: String) -> Names {
    let pager = Pager {
        listing,
        next: Some(Target::Path(first)),
        buffered: VecDeque::new(),
    };
    Box::pin(futures_util::stream::try_unfold(pager, Pager::next_name))
}

impl Client {
    /// Every tag of `repository`, page after page; `page_size` asks for `n` per page.
    pub fn tags(&self, repository: &RepositoryRef, page_size: Option<u32>) -> Names {
        let listing = Listing {
            client: self.clone(),
            registry: repository.registry().to_owned(),
            access: Access::Pull(repository.repository().as_str().to_owned()),
            context: Context::repository(repository.registry(), repository.repository().as_str()),
            extract: tags_of,
        };
        paginate(
            listing,
            with_page_size(format!("/v2/{}/tags/list", repository.repository()), page_size),
        )
    }

    /// Every repository of `registry`, page after page; `page_size` asks for `n` per page.
    pub fn catalog(&self, registry: &str, page_size: Option<u32>) -> Names {
        let listing = Listing {
            client: self.clone(),
            registry: registry.to_owned(),
            access: Access::Catalog,
            context: Context::registry(registry),
            extract: repositories_of,
        };
        paginate(listing, with_page_size("/v2/_catalog".to_owned(), page_size))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_parse_with_missing_or_null_lists() {
        assert_eq!(tags_of(br#"{"name":"a","tags":["1","2"]}"#).unwrap(), ["1", "2"]);
        assert!(tags_of(br#"{"name":"a","tags":null}"#).unwrap().is_empty());
        assert!(tags_of(br#"{"name":"a"}"#).unwrap().is_empty());
        assert_eq!(repositories_of(br#"{"repositories":["x/y"]}"#).unwrap(), ["x/y"]);
        assert!(repositories_of(b"[").is_err());
    }
}
