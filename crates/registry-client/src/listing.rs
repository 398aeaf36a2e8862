//! Tag and catalog listings as streams that follow `Link: <...>; rel="next"` pages.
//!
//! A registry controls both the pages and the links between them, so neither is trusted: every
//! name must fit the distribution spec's grammar for its kind (a hostile one could otherwise
//! forge output lines or send terminal escapes), a `next` link already followed or a page with a
//! `next` link that adds no new name ends the listing with an error, and [`MAX_PAGES`] bounds
//! the rest.

use std::collections::{HashSet, VecDeque};
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

/// A listing follows at most this many pages.
pub(crate) const MAX_PAGES: usize = 100_000;

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
    /// The repository whose tags are listed; `None` for the catalog.
    tags_of: Option<RepositoryRef>,
}

impl Listing {
    /// Checks a listed name against the grammar of its kind: a tag, or a repository name.
    fn check(&self, name: &str) -> Result<(), Error> {
        match &self.tags_of {
            Some(repository) => repository.tagged(name).map(drop),
            None => Ok(name.parse::<oci_manifest::Repository>().map(drop)?),
        }
    }
}

struct Pager {
    listing: Listing,
    next: Option<Target>,
    buffered: VecDeque<String>,
    /// The `next` links followed so far, as resolved URLs.
    followed: HashSet<String>,
    /// Every name listed so far.
    names: HashSet<String>,
    pages: usize,
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
        let invalid = |problem: String| Error::InvalidResponse {
            url: display_url(&uri),
            problem,
        };
        self.pages += 1;
        // The next page is used exactly as the registry wrote it, resolved against this one.
        let next = next_link(response.headers())
            .map(|link| resolve(&uri, &link))
            .transpose()?;
        let body = response.into_body().bytes(PAGE_LIMIT).await?;
        let names = (listing.extract)(&body).map_err(|source| Error::Json {
            url: display_url(&uri),
            source,
        })?;
        let mut added = 0usize;
        for name in &names {
            listing
                .check(name)
                .map_err(|e| invalid(format!("the listing holds an invalid name: {e}")))?;
            added += usize::from(self.names.insert(name.clone()));
        }
        if let Some(next) = next {
            if !self.followed.insert(next.to_string()) {
                return Err(invalid(format!(
                    "the next page {} was already fetched",
                    display_url(&next)
                )));
            }
            if added == 0 {
                return Err(invalid("a page with a next link added no new name".to_owned()));
            }
            if self.pages >= MAX_PAGES {
                return Err(invalid(format!("the listing has more than {MAX_PAGES} pages")));
            }
            self.next = Some(Target::Url(next));
        }
        self.buffered.extend(names);
        Ok(())
    }
}

fn paginate(listing: Listing, first: String) -> Names {
    let pager = Pager {
        listing,
        next: Some(Target::Path(first)),
        buffered: VecDeque::new(),
        followed: HashSet::new(),
        names: HashSet::new(),
        pages: 0,
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
            tags_of: Some(repository.clone()),
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
            tags_of: None,
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
