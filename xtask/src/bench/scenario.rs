//! What is measured: each scenario's contenders, the command each runs, and
//! the target skiff is held to.

use std::fmt;
use std::path::{Path, PathBuf};

use skiff_integration::Latency;

use super::measure::Invocation;

/// Who runs a command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Tool {
    Skiff,
    Skopeo,
    /// Parallel `curl` of the blobs: the raw limit of the machine and registry.
    Curl,
    /// The same `curl`, then `sync` of the files it wrote: the raw limit for
    /// a durable pull (skiff fsyncs every blob before it names it).
    CurlSynced,
    Openssl,
}

impl Tool {
    /// Whether the tool talks to the registry through a client worth counting.
    pub(crate) fn is_registry_client(self) -> bool {
        matches!(self, Tool::Skiff | Tool::Skopeo)
    }
}

impl Tool {
    /// A lowercase word for file and repository names.
    pub(crate) fn slug(self) -> &'static str {
        match self {
            Tool::Skiff => "skiff",
            Tool::Skopeo => "skopeo",
            Tool::Curl => "curl",
            Tool::CurlSynced => "curl-sync",
            Tool::Openssl => "openssl",
        }
    }
}

impl fmt::Display for Tool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Tool::Skiff => "skiff",
            Tool::Skopeo => "skopeo",
            Tool::Curl => "curl (raw limit)",
            Tool::CurlSynced => "curl + fsync (durable raw limit)",
            Tool::Openssl => "openssl",
        })
    }
}

/// Where one run reads from and writes to.
#[derive(Debug)]
pub(crate) struct Run<'a> {
    /// `HOST:PORT` of the registry holding the benchmark images.
    pub(crate) source: &'a str,
    /// `HOST:PORT` written to: the same registry, or a fresh one for pushes.
    pub(crate) destination: &'a str,
    /// An empty directory of this run's own, removed afterwards.
    pub(crate) scratch: &'a Path,
    /// Unique among the runs of a benchmark, usable in a repository name.
    pub(crate) id: &'a str,
    /// An auth file with the credentials of the destination, when it wants them (a fresh
    /// registry with token auth).
    pub(crate) authfile: Option<&'a Path>,
}

