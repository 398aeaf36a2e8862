//! `skiff sync`: many images mirrored by the library's sync runner, with one output line per
//! image, a progress display, an optional JSON report, and the summary on stderr.

use std::path::Path;
use std::sync::Arc;

use registry_auth::Credential;
use registry_client::archive::ArchiveFormat;
use registry_client::image::TransferOptions;
use registry_client::sync::{self, DestinationKind, PlanOptions, Shard, SyncConfig, SyncOptions, TagFilter};

use super::Invocation;
use crate::cli::{SyncArgs, SyncDestArg, SyncSourceArg};
use crate::connect::{self, RegistrySettings};
use crate::failure::Failure;
use crate::progress::SyncDisplay;

pub(crate) async fn run(invocation: &Invocation, args: &SyncArgs) -> Result<(), Failure> {
    let config = read_source(args)?;
    let filter = TagFilter::new(
        args.tags_regex.as_deref(),
        args.tags_exclude.as_deref(),
        args.semver.as_deref(),
    )
    .map_err(bad_input)?;
    let shard = args
        .shard
        .as_deref()
        .map(Shard::parse)
        .transpose()
        .map_err(bad_input)?;
    if args.referrers && args.dest != SyncDestArg::Docker {
        return Err(Failure::usage(
            "sync --referrers",
            "referrers travel between registries only (--dest docker): layouts and archives have no referrers API",
        ));
    }
    let plan_options = PlanOptions {
        destination: args.destination.clone(),
        kind: match args.dest {
            SyncDestArg::Docker => DestinationKind::Registry,
            SyncDestArg::Oci => DestinationKind::Layouts,
            SyncDestArg::DockerArchive => DestinationKind::Archive(ArchiveFormat::Docker),
            SyncDestArg::OciArchive => DestinationKind::Archive(ArchiveFormat::Oci),
        },
        scoped: args.scoped,
        filter,
    };
    let client = client(invocation, &config, args)?;
    let global = &invocation.global;
    let (recompress, preserve_digests) = super::layer_options(&args.layers, "sync")?;
    let mut transfer = TransferOptions::new()
        .jobs(global.jobs.get())
        .platforms(global.platforms.iter().cloned())
        .preserve_digests(preserve_digests);
    if let Some(recompress) = recompress {
        transfer = transfer.recompress(recompress);
    }
    let options = SyncOptions::new()
        .parallel(args.parallel.get())
        .dry_run(args.dry_run)
        .keep_going(args.keep_going)
        .referrers(args.referrers)
        .transfer(transfer);
    let display = Arc::new(SyncDisplay::new(global.quiet));
    let report = sync::run(
        &client,
        &config,
        &plan_options,
        shard,
        &options,
        Arc::clone(&display) as Arc<dyn sync::SyncProgress>,
    )
    .await
    .map_err(bad_input)?;
    let stdout_error = display.stdout_error();
    drop(display);
    if let Some(path) = &args.report {
        write_report(path, &report.to_json())?;
    }
    tracing::debug!(requests = client.request_counts().total(), "sync done");
    if let Some(error) = stdout_error {
        return Err(Failure::new("writing to stdout", error));
    }
    let planned = report.count(sync::ImageStatus::Planned);
    if args.dry_run {
        eprintln!("sync: {planned} planned (dry run: nothing was written)");
    }
    eprintln!("sync: {}", report.summary());
    if report.has_failures() {
        return Err(Failure::silent(1));
    }
    Ok(())
}

/// The sync source the flags name; a file that cannot be read, or bad input, is a usage
/// error naming it.
fn read_source(args: &SyncArgs) -> Result<SyncConfig, Failure> {
    match args.src {
        SyncSourceArg::Docker => SyncConfig::from_docker(&args.source).map_err(bad_input),
        SyncSourceArg::Yaml => {
            let text = std::fs::read_to_string(&args.source)
                .map_err(|e| Failure::usage(format!("reading {}", args.source), e))?;
            SyncConfig::from_yaml(&args.source, &text).map_err(bad_input)
        }
    }
}

/// Bad input (exit 2) reads `FILE:LINE: PROBLEM` (or `FLAG: PROBLEM`); any other error of the
/// run (there are none outside images today) is a failure.
fn bad_input(error: registry_client::Error) -> Failure {
    match &error {
        registry_client::Error::SyncInput {
            origin,
            line,
            problem,
        } => {
            let at = line
                .map(|l| format!("{origin}:{l}"))
                .unwrap_or_else(|| origin.clone());
            Failure::usage(at, problem.clone())
        }
        _ => Failure::new("sync", error),
    }
}

/// A client for every registry of the sync, with what the YAML file says about its
/// registries (credentials first, `tls-verify: false`, `cert-dir`) on top of the flags.
fn client(
    invocation: &Invocation,
    config: &SyncConfig,
    args: &SyncArgs,
) -> Result<registry_client::Client, Failure> {
    let mut settings: Vec<RegistrySettings> = Vec::new();
    let mut registries: Vec<(String, Option<String>)> = Vec::new();
    for repository in config.repositories() {
        registries.push((repository.registry.clone(), Some(repository.name.to_string())));
        if settings.iter().any(|s| s.host == repository.registry) {
            // One entry per host: credentials and TLS settings belong to the registry.
            continue;
        }
        settings.push(RegistrySettings {
            host: repository.registry.clone(),
            credential: repository
                .credentials
                .as_ref()
                .map(|c| Credential::basic(&c.username, c.password.as_str())),
            insecure: repository.tls_verify == Some(false),
            cert_dir: repository.cert_dir.as_ref().map(Into::into),
        });
    }
    if args.dest == SyncDestArg::Docker {
        // The prefix's host and path, for the auth file's namespaced keys.
        let prefix = args.destination.trim_end_matches('/');
        if let Ok(reference) = oci_manifest::Reference::parse(&format!("{prefix}/x")) {
            let path = reference.repository().as_str().trim_end_matches("/x").to_owned();
            registries.push((reference.registry().to_owned(), Some(path)));
        }
    }
    let named: Vec<(&str, Option<&str>)> = registries
        .iter()
        .map(|(registry, repository)| (registry.as_str(), repository.as_deref()))
        .collect();
    connect::client_with(&invocation.global, &invocation.explicit, &named, &settings)
}

/// Writes the report whole or not at all: a temp file beside it, renamed over it.
fn write_report(path: &Path, report: &serde_json::Value) -> Result<(), Failure> {
    let what = || format!("writing the report {}", path.display());
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    let mut text = serde_json::to_vec_pretty(report).map_err(|e| Failure::new(what(), e))?;
    text.push(b'\n');
    let mut file = tempfile::NamedTempFile::new_in(dir).map_err(|e| Failure::new(what(), e))?;
    std::io::Write::write_all(&mut file, &text).map_err(|e| Failure::new(what(), e))?;
    file.persist(path).map_err(|e| Failure::new(what(), e.error))?;
    Ok(())
}
