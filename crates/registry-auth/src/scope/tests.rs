//! Scope parsing, formatting and merging.

use super::*;

#[test]
fn parses_and_prints_documented_scopes() {
    let table = [
        (
            "repository:samalba/my-app:pull,push",
            "repository",
            "samalba/my-app",
            "pull,push",
        ),
        (
            "repository:samalba/my-app:push,pull",
            "repository",
            "samalba/my-app",
            "pull,push",
        ),
        ("repository:foo:pull,pull", "repository", "foo", "pull"),
        (
            "repository(plugin):vieux/sshfs:pull",
            "repository(plugin)",
            "vieux/sshfs",
            "pull",
        ),
        ("registry:catalog:*", "registry", "catalog", "*"),
        (
            "repository:localhost:5000/a/b:pull",
            "repository",
            "localhost:5000/a/b",
            "pull",
        ),
        (
            "repository:a/b:delete,pull,push",
            "repository",
            "a/b",
            "delete,pull,push",
        ),
        (
            "repository:a/b:metadata_read",
            "repository",
            "a/b",
            "metadata_read",
        ),
    ];
    for (input, kind, name, actions) in table {
        let scope: Scope = input.parse().unwrap_or_else(|e| panic!("{input}: {e}"));
        assert_eq!(scope.resource_type(), kind, "{input}");
        assert_eq!(scope.name(), name, "{input}");
        let printed: Vec<_> = scope.actions().map(Action::as_str).collect();
        assert_eq!(printed.join(","), actions, "{input}");
        assert_eq!(scope.to_string(), format!("{kind}:{name}:{actions}"));
    }
}

#[test]
fn rejects_malformed_scopes() {
    let invalid = [
        "",
        "repository",
        "repository:foo",
        "repository::pull",
        ":foo:pull",
        "repository:foo:",
        "repository:foo:pull,",
        "repository:foo:pu ll",
        "Repository:foo:pull",
        "repository(:foo:pull",
        "repository(plugin:foo:pull",
        "repository():foo:pull",
        "repository:fo o:pull",
        "repository:foo\"bar:pull",
    ];
    for input in invalid {
        match input.parse::<Scope>() {
            Err(Error::InvalidScope { input: got, .. }) => assert!(input.contains(got.as_str()), "{input:?}"),
            other => panic!("{input:?} should be rejected, got {other:?}"),
        }
    }
}

#[test]
fn constructors() {
    assert_eq!(
        Scope::pull("library/alpine").expect("valid").to_string(),
        "repository:library/alpine:pull"
    );
    assert_eq!(
        Scope::push_pull("me/app").expect("valid").to_string(),
        "repository:me/app:pull,push"
    );
    assert_eq!(Scope::catalog().to_string(), "registry:catalog:*");
    assert_eq!(
        Scope::new("repository(plugin)", "x/y", [Action::PULL])
            .expect("valid")
            .to_string(),
        "repository(plugin):x/y:pull"
    );
    let err = Scope::pull("bad name").unwrap_err();
    assert_eq!(
        err.to_string(),
        "scope \"repository:bad name:pull\" is invalid: the resource name may hold only letters, digits, \
         `.`, `_`, `-`, `/` and `:`"
    );
    assert!(Scope::repository("a", []).is_err());
    assert!("pu ll".parse::<Action>().is_err());
}

#[test]
fn allows_checks_actions_and_the_wildcard() {
    let scope = Scope::push_pull("a").expect("valid");
    assert!(scope.allows(&Action::PULL));
    assert!(!scope.allows(&Action::DELETE));
    assert!(Scope::catalog().allows(&Action::PULL));
}