/// One side of a comparison.
pub(crate) struct Contender {
    pub(crate) tool: Tool,
    command: Box<dyn Fn(&Run<'_>) -> Invocation>,
}

impl Contender {
    pub(crate) fn new(tool: Tool, command: impl Fn(&Run<'_>) -> Invocation + 'static) -> Self {
        Contender {
            tool,
            command: Box::new(command),
        }
    }

    pub(crate) fn command(&self, run: &Run<'_>) -> Invocation {
        (self.command)(run)
    }
}

/// What skiff must achieve in a scenario.
#[derive(Debug, Clone)]
pub(crate) enum Target {
    /// `versus`'s wall time divided by skiff's is at least `factor`.
    Speed { versus: Tool, factor: f64 },
    /// skiff's fastest run is below this many milliseconds.
    UnderMillis(u64),
    /// skiff's peak RSS is no more than `versus`'s.
    RssNotAbove(Tool),
    /// A warm copy: at most `max_heads` HEADs, and no blob moves.
    WarmCopy { max_heads: usize },
    /// Every one of `blobs` blobs is mounted, none uploaded.
    MountsAll { blobs: usize },
    /// skiff's peak RSS is at most `factor` times its peak in the scenario
    /// named `baseline`: memory independent of layer size.
    RssCloseTo { baseline: String, factor: f64 },
    /// Not a goal but a figure: each registry client's requests divided by
    /// the `images` it moved or checked.
    RequestsPerImage { images: usize },
    /// Through far registries, skiff's median wall time is at most `factor`
    /// times the lower bound of its own requests and concurrency (see
    /// [`Timeline::lower_bound`](super::timeline::Timeline::lower_bound)), the
    /// protocol making `depth` round trips wait for each other.
    NearLowerBound { factor: f64, depth: usize },
    /// No request that could be avoided: at most one HEAD per blob and
    /// repository, no repeated download, no GET of a destination manifest.
    NoAvoidableRequests,
    /// Each set of scopes exchanged for a token once per run (a destination with token auth).
    TokenOncePerScope,
    /// skiff's user+sys CPU time per GiB moved is at most `factor` times
    /// `versus`'s.
    CpuPerGib { versus: Tool, factor: f64 },
}

impl Target {
    /// Whether this target compares with the raw limit (`curl`).
    fn is_raw_limit(&self) -> bool {
        matches!(
            self,
            Target::Speed {
                versus: Tool::Curl,
                ..
            }
        )
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Target::Speed { versus, factor } if *factor >= 1.0 => {
                write!(f, "at least {factor}x as fast as {versus}")
            }
            Target::Speed { versus, factor } => write!(f, "at least {factor:.2}x the speed of {versus}"),
            Target::UnderMillis(ms) => write!(f, "under {ms} ms"),
            Target::RssNotAbove(versus) => write!(f, "peak RSS no more than {versus}'s"),
            Target::WarmCopy { max_heads } => write!(f, "at most {max_heads} HEADs, no blob transfer"),
            Target::MountsAll { blobs } => write!(f, "all {blobs} blobs mounted"),
            Target::RssCloseTo { baseline, factor } => {
                write!(f, "peak RSS at most {factor}x skiff's in {baseline}")
            }
            Target::RequestsPerImage { images } => write!(f, "requests per image ({images} images)"),
            Target::NearLowerBound { factor, depth } => write!(
                f,
                "within {factor}x of the lower bound (round trip x max({depth}, requests / peak in flight))"
            ),
            Target::NoAvoidableRequests => write!(
                f,
                "no avoidable request (one HEAD per blob, no repeated GET, no GET of a destination manifest, no download of a blob not sent)"
            ),
            Target::CpuPerGib { versus, factor } => {
                write!(f, "CPU (user+sys) per GiB at most {factor}x {versus}'s")
            }
            Target::TokenOncePerScope => write!(f, "one token exchange per set of scopes"),
        }
    }
}

/// One comparison: contenders run alternately, round after round.
pub(crate) struct Scenario {
    pub(crate) name: String,
    /// Bytes moved or hashed per run, for throughput.
    pub(crate) bytes: Option<u64>,
    /// Give every run a registry of its own to write to, so no run finds
    /// blobs an earlier one left (skopeo remembers where it saw blobs and
    /// would mount them instead of pushing).
    pub(crate) fresh_registry: FreshRegistry,
    /// Run through proxies adding this latency in front of the source and of the
    /// destination: far registries.
    pub(crate) latency: Option<Latency>,
    /// Fewer rounds than the benchmark's, for expensive runs.
    pub(crate) max_rounds: Option<usize>,
    pub(crate) contenders: Vec<Contender>,
    pub(crate) targets: Vec<Target>,
}

/// Whether each run writes to a registry of its own, and how that registry authenticates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FreshRegistry {
    /// Runs write to the benchmark's registry.
    None,
    /// A fresh anonymous registry per run.
    Anonymous,
    /// A fresh registry per run with bearer-token auth, its token service counting the
    /// exchanges; both tools get its credentials in the run's auth file.
    Token,
}

/// An image the benchmark pushed, as the scenarios need it.
#[derive(Debug)]
pub(crate) struct BenchImage {
    /// A short label: `4 x 64 MiB`.
    pub(crate) label: String,
    /// `NAME:TAG` in the source registry.
    pub(crate) name: String,
    /// The OCI layout it was pushed from (tag `latest`).
    pub(crate) layout: PathBuf,
    /// Config and layer digests.
    pub(crate) blobs: Vec<String>,
    /// Config and layer bytes.
    pub(crate) bytes: u64,
}

impl BenchImage {
    fn repository(&self) -> &str {
        self.name.split(':').next().unwrap_or(&self.name)
    }

    /// The image name with the repository moved under `prefix/`.
    fn renamed(&self, prefix: &str) -> String {
        format!("{prefix}/{}", self.name)
    }
}

