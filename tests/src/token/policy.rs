//! Who may do what: the token service's user table and the rule that turns a requested scope into
//! the access a token grants.

use crate::htpasswd::User;

/// Anonymous clients may pull repositories whose name starts with this.
pub const ANONYMOUS_PULL_PREFIX: &str = "pub/";

/// A user of the token service and the repositories they may act on.
#[derive(Debug, Clone)]
pub struct TokenUser {
    user: User,
    grants: Vec<RepositoryGrant>,
    catalog: bool,
}

/// Actions allowed on repositories matching a pattern.
#[derive(Debug, Clone)]
struct RepositoryGrant {
    pattern: String,
    actions: Vec<String>,
}

impl TokenUser {
    /// A user with no rights yet (add them with [`TokenUser::allow`]).
    pub fn new(name: &str, password: &str) -> TokenUser {
        TokenUser {
            user: User::new(name, password),
            grants: Vec::new(),
            catalog: false,
        }
    }

    /// A user who may pull, push and delete everywhere and list the catalog.
    pub fn admin(name: &str, password: &str) -> TokenUser {
        TokenUser::new(name, password)
            .allow("*", &["pull", "push", "delete"])
            .allow_catalog()
    }

    /// Allows `actions` on repositories matching `pattern`: `*` (all), `PREFIX/*` (below a
    /// namespace) or an exact name.
    pub fn allow(mut self, pattern: &str, actions: &[&str]) -> TokenUser {
        let actions = actions.iter().map(|a| (*a).to_owned()).collect();
        self.grants.push(RepositoryGrant {
            pattern: pattern.to_owned(),
            actions,
        });
        self
    }

    /// Allows `registry:catalog:*`.
    pub fn allow_catalog(mut self) -> TokenUser {
        self.catalog = true;
        self
    }

    /// The name and password.
    pub fn user(&self) -> &User {
        &self.user
    }

    fn may(&self, resource_type: &str, name: &str, action: &str) -> bool {
        match resource_type {
            "registry" => self.catalog && name == "catalog",
            "repository" => self
                .grants
                .iter()
                .any(|g| pattern_matches(&g.pattern, name) && g.actions.iter().any(|a| a == action)),
            _ => false,
        }
    }
}

fn pattern_matches(pattern: &str, name: &str) -> bool {
    match pattern.strip_suffix('*') {
        Some(prefix) => name.starts_with(prefix),
        None => pattern == name,
    }
}

/// One entry of a token's `access` claim.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Access {
    /// `repository` or `registry`.
    pub resource_type: String,
    /// The repository name, or `catalog`.
    pub name: String,
    /// The granted actions, in the order they were asked for.
    pub actions: Vec<String>,
}

/// What a token for `user` (None: anonymous) asking for `scopes` grants: every asked action the
/// user may do, nothing else. Unparseable scopes grant nothing, as real token services do.
pub(crate) fn grant(user: Option<&TokenUser>, scopes: &[String]) -> Vec<Access> {
    let mut granted: Vec<Access> = Vec::new();
    for scope in scopes {
        let Some((resource_type, name, actions)) = parse_scope(scope) else {
            continue;
        };
        let allowed: Vec<String> = actions
            .split(',')
            .filter(|action| match user {
                Some(user) => user.may(resource_type, name, action),
                None => {
                    resource_type == "repository"
                        && *action == "pull"
                        && name.starts_with(ANONYMOUS_PULL_PREFIX)
                }
            })
            .map(str::to_owned)
            .collect();
        if allowed.is_empty() {
            continue;
        }
        match granted
            .iter_mut()
            .find(|a| a.resource_type == resource_type && a.name == name)
        {
            Some(entry) => {
                for action in allowed {
                    if !entry.actions.contains(&action) {
                        entry.actions.push(action);
                    }
                }
            }
            None => granted.push(Access {
                resource_type: resource_type.to_owned(),
                name: name.to_owned(),
                actions: allowed,
            }),
        }
    }
    granted
}

/// `TYPE:NAME:ACTIONS`; the name sits between the first and the last colon.
fn parse_scope(scope: &str) -> Option<(&str, &str, &str)> {
    let (resource_type, rest) = scope.split_once(':')?;
    let (name, actions) = rest.rsplit_once(':')?;
    let resource_type = resource_type
        .split_once('(')
        .map_or(resource_type, |(base, _)| base);
    (!name.is_empty()).then_some((resource_type, name, actions))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scopes(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| (*s).to_owned()).collect()
    }

    fn summary(access: &[Access]) -> Vec<String> {
        access
            .iter()
            .map(|a| format!("{}:{}:{}", a.resource_type, a.name, a.actions.join(",")))
            .collect()
    }

    #[test]
    fn grants_follow_the_table() {
        let admin = TokenUser::admin("alice", "pw");
        let reader = TokenUser::new("rita", "pw")
            .allow("team/*", &["pull"])
            .allow("exact", &["pull", "push"]);
        let cases: &[(Option<&TokenUser>, &[&str], &[&str])] = &[
            (None, &["repository:pub/app:pull"], &["repository:pub/app:pull"]),
            (
                None,
                &["repository:pub/app:pull,push"],
                &["repository:pub/app:pull"],
            ),
            (None, &["repository:private/app:pull"], &[]),
            (None, &["registry:catalog:*"], &[]),
            (
                Some(&admin),
                &["repository:a/b:pull,push"],
                &["repository:a/b:pull,push"],
            ),
            (Some(&admin), &["registry:catalog:*"], &["registry:catalog:*"]),
            (
                Some(&admin),
                &["repository:a:push", "repository:a:pull"],
                &["repository:a:push,pull"],
            ),
            (
                Some(&admin),
                &["repository:dst:pull,push", "repository:src:pull"],
                &["repository:dst:pull,push", "repository:src:pull"],
            ),
            (
                Some(&reader),
                &["repository:team/x:pull,push"],
                &["repository:team/x:pull"],
            ),
            (
                Some(&reader),
                &["repository:exact:push"],
                &["repository:exact:push"],
            ),
            (Some(&reader), &["repository:exactly:pull"], &[]),
            (Some(&reader), &["registry:catalog:*"], &[]),
            (
                Some(&admin),
                &["repository(plugin):a:pull"],
                &["repository:a:pull"],
            ),
            (Some(&admin), &["garbage", "repository::pull"], &[]),
        ];
        for (user, asked, expected) in cases {
            assert_eq!(
                summary(&grant(*user, &scopes(asked))),
                scopes(expected),
                "asked {asked:?}"
            );
        }
    }
}
