//! The planner's destination names against `skopeo sync` itself: the same YAML file or source
//! through skopeo (into a real registry, or its `--dest dir`) and through the planner give the
//! same names, scoped or not.

use std::collections::BTreeSet;
use std::path::Path;
use std::time::Duration;

use futures_util::TryStreamExt;
use registry_client::sync::{plan_repository, PlanOptions, PlannedImage, SyncConfig, Target};
use registry_client::{Client, NetworkEnv};
use skiff_integration::{ImageFormat, Registry, Skopeo};

/// A source registry with a few repositories, and the digest of `team/app:1.0`.
struct Source {
    registry: Registry,
    app_1_0: String,
}

fn source(skopeo: &Skopeo) -> Source {
    let registry = Registry::anonymous();
    let mut app_1_0 = String::new();
    for name in [
        "team/app:1.0",
        "team/app:2.0",
        "team/app:latest",
        "team/app:v1.2",
        "lib/busybox:1.13.1-alpine-perl",
        "lib/busybox:1.13.2-alpine-perl",
        "lib/busybox:1.13.3-alpine-perl",
        "tool:3.12.1",
        "library/busybox:1.0",
    ] {
        let pushed = skopeo.push_random_image(&registry, name, &[64], ImageFormat::Oci);
        if name == "team/app:1.0" {
            app_1_0 = pushed.digest().to_owned();
        }
    }
    Source { registry, app_1_0 }
}

/// The planner's images for `config`, listing tags through a client that follows `conf` (a
/// registries.conf), as skiff does.
fn plan(config: &SyncConfig, options: &PlanOptions, conf: Option<&Path>) -> Vec<PlannedImage> {
    let env = NetworkEnv::default();
    let mut builder = Client::builder().environment(env.clone());
    if let Some(conf) = conf {
        builder =
            builder.registries(registry_client::Registries::from_file(conf, &env).expect("registries.conf"));
    }
    let client = builder.build().expect("client");
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let mut planned = Vec::new();
    for repository in config.repositories() {
        let tags: Option<Vec<String>> = repository.needs_tag_list().then(|| {
            runtime.block_on(async {
                let listing = client.tags(&repository.repository(), None).try_collect();
                tokio::time::timeout(Duration::from_secs(60), listing)
                    .await
                    .expect("tags within a minute")
                    .expect("tags")
            })
        });
        planned.extend(plan_repository(repository, tags.as_deref(), options).expect("plan"));
    }
    planned
}

/// The planned registry destinations under `prefix`, as `NAME:TAG` or `NAME@DIGEST`.
fn registry_names(planned: &[PlannedImage], prefix: &str) -> BTreeSet<String> {
    planned
        .iter()
        .map(|p| match &p.destination {
            Target::Registry(reference) => reference
                .to_string()
                .strip_prefix(&format!("{prefix}/"))
                .unwrap_or_else(|| panic!("{reference} is not under {prefix}"))
                .to_owned(),
            other => panic!("not a registry destination: {other}"),
        })
        .collect()
}

/// What skopeo wrote into `registry`: every tag, and each of `digests` held by digest, as
/// `NAME:TAG` or `NAME@DIGEST` (relative to `prefix`, a path inside the registry).
fn written(registry: &Registry, prefix: &str, digests: &[(String, String)]) -> BTreeSet<String> {
    let mut names: BTreeSet<String> = registry
        .tagged_images()
        .into_keys()
        .map(|name| {
            name.strip_prefix(&format!("{prefix}/"))
                .unwrap_or_else(|| panic!("{name} is not under {prefix}"))
                .to_owned()
        })
        .collect();
    for (repository, digest) in digests {
        if registry
            .manifest_digest(&format!("{prefix}/{repository}"), digest)
            .is_some()
        {
            names.insert(format!("{repository}@{digest}"));
        }
    }
    names
}

/// The image directories skopeo's `--dest dir` made under `root`, relative to it.
fn image_dirs(root: &Path) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    let mut pending = vec![root.to_owned()];
    while let Some(dir) = pending.pop() {
        if dir.join("manifest.json").is_file() {
            let relative = dir.strip_prefix(root).expect("under the root");
            found.insert(relative.display().to_string());
            continue;
        }
        for entry in std::fs::read_dir(&dir).expect("read a directory skopeo made") {
            let path = entry.expect("directory entry").path();
            if path.is_dir() {
                pending.push(path);
            }
        }
    }
    found
}

/// The planned layouts under `root` in skopeo's `--dest dir` naming: `DIR:TAG` for a tag,
/// `DIR@DIGEST` for a source named by digest (listed untagged in layout `DIR`).
fn layout_names(planned: &[PlannedImage], root: &Path) -> BTreeSet<String> {
    planned
        .iter()
        .map(|p| match &p.destination {
            Target::Layout { dir, tag } => {
                let dir = dir
                    .strip_prefix(root)
                    .expect("under the root")
                    .display()
                    .to_string();
                match (tag, p.source.digest()) {
                    (Some(tag), _) => format!("{dir}:{tag}"),
                    (None, Some(digest)) => format!("{dir}@{digest}"),
                    (None, None) => panic!("{} has neither tag nor digest", p.source),
                }
            }
            other => panic!("not a layout destination: {other}"),
        })
        .collect()
}

fn yaml(source: &Source) -> String {
    let host = source.registry.addr();
    format!(
        "{host}:\n  tls-verify: false\n  images:\n    team/app: [\"2.0\", \"{digest}\"]\n    tool: []\n  \
         images-by-tag-regex:\n    lib/busybox: 1\\.13\\.[12]\n{host}/team:\n  tls-verify: false\n  images:\n    \
         app: [latest]\n",
        digest = source.app_1_0
    )
}