/// The programs the scenarios run.
#[derive(Debug, Clone)]
pub(crate) struct Programs {
    pub(crate) skiff: PathBuf,
    /// An empty auth file, so skopeo uses no credentials of the machine.
    pub(crate) skopeo_authfile: PathBuf,
    /// The auth file skiff is given, when a run has credentials (else skiff's own lookup,
    /// which finds none on a benchmark machine).
    pub(crate) skiff_authfile: Option<PathBuf>,
}

impl Programs {
    /// The programs as `run` calls them: with its auth file, when it has one, for both tools.
    pub(crate) fn for_run(&self, run: &Run<'_>) -> Programs {
        let mut programs = self.clone();
        if let Some(authfile) = run.authfile {
            programs.skopeo_authfile = authfile.to_path_buf();
            programs.skiff_authfile = Some(authfile.to_path_buf());
        }
        programs
    }
}

fn skiff(programs: &Programs, args: Vec<String>) -> Invocation {
    let mut all = Vec::new();
    if let Some(authfile) = &programs.skiff_authfile {
        all.extend(["--authfile".to_owned(), authfile.display().to_string()]);
    }
    all.extend(args);
    Invocation::new(&programs.skiff, all)
}

fn skopeo(programs: &Programs, command: &str, args: Vec<String>) -> Invocation {
    let mut all = vec![
        "--insecure-policy".to_owned(),
        command.to_owned(),
        "--authfile".to_owned(),
        programs.skopeo_authfile.display().to_string(),
    ];
    all.extend(args);
    Invocation::new("skopeo", all)
}

/// `skopeo copy --quiet` from `source` to `destination`, plain http at both ends.
pub(crate) fn skopeo_copy(programs: &Programs, source: String, destination: String) -> Invocation {
    let args = vec![
        "--quiet".to_owned(),
        "--src-tls-verify=false".to_owned(),
        "--dest-tls-verify=false".to_owned(),
        source,
        destination,
    ];
    skopeo(programs, "copy", args)
}

/// `skiff --version` against `skopeo --version`: process start-up.
pub(crate) fn startup(programs: &Programs) -> Scenario {
    let skiff_path = programs.skiff.clone();
    Scenario {
        name: "start-up (`--version`)".to_owned(),
        bytes: None,
        fresh_registry: FreshRegistry::None,
        latency: None,
        max_rounds: None,
        contenders: vec![
            Contender::new(Tool::Skiff, move |_| Invocation::new(&skiff_path, ["--version"])),
            Contender::new(Tool::Skopeo, |_| Invocation::new("skopeo", ["--version"])),
        ],
        targets: vec![Target::UnderMillis(10)],
    }
}

/// `inspect` of one image.
pub(crate) fn inspect(programs: &Programs, image: &BenchImage) -> Scenario {
    let (a, b) = (programs.clone(), programs.clone());
    let (n1, n2) = (image.name.clone(), image.name.clone());
    Scenario {
        name: format!("inspect ({})", image.label),
        bytes: None,
        fresh_registry: FreshRegistry::None,
        latency: None,
        max_rounds: None,
        contenders: vec![
            Contender::new(Tool::Skiff, move |run| {
                skiff(&a, vec!["inspect".into(), format!("{}/{n1}", run.source)])
            }),
            Contender::new(Tool::Skopeo, move |run| {
                let args = vec![
                    "--tls-verify=false".into(),
                    format!("docker://{}/{n2}", run.source),
                ];
                skopeo(&b, "inspect", args)
            }),
        ],
        targets: vec![Target::Speed {
            versus: Tool::Skopeo,
            factor: 1.0,
        }],
    }
}

/// `skiff digest --blob FILE` against `openssl dgst -sha256 FILE`.
pub(crate) fn digest(programs: &Programs, file: &Path, size: u64) -> Scenario {
    let a = programs.clone();
    let (f1, f2) = (file.display().to_string(), file.display().to_string());
    Scenario {
        name: format!("digest --blob ({} MiB file)", size >> 20),
        bytes: Some(size),
        fresh_registry: FreshRegistry::None,
        latency: None,
        max_rounds: None,
        contenders: vec![
            Contender::new(Tool::Skiff, move |_| {
                skiff(&a, vec!["digest".into(), "--blob".into(), f1.clone()])
            }),
            Contender::new(Tool::Openssl, move |_| {
                Invocation::new("openssl", ["dgst".into(), "-sha256".into(), f2.clone()])
            }),
        ],
        targets: vec![Target::Speed {
            versus: Tool::Openssl,
            factor: 0.9,
        }],
    }
}

