//! The sync planner: skopeo sync's YAML read unchanged, filters, skopeo's
//! destination names, shards, and bad input reported with file and line.

use registry_client::sync::{plan_repository, PlanOptions, Shard, SyncConfig, TagFilter};

fn tags(list: &[&str]) -> Vec<String> {
    list.iter().map(|t| t.to_string()).collect()
}

const LISTED: &[&str] = &["1.0", "1.1", "2.0", "latest", "v2.1.0", "edge"];

// The example of skopeo-sync(1), unchanged.
const MAN_PAGE: &str = r#"
docker.io:
    images:
        busybox: []
        redis:
            - "1.0"
            - "2.0"
            - "sha256:0000000000000000000000000000000000000000000000000000000000000000"
    images-by-tag-regex:
        nginx: ^1\.13\.[12]-alpine-perl$
    images-by-semver:
        alpine: ">= 3.12.0"
    credentials:
        username: john
        password: this is a secret
    tls-verify: true
    cert-dir: /home/john/certs
quay.io:
    tls-verify: false
    images:
        coreos/etcd:
            - latest
"#;

fn plan_all(config: &SyncConfig, options: &PlanOptions, listed: &[&str]) -> Vec<(String, String)> {
    let listed = tags(listed);
    config
        .repositories()
        .iter()
        .flat_map(|r| plan_repository(r, Some(&listed), options).unwrap())
        .map(|p| (p.source, p.destination))
        .collect()
}

#[test]
fn man_page_yaml_reads_unchanged_and_names_like_skopeo() {
    let config = SyncConfig::from_yaml("sync.yml", MAN_PAGE).unwrap();
    let repos = config.repositories();
    assert_eq!(repos.len(), 5);
    assert_eq!(repos[0].full_name(), "docker.io/library/busybox");
    assert_eq!(repos[0].credentials.as_ref().unwrap().username, "john");
    assert_eq!(repos[0].cert_dir.as_deref(), Some("/home/john/certs"));
    assert!(!format!("{:?}", repos[0]).contains("secret"));
    let listed = [
        "1.13.1-alpine-perl",
        "1.13.3-alpine-perl",
        "3.12.1",
        "3.11",
        "latest",
    ];
    let plan = plan_all(&config, &PlanOptions::new("my-registry.local.lan/repo/"), &listed);
    let dest: Vec<&str> = plan.iter().map(|(_, d)| d.as_str()).collect();
    assert_eq!(
        dest,
        [
            "my-registry.local.lan/repo/busybox:1.13.1-alpine-perl",
            "my-registry.local.lan/repo/busybox:1.13.3-alpine-perl",
            "my-registry.local.lan/repo/busybox:3.12.1",
            "my-registry.local.lan/repo/busybox:3.11",
            "my-registry.local.lan/repo/busybox:latest",
            "my-registry.local.lan/repo/redis:1.0",
            "my-registry.local.lan/repo/redis:2.0",
            "my-registry.local.lan/repo/redis@sha256:0000000000000000000000000000000000000000000000000000000000000000",
            "my-registry.local.lan/repo/nginx:1.13.1-alpine-perl",
            "my-registry.local.lan/repo/alpine:3.12.1",
            "my-registry.local.lan/repo/etcd:latest",
        ]
    );
    assert_eq!(plan[5].0, "docker.io/library/redis:1.0");
    let mut scoped = PlanOptions::new("mirror:5000");
    scoped.scoped = true;
    let plan = plan_all(&config, &scoped, &listed);
    assert_eq!(
        plan[0].1,
        "mirror:5000/docker.io/library/busybox:1.13.1-alpine-perl"
    );
    assert_eq!(plan.last().unwrap().1, "mirror:5000/quay.io/coreos/etcd:latest");
}

#[test]
fn docker_source_forms() {
    let all = SyncConfig::from_docker("localhost:5000/team/app").unwrap();
    assert!(all.repositories()[0].needs_tag_list());
    let plan = plan_all(&all, &PlanOptions::new("dst:5000"), &["a", "b"]);
    assert_eq!(
        plan,
        [
            ("localhost:5000/team/app:a".into(), "dst:5000/app:a".into()),
            ("localhost:5000/team/app:b".into(), "dst:5000/app:b".into())
        ]
    );
    let one = SyncConfig::from_docker("localhost:5000/team/app:v1").unwrap();
    assert!(!one.repositories()[0].needs_tag_list());
    let plan = plan_all(&one, &PlanOptions::new("dst:5000"), &[]);
    assert_eq!(
        plan,
        [("localhost:5000/team/app:v1".into(), "dst:5000/app:v1".into())]
    );
    assert!(SyncConfig::from_docker("Bad Name").is_err());
}

#[test]
fn command_line_filters_combine() {
    let config = SyncConfig::from_docker("localhost:5000/app").unwrap();
    let mut options = PlanOptions::new("d");
    options.filter = TagFilter::new(Some("^v?[0-9]"), Some("^1\\.0$"), Some(">=1.1, <2.1")).unwrap();
    let plan = plan_all(&config, &options, LISTED);
    let sources: Vec<&str> = plan.iter().map(|(s, _)| s.as_str()).collect();
    assert_eq!(sources, ["localhost:5000/app:1.1", "localhost:5000/app:2.0"]);
    for (inc, exc, sem, flag) in [
        (Some("("), None, None, "--tags-regex"),
        (None, Some("["), None, "--tags-exclude"),
        (None, None, Some(">= x y"), "--semver"),
    ] {
        let err = TagFilter::new(inc, exc, sem).unwrap_err();
        assert!(err.to_string().starts_with(flag), "{err}");
    }
}

#[test]
fn shards_cover_every_repository_exactly_once() {
    let mut text = String::from("r.example:\n  images:\n");
    for i in 0..40 {
        text.push_str(&format!("    repo{i}: []\n"));
    }
    let config = SyncConfig::from_yaml("s.yml", &text).unwrap();
    let shards: Vec<Shard> = (0..3).map(|i| Shard::parse(&format!("{i}/3")).unwrap()).collect();
    let mut sizes = [0; 3];
    for repo in config.repositories() {
        let holders: Vec<usize> = (0..3).filter(|&i| shards[i].holds(repo)).collect();
        assert_eq!(holders.len(), 1, "{}", repo.full_name());
        sizes[holders[0]] += 1;
    }
    assert!(sizes.iter().all(|&n| n > 0), "{sizes:?}");
    for bad in ["3/3", "1", "a/2", "0/0"] {
        assert!(Shard::parse(bad).is_err(), "{bad}");
    }
}

#[test]
fn bad_yaml_is_one_error_with_file_and_line() {
    for (text, line, problem) in [
        ("r.example:\n  images:\n    app: [\n", 4, ""),
        (
            "r.example:\n  images:\n    app: []\n  tls-verfy: true\n",
            4,
            "unknown field `tls-verfy`",
        ),
        (
            "r.example:\n  images-by-tag-regex:\n    app: \"(\"\n",
            3,
            "bad regex",
        ),
        (
            "r.example:\n  images-by-semver:\n    app: \">= x\"\n",
            3,
            "semver range",
        ),
    ] {
        let err = SyncConfig::from_yaml("sync.yml", text).unwrap_err();
        assert_eq!(err.origin, "sync.yml");
        assert_eq!(err.line, Some(line), "{err}");
        assert!(
            err.to_string().starts_with(&format!("sync.yml:{line}: ")),
            "{err}"
        );
        assert!(err.problem.contains(problem), "{err}");
    }
}