#[test]
fn sets_merge_actions_per_resource_and_sort() {
    let mut set = ScopeSet::new();
    set.insert(Scope::push_pull("target/app").expect("valid"));
    set.insert(Scope::pull("source/app").expect("valid"));
    set.insert(Scope::repository("target/app", [Action::DELETE]).expect("valid"));
    set.insert(Scope::catalog());
    assert_eq!(
        set.to_string(),
        "registry:catalog:* repository:source/app:pull repository:target/app:delete,pull,push"
    );
    assert_eq!(set.len(), 3);

    let same: ScopeSet = "repository:target/app:push repository:source/app:pull registry:catalog:* \
                          repository:target/app:pull,delete"
        .parse()
        .expect("valid");
    assert_eq!(same, set);
    assert_eq!("".parse::<ScopeSet>().expect("empty is fine"), ScopeSet::new());
    assert!("repository:a:pull junk".parse::<ScopeSet>().is_err());
}

#[test]
fn covers_compares_granted_actions() {
    let held: ScopeSet = "repository:a:pull,push repository:b:pull registry:catalog:*"
        .parse()
        .expect("valid");
    let table = [
        ("repository:a:pull", true),
        ("repository:a:pull repository:b:pull", true),
        ("repository:b:push", false),
        ("repository:c:pull", false),
        ("registry:catalog:*", true),
        ("", true),
    ];
    for (wanted, expected) in table {
        let wanted: ScopeSet = wanted.parse().expect("valid");
        assert_eq!(held.covers(&wanted), expected, "{wanted}");
    }
}

#[test]
fn serde_goes_through_the_string_forms() {
    let set: ScopeSet = "repository:a:pull repository:b:push".parse().expect("valid");
    let json = serde_json::to_string(&set).expect("serializes");
    assert_eq!(json, r#""repository:a:pull repository:b:push""#);
    assert_eq!(
        serde_json::from_str::<ScopeSet>(&json).expect("deserializes"),
        set
    );
    let scope: Scope = serde_json::from_str(r#""repository:a:pull""#).expect("deserializes");
    assert_eq!(scope, Scope::pull("a").expect("valid"));
    assert!(serde_json::from_str::<Scope>(r#""nonsense""#).is_err());
    assert_eq!(serde_json::to_string(&Action::ALL).expect("serializes"), r#""*""#);
}

mod properties {
    use proptest::prelude::*;

    use super::*;

    fn scope() -> impl Strategy<Value = Scope> {
        (
            "[a-z0-9]{1,8}(\\([a-z0-9]{1,6}\\))?",
            "[a-z0-9]{1,6}(:[0-9]{1,5})?(/[a-z0-9._-]{1,8}){0,3}",
            prop::collection::btree_set("[a-z*_]{1,8}", 1..4),
        )
            .prop_map(|(kind, name, actions)| {
                let actions = actions
                    .iter()
                    .map(|a| a.parse::<Action>().expect("generated action"));
                Scope::new(&kind, &name, actions).expect("generated scope")
            })
    }

    proptest! {
        #[test]
        fn scopes_round_trip(scope in scope()) {
            prop_assert_eq!(scope.to_string().parse::<Scope>().expect("displayed scopes parse"), scope);
        }

        #[test]
        fn sets_round_trip_and_merge_order_does_not_matter(scopes in prop::collection::vec(scope(), 0..6)) {
            let forward: ScopeSet = scopes.iter().cloned().collect();
            let backward: ScopeSet = scopes.iter().rev().cloned().collect();
            prop_assert_eq!(&forward, &backward);
            prop_assert_eq!(forward.to_string().parse::<ScopeSet>().expect("displayed sets parse"), forward);
        }

        #[test]
        fn parsing_arbitrary_text_never_panics(text in "\\PC{0,60}") {
            let _ = text.parse::<Scope>();
            let _ = text.parse::<ScopeSet>();
        }
    }
}

#[test]
fn scope_for_an_image_reference_uses_its_normalised_repository() {
    let cases = [
        ("alpine", "repository:library/alpine:pull"),
        ("localhost:5000/team/app:v1", "repository:team/app:pull"),
        (
            "ghcr.io/org/tool@sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
            "repository:org/tool:pull",
        ),
    ];
    for (reference, expected) in cases {
        let reference: oci_manifest::Reference = reference.parse().unwrap();
        let scope = Scope::for_reference(&reference, [Action::PULL]).unwrap();
        assert_eq!(scope.to_string(), expected);
    }
}