/// Pull into an OCI layout, with parallel `curl` of the blobs as the raw limit.
pub(crate) fn pull(programs: &Programs, image: &BenchImage, targets: Vec<Target>) -> Scenario {
    let (a, b) = (programs.clone(), programs.clone());
    let (n1, n2) = (image.name.clone(), image.name.clone());
    let repository = image.repository().to_owned();
    let blobs = image.blobs.clone();
    let with_curl = targets.iter().any(Target::is_raw_limit);
    let mut contenders = vec![
        Contender::new(Tool::Skiff, move |run| {
            let out = run.scratch.join("layout").display().to_string();
            skiff(
                &a,
                vec!["-q".into(), "pull".into(), format!("{}/{n1}", run.source), out],
            )
        }),
        Contender::new(Tool::Skopeo, move |run| {
            let out = format!("oci:{}:latest", run.scratch.join("layout").display());
            skopeo_copy(&b, format!("docker://{}/{n2}", run.source), out)
        }),
    ];
    if with_curl {
        let curl_args = move |run: &Run<'_>| {
            let mut args: Vec<String> = vec!["--silent".into(), "--fail".into(), "--parallel".into()];
            for (index, digest) in blobs.iter().enumerate() {
                args.push("-o".into());
                args.push(run.scratch.join(format!("blob-{index}")).display().to_string());
                args.push(format!("http://{}/v2/{repository}/blobs/{digest}", run.source));
            }
            args
        };
        let curl_args2 = curl_args.clone();
        contenders.push(Contender::new(Tool::Curl, move |run| {
            Invocation::new("curl", curl_args(run))
        }));
        contenders.push(Contender::new(Tool::CurlSynced, move |run| {
            // `sync FILE...` fsyncs each file: what a durable pull must do too.
            let mut args = vec![
                "-c".to_owned(),
                r#"curl "$@" && sync "$0"/blob-*"#.to_owned(),
                run.scratch.display().to_string(),
            ];
            args.extend(curl_args2(run));
            Invocation::new("bash", args)
        }));
    }
    Scenario {
        name: format!("pull ({})", image.label),
        bytes: Some(image.bytes),
        fresh_registry: FreshRegistry::None,
        latency: None,
        max_rounds: None,
        contenders,
        targets,
    }
}

/// Push from an OCI layout to an empty registry; with `raw_limit`, also
/// parallel `curl` uploads of the blobs (one POST and one streamed PUT each).
pub(crate) fn push(programs: &Programs, image: &BenchImage, targets: Vec<Target>) -> Scenario {
    let (a, b) = (programs.clone(), programs.clone());
    let (n1, n2) = (image.name.clone(), image.name.clone());
    let layout = image.layout.display().to_string();
    let (l1, l2) = (layout.clone(), layout);
    let mut contenders = vec![
        Contender::new(Tool::Skiff, move |run| {
            let source = format!("oci:{l1}:latest");
            skiff(
                &a,
                vec![
                    "-q".into(),
                    "push".into(),
                    source,
                    format!("{}/{n1}", run.destination),
                ],
            )
        }),
        Contender::new(Tool::Skopeo, move |run| {
            let destination = format!("docker://{}/{n2}", run.destination);
            skopeo_copy(&b, format!("oci:{l2}:latest"), destination)
        }),
    ];
    if targets.iter().any(Target::is_raw_limit) {
        let repository = image.repository().to_owned();
        let blobs: Vec<(String, PathBuf)> = image
            .blobs
            .iter()
            .map(|digest| {
                let hex = digest.trim_start_matches("sha256:");
                (digest.clone(), image.layout.join("blobs/sha256").join(hex))
            })
            .collect();
        contenders.push(Contender::new(Tool::Curl, move |run| {
            Invocation::new(
                "bash",
                [
                    "-c".to_owned(),
                    curl_push_script(run.destination, &repository, &blobs),
                ],
            )
        }));
    }
    Scenario {
        name: format!("push ({})", image.label),
        bytes: Some(image.bytes),
        fresh_registry: FreshRegistry::Anonymous,
        latency: None,
        max_rounds: None,
        contenders,
        targets,
    }
}

