//! The planner alone: skopeo sync's YAML read unchanged, filters, skopeo's
//! destination names, shards, and bad input reported with file and line.

use std::path::Path;

use registry_client::sync::{plan_repository, PlanOptions, Shard, SyncConfig, TagFilter};
use registry_client::Error;

fn tags(list: &[&str]) -> Vec<String> {
    list.iter().map(|t| t.to_string()).collect()
}

const LISTED: &[&str] = &["1.0", "1.1", "2.0", "latest", "v2.1.0", "edge"];

// The example of skopeo-sync(1) as later skopeo releases print it (Docker Hub, and
// `images-by-semver`), unchanged; the CLI tests sync the 1.9.3 page's example for real.
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
        .map(|p| (p.source.to_string(), p.destination.to_string()))
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
            "my-registry.local.lan/repo/busybox:3.11",
            "my-registry.local.lan/repo/busybox:3.12.1",
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
        (
            "r.example:\n  images: {}\nbusybox:\n  images:\n    app: []\n",
            3,
            "does not name a registry host",
        ),
        ("r.example:\n  images:\n    App: []\n", 3, "image \"App\""),
        (
            "# mirror\nr.example:\n  images:\n    ok: []\n    \"App\": []\n",
            5,
            "image \"App\"",
        ),
        (
            "a.example:\n  images-by-tag-regex:\n    app: x\nr.example:\n  images-by-tag-regex:\n    ok: ^1\n    app: \"[\"\n",
            7,
            "bad regex",
        ),
        (
            "r.example:\n  images:\n    app:\n      - good\n      - \"bad tag\"\n",
            5,
            "neither a tag",
        ),
    ] {
        let err = SyncConfig::from_yaml("sync.yml", text).unwrap_err();
        let Error::SyncInput {
            origin,
            line: Some(found),
            problem: message,
        } = &err
        else {
            panic!("not bad input with a line: {err:?}");
        };
        assert_eq!(origin, "sync.yml");
        assert_eq!(*found, line, "{err}");
        assert!(err.is_bad_input());
        assert!(
            err.to_string().starts_with(&format!("sync.yml:{line}: ")),
            "{err}"
        );
        assert!(message.contains(problem), "{err}");
    }
}

#[test]
fn registry_keys_may_carry_a_namespace_as_in_skopeo() {
    let yaml = "r.example:5000/team:\n  images:\n    app: [\"1\"]\n";
    let config = SyncConfig::from_yaml("s.yml", yaml).unwrap();
    let plan = plan_all(&config, &PlanOptions::new("d:5000/m"), &[]);
    assert_eq!(
        plan,
        [("r.example:5000/team/app:1".into(), "d:5000/m/app:1".into())]
    );
}

#[test]
fn scoped_names_that_no_reference_can_hold_are_refused_before_anything_runs() {
    let config = SyncConfig::from_docker("127.0.0.1:5000/team/app:1").unwrap();
    let mut scoped = PlanOptions::new("127.0.0.1:6000/m");
    scoped.scoped = true;
    let err = plan_repository(&config.repositories()[0], None, &scoped).unwrap_err();
    assert!(err.is_bad_input(), "{err}");
    assert!(err.to_string().contains("with --scoped"), "{err}");
    // Into layouts the same name is a directory path, as skopeo's `--dest dir` makes it.
    let mut layouts = PlanOptions::layouts(Path::new("/mirror"));
    layouts.scoped = true;
    let plan = plan_repository(&config.repositories()[0], None, &layouts).unwrap();
    assert_eq!(
        plan[0].destination.to_string(),
        "oci:/mirror/127.0.0.1:5000/team/app:1"
    );
}

#[test]
fn the_kubernetes_example_holds_a_good_sync_file_and_as_many_shards_as_pods() {
    use serde::Deserialize as _;
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../docs/deploy/kubernetes-sync-job.yaml"
    );
    let text = std::fs::read_to_string(path).unwrap();
    let documents: Vec<serde_yaml_ng::Value> = serde_yaml_ng::Deserializer::from_str(&text)
        .map(|document| serde_yaml_ng::Value::deserialize(document).unwrap())
        .collect();
    let kind = |kind: &str| {
        documents
            .iter()
            .find(|d| d["kind"].as_str() == Some(kind))
            .unwrap_or_else(|| panic!("no {kind} in {path}"))
    };
    let sync_file = kind("ConfigMap")["data"]["sync.yml"].as_str().unwrap();
    let config = SyncConfig::from_yaml("sync.yml", sync_file).unwrap();
    assert!(config.repositories().len() >= 3);
    assert!(kind("Secret")["stringData"]["auth.json"]
        .as_str()
        .unwrap()
        .contains("auths"));

    let job = kind("Job");
    assert_eq!(job["spec"]["completionMode"].as_str(), Some("Indexed"));
    let pods = job["spec"]["completions"].as_u64().unwrap();
    assert_eq!(job["spec"]["parallelism"].as_u64(), Some(pods));
    let container = &job["spec"]["template"]["spec"]["containers"][0];
    let args: Vec<&str> = container["args"]
        .as_sequence()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap())
        .collect();
    let shard = args[args.iter().position(|a| *a == "--shard").unwrap() + 1];
    assert_eq!(shard, format!("$(JOB_COMPLETION_INDEX)/{pods}"));
    // Every index the Job runs is a shard the command line takes.
    for index in 0..pods {
        Shard::parse(&shard.replace("$(JOB_COMPLETION_INDEX)", &index.to_string())).unwrap();
    }
    let env: Vec<&str> = container["env"]
        .as_sequence()
        .unwrap()
        .iter()
        .map(|e| e["name"].as_str().unwrap())
        .collect();
    assert!(env.contains(&"JOB_COMPLETION_INDEX") && env.contains(&"REGISTRY_AUTH_FILE"));
}
