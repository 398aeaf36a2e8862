//! Token scopes (`repository:NAME:pull,push`, `registry:catalog:*`) and sets
//! of them, as the Docker token protocol writes them.
//!
//! Grammar: `type[(class)]:name:action[,action...]`. A name may itself contain
//! `:` (a `host:port/` prefix), so the type ends at the first colon and the
//! actions start after the last one.

use std::borrow::Cow;
use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::Error;

/// One action a scope grants: `pull`, `push`, `delete`, `*` or a registry's own.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Action(Cow<'static, str>);

impl Action {
    /// Read a repository's manifests and blobs.
    pub const PULL: Action = Action(Cow::Borrowed("pull"));
    /// Write manifests and blobs.
    pub const PUSH: Action = Action(Cow::Borrowed("push"));
    /// Delete manifests and blobs.
    pub const DELETE: Action = Action(Cow::Borrowed("delete"));
    /// Everything; `registry:catalog:*` is the catalog scope.
    pub const ALL: Action = Action(Cow::Borrowed("*"));

    /// The action as written in a scope.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for Action {
    type Err = Error;

    fn from_str(input: &str) -> Result<Self, Error> {
        if input.is_empty() {
            return Err(Error::InvalidScope {
                input: input.to_owned(),
                reason: "an action is empty",
            });
        }
        if !input
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_-*".contains(&b))
        {
            return Err(Error::InvalidScope {
                input: input.to_owned(),
                reason: "an action may hold only letters, digits, `_`, `-` and `*`",
            });
        }
        Ok(Self(Cow::Owned(input.to_owned())))
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// One resource scope: a resource type (with an optional class, as in
/// `repository(plugin)`), a resource name and the actions wanted on it.
///
/// Actions are kept sorted and without duplicates, so equal scopes print equally.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Scope {
    resource_type: String,
    name: String,
    actions: BTreeSet<Action>,
}

impl Scope {
    /// Builds a scope, checking each part. At least one action is needed.
    pub fn new(
        resource_type: &str,
        name: &str,
        actions: impl IntoIterator<Item = Action>,
    ) -> Result<Self, Error> {
        let actions: BTreeSet<Action> = actions.into_iter().collect();
        let scope = Self {
            resource_type: resource_type.to_owned(),
            name: name.to_owned(),
            actions,
        };
        check_resource_type(resource_type)
            .and_then(|()| check_name(name))
            .map_err(|reason| Error::InvalidScope {
                input: scope.to_string(),
                reason,
            })?;
        if scope.actions.is_empty() {
            return Err(Error::InvalidScope {
                input: scope.to_string(),
                reason: "it has no action",
            });
        }
        Ok(scope)
    }

    /// `repository:NAME:ACTIONS`.
    pub fn repository(name: &str, actions: impl IntoIterator<Item = Action>) -> Result<Self, Error> {
        Self::new("repository", name, actions)
    }

    /// `repository:NAME:pull`: what reading an image needs.
    pub fn pull(repository: &str) -> Result<Self, Error> {
        Self::repository(repository, [Action::PULL])
    }

    /// `repository:NAME:pull,push`: what writing an image needs.
    pub fn push_pull(repository: &str) -> Result<Self, Error> {
        Self::repository(repository, [Action::PULL, Action::PUSH])
    }

    /// `repository:NAME:ACTIONS` for the repository an image reference names:
    /// `Scope::for_reference(&"alpine".parse()?, [Action::PULL])` is
    /// `repository:library/alpine:pull`.
    pub fn for_reference(
        reference: &oci_manifest::Reference,
        actions: impl IntoIterator<Item = Action>,
    ) -> Result<Self, Error> {
        Self::repository(reference.repository().as_str(), actions)
    }

    /// `registry:catalog:*`: listing the registry's repositories.
    pub fn catalog() -> Self {
        Self {
            resource_type: "registry".to_owned(),
            name: "catalog".to_owned(),
            actions: BTreeSet::from([Action::ALL]),
        }
    }

    /// The resource type with its class, such as `repository` or `repository(plugin)`.
    pub fn resource_type(&self) -> &str {
        &self.resource_type
    }

    /// The resource name, such as `library/alpine`.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The actions, sorted.
    pub fn actions(&self) -> impl Iterator<Item = &Action> {
        self.actions.iter()
    }

    /// Whether this scope grants `action` (or `*`).
    pub fn allows(&self, action: &Action) -> bool {
        self.actions.contains(action) || self.actions.contains(&Action::ALL)
    }

    /// Whether `other` names the same resource (type and name).
    pub fn same_resource(&self, other: &Scope) -> bool {
        self.resource_type == other.resource_type && self.name == other.name
    }
}

impl FromStr for Scope {
    type Err = Error;