/// Registry to a docker-archive: the layers are decompressed into the tar as they stream
/// (both tools store them uncompressed, as `docker save` does).
pub(crate) fn save_archive(programs: &Programs, image: &BenchImage, targets: Vec<Target>) -> Scenario {
    let (a, b) = (programs.clone(), programs.clone());
    let (n1, n2) = (image.name.clone(), image.name.clone());
    Scenario {
        name: format!("registry -> docker-archive ({})", image.label),
        bytes: Some(image.bytes),
        fresh_registry: FreshRegistry::None,
        latency: None,
        max_rounds: None,
        contenders: vec![
            Contender::new(Tool::Skiff, move |run| {
                let archive = format!("docker-archive:{}:{n1}", run.scratch.join("image.tar").display());
                skiff(
                    &a,
                    vec![
                        "-q".into(),
                        "copy".into(),
                        format!("{}/{n1}", run.source),
                        archive,
                    ],
                )
            }),
            Contender::new(Tool::Skopeo, move |run| {
                let archive = format!("docker-archive:{}:{n2}", run.scratch.join("image.tar").display());
                skopeo_copy(&b, format!("docker://{}/{n2}", run.source), archive)
            }),
        ],
        targets,
    }
}

/// A docker-archive (written once by skopeo, untimed) to an empty registry. skiff sends the
/// layers as the archive holds them, uncompressed; skopeo gzips each on the way.
pub(crate) fn load_archive(
    programs: &Programs,
    image: &BenchImage,
    archive: &Path,
    targets: Vec<Target>,
) -> Scenario {
    let (a, b) = (programs.clone(), programs.clone());
    let (n1, n2) = (image.name.clone(), image.name.clone());
    let archive = format!("docker-archive:{}", archive.display());
    let (s1, s2) = (archive.clone(), archive);
    Scenario {
        name: format!("docker-archive -> registry ({})", image.label),
        bytes: Some(image.bytes),
        fresh_registry: FreshRegistry::Anonymous,
        latency: None,
        max_rounds: None,
        contenders: vec![
            Contender::new(Tool::Skiff, move |run| {
                skiff(
                    &a,
                    vec![
                        "-q".into(),
                        "copy".into(),
                        s1.clone(),
                        format!("{}/{n1}", run.destination),
                    ],
                )
            }),
            Contender::new(Tool::Skopeo, move |run| {
                skopeo_copy(&b, s2.clone(), format!("docker://{}/{n2}", run.destination))
            }),
        ],
        targets,
    }
}

/// The shell function `up URL FILE DIGEST` that [`curl_push_script`] calls.
const CURL_UPLOAD: &str = r#"set -eu
up() {
  loc=$(curl -sS --fail -X POST -o /dev/null -w '%header{location}' "$1")
  case $loc in *\?*) sep='&';; *) sep='?';; esac
  curl -sS --fail -o /dev/null -T "$2" "$loc${sep}digest=$3"
}
pids=''
"#;

/// A shell script uploading every blob at once, each with the two requests a
/// monolithic upload needs: `POST` for the upload URL, `PUT ?digest=` with
/// the file streamed (`-T`). It fails when any upload fails.
fn curl_push_script(host: &str, repository: &str, blobs: &[(String, PathBuf)]) -> String {
    let mut script = CURL_UPLOAD.to_owned();
    for (digest, file) in blobs {
        script.push_str(&format!(
            "up 'http://{host}/v2/{repository}/blobs/uploads/' '{}' '{digest}' & pids=\"$pids $!\"\n",
            file.display()
        ));
    }
    script.push_str("for pid in $pids; do wait $pid; done\n");
    script
}

/// Copy to a new repository of the same registry: every blob can be mounted.
pub(crate) fn copy_mount(programs: &Programs, image: &BenchImage) -> Scenario {
    let blobs = image.blobs.len();
    copy(
        programs,
        image,
        "copy, cross-repository mount",
        None,
        vec![Target::MountsAll { blobs }],
    )
}