#[test]
fn a_yaml_file_into_a_registry_is_named_as_skopeo_names_it() {
    let skopeo = Skopeo::new();
    let source = source(&skopeo);
    let destination = Registry::anonymous();
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("sync.yml");
    std::fs::write(&file, yaml(&source)).expect("write the sync file");
    let prefix = format!("{}/mirror/", destination.addr());
    skopeo
        .sync(&[
            "--src",
            "yaml",
            "--dest",
            "docker",
            "--dest-tls-verify=false",
            file.to_str().expect("UTF-8 path"),
            &prefix,
        ])
        .unwrap_or_else(|failure| destination.fail(failure));

    let config = SyncConfig::from_yaml("sync.yml", &yaml(&source)).expect("the file parses");
    let planned = plan(&config, &PlanOptions::new(&prefix), None);
    let expected = registry_names(&planned, &format!("{}/mirror", destination.addr()));
    let digests = [("app".to_owned(), source.app_1_0.clone())];
    assert_eq!(written(&destination, "mirror", &digests), expected);
    assert!(
        expected.contains("busybox:1.13.1-alpine-perl") && !expected.contains("busybox:1.13.3-alpine-perl")
    );
    assert!(
        expected.contains(&format!("app@{}", source.app_1_0)),
        "{expected:?}"
    );
}

#[test]
fn directories_are_named_as_skopeo_names_them_scoped_or_not() {
    let skopeo = Skopeo::new();
    let source = source(&skopeo);
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("sync.yml");
    std::fs::write(&file, yaml(&source)).expect("write the sync file");
    let config = SyncConfig::from_yaml("sync.yml", &yaml(&source)).expect("the file parses");
    for scoped in [false, true] {
        let out = dir.path().join(format!("out-{scoped}"));
        let mut args = vec!["--src", "yaml", "--dest", "dir"];
        if scoped {
            args.push("--scoped");
        }
        args.extend([file.to_str().expect("UTF-8"), out.to_str().expect("UTF-8")]);
        skopeo
            .sync(&args)
            .unwrap_or_else(|failure| source.registry.fail(failure));
        let mut options = PlanOptions::layouts(&out);
        options.scoped = scoped;
        assert_eq!(
            image_dirs(&out),
            layout_names(&plan(&config, &options, None), &out),
            "scoped: {scoped}"
        );
    }

    // The `--src docker` form, every tag of one repository.
    let out = dir.path().join("docker-scoped");
    let repository = source.registry.reference("team/app");
    skopeo
        .sync(&[
            "--src",
            "docker",
            "--dest",
            "dir",
            "--scoped",
            "--src-tls-verify=false",
            &repository,
            out.to_str().expect("UTF-8"),
        ])
        .unwrap_or_else(|failure| source.registry.fail(failure));
    let mut options = PlanOptions::layouts(&out);
    options.scoped = true;
    let config = SyncConfig::from_docker(&repository).expect("a repository");
    let names = layout_names(&plan(&config, &options, None), &out);
    assert_eq!(image_dirs(&out), names);
    assert!(
        names.contains(&format!("{}/team/app:v1.2", source.registry.addr())),
        "{names:?}"
    );
}

#[test]
fn scoped_names_into_a_registry_are_skopeos_and_a_port_in_them_is_refused_by_both() {
    let skopeo = Skopeo::new();
    let source = source(&skopeo);
    let destination = Registry::anonymous();
    let dir = tempfile::tempdir().expect("temp dir");
    // Registries without a port, which only scoped names into a registry can hold, are the
    // source registry under other names. skopeo follows registries.conf when it copies but not
    // when it lists tags, so the file names tags.
    let conf = dir.path().join("registries.conf");
    let host = source.registry.addr();
    std::fs::write(
        &conf,
        format!(
            "[[registry]]\nprefix = \"docker.io\"\nlocation = \"{host}\"\ninsecure = true\n\n\
             [[registry]]\nprefix = \"src.test\"\nlocation = \"{host}\"\ninsecure = true\n"
        ),
    )
    .expect("write registries.conf");
    let text = "docker.io:\n  images:\n    busybox: [\"1.0\"]\nsrc.test/team:\n  images:\n    app: [\"1.0\", v1.2]\n";
    let file = dir.path().join("sync.yml");
    std::fs::write(&file, text).expect("write the sync file");
    let prefix = format!("{}/m", destination.addr());
    Skopeo::new()
        .with_registries_conf(&conf)
        .sync(&[
            "--src",
            "yaml",
            "--dest",
            "docker",
            "--scoped",
            "--dest-tls-verify=false",
            file.to_str().expect("UTF-8"),
            &prefix,
        ])
        .unwrap_or_else(|failure| destination.fail(failure));
    let config = SyncConfig::from_yaml("sync.yml", text).expect("the file parses");
    let mut options = PlanOptions::new(&prefix);
    options.scoped = true;
    let expected = registry_names(&plan(&config, &options, Some(&conf)), &prefix);
    assert_eq!(written(&destination, "m", &[]), expected);
    assert!(expected.contains("docker.io/library/busybox:1.0"), "{expected:?}");

    // A source registry with a port makes a scoped name with `:` in a path component.
    let tagged = source.registry.reference("team/app:1.0");
    let refused = skopeo
        .sync(&[
            "--src",
            "docker",
            "--dest",
            "docker",
            "--scoped",
            "--src-tls-verify=false",
            "--dest-tls-verify=false",
            &tagged,
            &prefix,
        ])
        .expect_err("skopeo refuses a scoped name with a port");
    assert!(refused.stderr().contains("invalid reference format"), "{refused}");
    let config = SyncConfig::from_docker(&tagged).expect("an image");
    let error = plan_repository(&config.repositories()[0], None, &options).expect_err("refused");
    assert!(error.is_bad_input(), "{error}");
}