    fn from_str(input: &str) -> Result<Self, Error> {
        let invalid = |reason| Error::InvalidScope {
            input: input.to_owned(),
            reason,
        };
        let (resource_type, rest) = input.split_once(':').ok_or_else(|| invalid("it has no `:`"))?;
        let (name, actions) = rest
            .rsplit_once(':')
            .ok_or_else(|| invalid("it needs `type:name:actions`"))?;
        check_resource_type(resource_type).map_err(invalid)?;
        check_name(name).map_err(invalid)?;
        let actions = actions
            .split(',')
            .map(str::parse)
            .collect::<Result<BTreeSet<Action>, _>>()?;
        Ok(Self {
            resource_type: resource_type.to_owned(),
            name: name.to_owned(),
            actions,
        })
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:", self.resource_type, self.name)?;
        for (index, action) in self.actions.iter().enumerate() {
            if index > 0 {
                f.write_str(",")?;
            }
            f.write_str(action.as_str())?;
        }
        Ok(())
    }
}

/// `type` or `type(class)`, each part `[a-z0-9]+`.
fn check_resource_type(text: &str) -> Result<(), &'static str> {
    let is_part =
        |part: &str| !part.is_empty() && part.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
    let valid = match text.split_once('(') {
        None => is_part(text),
        Some((kind, class)) => is_part(kind) && class.strip_suffix(')').is_some_and(is_part),
    };
    if valid {
        Ok(())
    } else {
        Err("the resource type must be `[a-z0-9]+` with an optional `([a-z0-9]+)` class")
    }
}

/// Resource names: repository paths, optionally behind `host[:port]/`.
fn check_name(text: &str) -> Result<(), &'static str> {
    if text.is_empty() {
        return Err("the resource name is empty");
    }
    if !text
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"._-/:".contains(&b))
    {
        return Err("the resource name may hold only letters, digits, `.`, `_`, `-`, `/` and `:`");
    }
    Ok(())
}

/// Several scopes for one token request, merged per resource and sorted.
///
/// A cross-repository mount, for example, needs `push` on the target and
/// `pull` on the source. Adding a scope for a resource already present merges
/// the actions, so a set never names a resource twice; two sets asking for the
/// same thing are equal, print equally and hash equally (they key the token cache).
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ScopeSet {
    scopes: Vec<Scope>,
}

impl ScopeSet {
    /// An empty set: a token for the registry as a whole (what a ping challenge gets).
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a scope, merging its actions into the scope for the same resource.
    pub fn insert(&mut self, scope: Scope) {
        let key = |s: &Scope| (s.resource_type.clone(), s.name.clone());
        match self.scopes.binary_search_by_key(&key(&scope), key) {
            Ok(index) => self.scopes[index].actions.extend(scope.actions),
            Err(index) => self.scopes.insert(index, scope),
        }
    }

    /// This set with `scope` added.
    pub fn with(mut self, scope: Scope) -> Self {
        self.insert(scope);
        self
    }

    /// Adds every scope of `other`.
    pub fn merge(&mut self, other: &ScopeSet) {
        for scope in &other.scopes {
            self.insert(scope.clone());
        }
    }

    /// Whether every scope of `other` is granted by this set.
    pub fn covers(&self, other: &ScopeSet) -> bool {
        other.scopes.iter().all(|wanted| {
            self.scopes
                .iter()
                .find(|held| held.same_resource(wanted))
                .is_some_and(|held| wanted.actions.iter().all(|a| held.allows(a)))
        })
    }

    /// The scopes, sorted by resource.
    pub fn iter(&self) -> std::slice::Iter<'_, Scope> {
        self.scopes.iter()
    }

    /// Whether the set holds no scope.
    pub fn is_empty(&self) -> bool {
        self.scopes.is_empty()
    }

    /// How many resources the set names.
    pub fn len(&self) -> usize {
        self.scopes.len()
    }
}

impl<'a> IntoIterator for &'a ScopeSet {
    type Item = &'a Scope;
    type IntoIter = std::slice::Iter<'a, Scope>;

    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

impl FromIterator<Scope> for ScopeSet {
    fn from_iter<I: IntoIterator<Item = Scope>>(iter: I) -> Self {
        let mut set = Self::new();
        for scope in iter {
            set.insert(scope);
        }
        set
    }
}

impl From<Scope> for ScopeSet {
    fn from(scope: Scope) -> Self {
        Self { scopes: vec![scope] }
    }
}

/// Space-separated scopes, as in a challenge's `scope` parameter.
impl FromStr for ScopeSet {
    type Err = Error;

    fn from_str(input: &str) -> Result<Self, Error> {
        input.split_ascii_whitespace().map(str::parse).collect()
    }
}

/// Space-separated, sorted by resource.
impl fmt::Display for ScopeSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (index, scope) in self.scopes.iter().enumerate() {
            if index > 0 {
                f.write_str(" ")?;
            }
            write!(f, "{scope}")?;
        }
        Ok(())
    }
}

macro_rules! serde_via_string {
    ($($ty:ty),*) => {$(
        impl Serialize for $ty {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.collect_str(self)
            }
        }

        impl<'de> Deserialize<'de> for $ty {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let text = Cow::<'de, str>::deserialize(deserializer)?;
                text.parse().map_err(serde::de::Error::custom)
            }
        }
    )*};
}

serde_via_string!(Action, Scope, ScopeSet);

#[cfg(test)]
mod tests;