/// Copy to a repository that already holds the image.
pub(crate) fn copy_warm(programs: &Programs, image: &BenchImage, warm_prefix: &str) -> Scenario {
    // One HEAD per blob and one for the manifest.
    let max_heads = image.blobs.len() + 1;
    copy(
        programs,
        image,
        "warm copy",
        Some(warm_prefix),
        vec![Target::WarmCopy { max_heads }],
    )
}

/// Copy to a repository of its own in another registry (a fresh one per run): every blob
/// crosses, nothing can be mounted.
pub(crate) fn copy_between_registries(programs: &Programs, image: &BenchImage) -> Scenario {
    let mut scenario = copy(programs, image, "copy to another registry", None, Vec::new());
    scenario.fresh_registry = FreshRegistry::Anonymous;
    scenario
}

/// `scenario` writing to a fresh registry with token auth, held to `targets` instead of its
/// own: both tools log in with the run's auth file, and the token service counts what each
/// asked for.
pub(crate) fn with_token_auth(mut scenario: Scenario, targets: Vec<Target>) -> Scenario {
    scenario.name = format!("{}, token auth", scenario.name);
    scenario.fresh_registry = FreshRegistry::Token;
    scenario.targets = targets;
    scenario
}

/// `scenario` against far registries: every request and every answer delayed by `latency`
/// at the source and at the destination; held to `targets` instead of its own.
pub(crate) fn far(mut scenario: Scenario, latency: Latency, targets: Vec<Target>) -> Scenario {
    scenario.name = format!("{}, {} ms each way", scenario.name, latency.request.as_millis());
    scenario.latency = Some(latency);
    scenario.targets = targets;
    scenario
}

/// Registry-to-registry copy of `image`, into `fixed_prefix/NAME` or, when
/// `None`, into a repository of each run's own.
fn copy(
    programs: &Programs,
    image: &BenchImage,
    label: &str,
    fixed_prefix: Option<&str>,
    targets: Vec<Target>,
) -> Scenario {
    let (a, b) = (programs.clone(), programs.clone());
    let (n1, n2) = (image.name.clone(), image.name.clone());
    let fixed = fixed_prefix.map(|prefix| image.renamed(prefix));
    let fixed2 = fixed.clone();
    let name = image.name.clone();
    let destination = move |run: &Run<'_>, fixed: &Option<String>| match fixed {
        Some(fixed) => format!("{}/{fixed}", run.destination),
        None => format!("{}/copy-{}/{name}", run.destination, run.id),
    };
    let destination2 = destination.clone();
    Scenario {
        name: format!("{label} ({})", image.label),
        bytes: None,
        fresh_registry: FreshRegistry::None,
        latency: None,
        max_rounds: None,
        contenders: vec![
            Contender::new(Tool::Skiff, move |run| {
                let to = destination(run, &fixed);
                skiff(
                    &a.for_run(run),
                    vec!["-q".into(), "copy".into(), format!("{}/{n1}", run.source), to],
                )
            }),
            Contender::new(Tool::Skopeo, move |run| {
                let to = format!("docker://{}", destination2(run, &fixed2));
                skopeo_copy(&b.for_run(run), format!("docker://{}/{n2}", run.source), to)
            }),
        ],
        targets,
    }
}

/// The repositories a sync benchmark mirrors, each with every tag.
#[derive(Debug, Clone)]
pub(crate) struct SyncSet {
    /// `NAME` of each repository in the source registry.
    pub(crate) repositories: Vec<String>,
    /// Images in all.
    pub(crate) images: usize,
    /// Destination path the no-op scenario's registry already holds them under.
    pub(crate) synced_prefix: String,
}

impl SyncSet {
    /// `skopeo sync`'s YAML for these repositories on `source`, written into `scratch`.
    fn write_yaml(&self, source: &str, scratch: &Path) -> String {
        let mut text = format!("{source}:\n  tls-verify: false\n  images:\n");
        for repository in &self.repositories {
            text.push_str(&format!("    {repository}: []\n"));
        }
        let path = scratch.join("sync.yml");
        // A failed write shows as the contender's own failure to read it.
        let _ = std::fs::write(&path, text);
        path.display().to_string()
    }
}

/// `skiff sync` against `skopeo sync` of the same YAML file, into `prefix` of
/// the run's destination (a fresh registry when `fresh`); skiff is to be
/// `factor` times as fast, and both tools' requests per image are reported.
fn sync(
    programs: &Programs,
    set: &SyncSet,
    name: String,
    fresh: FreshRegistry,
    prefix: Option<String>,
    factor: f64,
) -> Scenario {
    let targets = vec![
        Target::Speed {
            versus: Tool::Skopeo,
            factor,
        },
        Target::RequestsPerImage { images: set.images },
    ];
    let (a, b) = (programs.clone(), programs.clone());
    let (s1, s2) = (set.clone(), set.clone());
    let (p1, p2) = (prefix.clone(), prefix);
    let destination = |run: &Run<'_>, prefix: &Option<String>| match prefix {
        Some(prefix) => format!("{}/{prefix}", run.destination),
        None => format!("{}/mirror-{}", run.destination, run.id),
    };
    Scenario {
        name,
        bytes: None,
        fresh_registry: fresh,
        latency: None,
        max_rounds: None,
        contenders: vec![
            Contender::new(Tool::Skiff, move |run| {
                let yaml = s1.write_yaml(run.source, run.scratch);
                skiff(
                    &a.for_run(run),
                    vec![
                        "-q".into(),
                        "sync".into(),
                        "--src".into(),
                        "yaml".into(),
                        yaml,
                        destination(run, &p1),
                    ],
                )
            }),
            Contender::new(Tool::Skopeo, move |run| {
                let yaml = s2.write_yaml(run.source, run.scratch);
                let args = vec![
                    "--src".into(),
                    "yaml".into(),
                    "--dest".into(),
                    "docker".into(),
                    "--dest-tls-verify=false".into(),
                    yaml,
                    destination(run, &p2),
                ];
                skopeo(&b.for_run(run), "sync", args)
            }),
        ],
        targets,
    }
}

/// A sync of every image of `set` into an empty registry.
pub(crate) fn sync_into_empty(programs: &Programs, set: &SyncSet) -> Scenario {
    let name = format!("sync of {} images into an empty registry", set.images);
    sync(programs, set, name, FreshRegistry::Anonymous, None, 4.0)
}

/// A sync of every image of `set` into a registry that holds them all.
pub(crate) fn sync_no_op(programs: &Programs, set: &SyncSet) -> Scenario {
    let name = format!("no-op re-sync of {} images", set.images);
    let prefix = Some(set.synced_prefix.clone());
    sync(programs, set, name, FreshRegistry::None, prefix, 10.0)
}

#[cfg(test)]
mod tests {
    use skiff_integration::{sha256, HttpRequest, Registry};

    use super::*;

    #[test]
    fn the_raw_push_script_uploads_every_blob() {
        let registry = Registry::anonymous();
        let dir = tempfile::tempdir().unwrap();
        let blobs: Vec<(String, PathBuf)> = [&b"first blob"[..], &[7u8; 70_000][..]]
            .iter()
            .enumerate()
            .map(|(i, content)| {
                let path = dir.path().join(format!("blob{i}"));
                std::fs::write(&path, content).unwrap();
                (sha256(content), path)
            })
            .collect();
        let script = curl_push_script(registry.addr(), "raw/push", &blobs);
        Invocation::new("bash", ["-c".to_owned(), script]).run().unwrap();
        for (digest, _) in &blobs {
            let url = format!("http://{}/v2/raw/push/blobs/{digest}", registry.addr());
            let status = HttpRequest::new(http::Method::HEAD, url).send_blocking().status();
            assert_eq!(status.as_u16(), 200, "{digest}");
        }
        // A failed upload fails the script.
        let wrong = vec![(sha256(b"not this"), blobs[0].1.clone())];
        let script = curl_push_script(registry.addr(), "raw/push", &wrong);
        assert!(Invocation::new("bash", ["-c".to_owned(), script]).run().is_err());
    }
}
