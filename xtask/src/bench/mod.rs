//! `cargo xtask bench [--quick] [--rounds N] [--only transfer|sync|latency]`: skiff against
//! skopeo, end to end.
//!
//! Starts Debian's `docker-registry` on a loopback port in a temp dir, builds
//! and pushes (with skopeo) the benchmark images, builds skiff in release
//! mode, then runs every scenario with the contenders alternating, and writes
//! the results between the markers of `docs/PERFORMANCE.md`: one section per
//! group of scenarios (single images; sync; far registries), so that `--only`
//! one group leaves the others' last results in place.

mod driver;
mod measure;
mod report;
mod requests;
mod scenario;
mod timeline;

use std::path::{Path, PathBuf};
use std::time::Duration;

use skiff_integration::{ImageFormat, Latency, PushedImage, RandomImage, Registry, Skopeo};

use measure::Invocation;
use scenario::{BenchImage, Programs, Scenario, SyncSet, Target, Tool};

const MIB: usize = 1 << 20;
/// Rounds when not told otherwise; the issue asks for at least five.
const DEFAULT_ROUNDS: usize = 5;
const QUICK_ROUNDS: usize = 3;
/// Repository prefix the warm-copy destination lives under.
const WARM_PREFIX: &str = "warm";
/// Repository prefix the no-op sync's destination lives under.
const SYNCED_PREFIX: &str = "synced";
/// The sync benchmark's images: repositories, tags each, and layer sizes (one shared by every
/// image, one of each image's own).
const SYNC_REPOSITORIES: usize = 8;
const SYNC_TAGS: usize = 3;
const SYNC_SHARED_LAYER: usize = 32 * 1024;
const SYNC_OWN_LAYER: usize = 16 * 1024;
/// The far registries' delay, each way: a round trip of 50 ms, a registry in another region.
const FAR_ONE_WAY: Duration = Duration::from_millis(25);
/// The far scenarios' image: many small layers, so round trips rather than bytes count.
const FAR_LAYERS: usize = 20;
const FAR_LAYER: usize = 32 * 1024;
/// Round trips that wait for each other whatever the client does (the depth of the
/// lower bound): a pull pings, reads the manifest, then fetches the blobs.
const PULL_DEPTH: usize = 3;
/// A push pings, HEADs a blob, starts its upload, finishes it, then puts the manifest.
const PUSH_DEPTH: usize = 5;
/// A copy pings both registries at once, reads the manifest, then pushes.
const COPY_DEPTH: usize = 6;
/// A sync also lists each repository's tags first.
const SYNC_DEPTH: usize = 7;
/// A no-op sync pings, lists tags, and HEADs each manifest on both sides at once.
const NO_OP_SYNC_DEPTH: usize = 3;
/// Programs the benchmark runs besides the integration peers, with their
/// Debian packages.
const BENCH_TOOLS: [(&str, &str); 2] = [("/usr/bin/time", "time"), ("/usr/bin/curl", "curl")];

/// A group of scenarios, reported in a section of its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Group {
    /// One image at a time: start-up, inspect, digest, pull, push, copy.
    Transfer,
    /// Many images: `skiff sync` against `skopeo sync`.
    Sync,
    /// Far registries: pull, copy, push and sync through delaying proxies.
    Latency,
}

impl Group {
    const ALL: [Group; 3] = [Group::Transfer, Group::Sync, Group::Latency];

    fn name(self) -> &'static str {
        match self {
            Group::Transfer => "transfer",
            Group::Sync => "sync",
            Group::Latency => "latency",
        }
    }

    /// The markers of its section in `docs/PERFORMANCE.md`.
    fn markers(self) -> (&'static str, &'static str) {
        match self {
            Group::Transfer => (report::START_MARKER, report::END_MARKER),
            Group::Sync => ("<!-- bench:sync:start -->", "<!-- bench:sync:end -->"),
            Group::Latency => ("<!-- bench:latency:start -->", "<!-- bench:latency:end -->"),
        }
    }
}

/// What the command line asked for.
#[derive(Debug, PartialEq, Eq)]
struct Options {
    rounds: usize,
    quick: bool,
    /// One group only; both when `None`.
    only: Option<Group>,
}

impl Options {
    fn parse(args: &[String]) -> Result<Options, String> {
        let mut options = Options {
            rounds: DEFAULT_ROUNDS,
            quick: false,
            only: None,
        };
        let mut rounds = None;
        let mut args = args.iter();
        while let Some(arg) = args.next() {
            match arg.as_str() {
                "--quick" => options.quick = true,
                "--rounds" => {
                    let value = args.next().ok_or("--rounds needs a number")?;
                    let n: usize = value
                        .parse()
                        .map_err(|_| format!("--rounds {value:?}: not a number"))?;
                    if n == 0 {
                        return Err("--rounds must be at least 1".to_owned());
                    }
                    rounds = Some(n);
                }
                "--only" => {
                    let value = args.next().ok_or("--only needs transfer, sync or latency")?;
                    options.only = Some(
                        Group::ALL
                            .into_iter()
                            .find(|g| g.name() == value)
                            .ok_or_else(|| format!("--only {value:?}: not transfer, sync or latency"))?,
                    );
                }
                other => {
                    return Err(format!(
                        "bench: unknown argument {other:?} (try --quick, --rounds N, --only transfer|sync|latency)"
                    ))
                }
            }
        }
        options.rounds = rounds.unwrap_or(if options.quick {
            QUICK_ROUNDS
        } else {
            DEFAULT_ROUNDS
        });
        Ok(options)
    }

    /// The command line that reproduces this run.
    fn command_line(&self) -> String {
        let mut line = "cargo xtask bench".to_owned();
        if self.quick {
            line.push_str(" --quick");
        }
        let default = if self.quick { QUICK_ROUNDS } else { DEFAULT_ROUNDS };
        if self.rounds != default {
            line.push_str(&format!(" --rounds {}", self.rounds));
        }
        if let Some(group) = self.only {
            line.push_str(&format!(" --only {}", group.name()));
        }
        line
    }

    fn runs(&self, group: Group) -> bool {
        self.only.is_none_or(|only| only == group)
    }
}

/// Runs the benchmark and updates `docs/PERFORMANCE.md`.
pub(crate) fn run(args: &[String]) -> Result<(), String> {
    let options = Options::parse(args)?;
    crate::tools::ensure_peers()?;
    require_bench_tools()?;
    crate::cargo(&["build", "--release", "-p", "skiff"])?;
    let skiff = release_binary("skiff");
    let machine = report::Machine::describe(&skiff);

    let work = tempfile::Builder::new()
        .prefix("skiff-bench-")
        .tempdir()
        .map_err(|e| format!("creating a temp dir: {e}"))?;
    let authfile = work.path().join("auth.json");
    std::fs::write(&authfile, r#"{"auths":{}}"#)
        .map_err(|e| format!("writing {}: {e}", authfile.display()))?;
    let programs = Programs {
        skiff,
        skopeo_authfile: authfile,
        skiff_authfile: None,
    };

    let registry = Registry::anonymous();
    eprintln!("# registry on {}; generating and pushing images", registry.addr());
    let skopeo = Skopeo::new();
    let mut groups: Vec<(Group, Vec<Scenario>)> = Vec::new();
    // The pushed images' layouts are temp dirs that the push scenarios read: they live until
    // every group has run.
    let mut pushed: Vec<PushedImage> = Vec::new();
    if options.runs(Group::Transfer) {
        let big = push_image(&skopeo, &registry, "bench/big:1", &[64 * MIB; 4]);
        let small = push_image(&skopeo, &registry, "bench/small:1", &[4096; 200]);
        let huge = push_image(&skopeo, &registry, "bench/huge:1", &[512 * MIB]);
        let (big_image, small_image, huge_image) = (
            describe(&big, "4 x 64 MiB"),
            describe(&small, "200 x 4 KiB"),
            describe(&huge, "1 x 512 MiB"),
        );
        prime_warm_copy(&programs, &registry, &big_image)?;
        let archives = Archives {
            big: write_archive(&programs, &registry, &big_image, work.path())?,
            huge: write_archive(&programs, &registry, &huge_image, work.path())?,
        };
        let scenarios = scenarios(&programs, &big_image, &small_image, &huge_image, &big, &archives);
        groups.push((Group::Transfer, scenarios));
        pushed.extend([big, small, huge]);
    }
    let sync_set = if options.runs(Group::Sync) || options.runs(Group::Latency) {
        let sync_set = push_sync_set(&skopeo, &registry);
        prime_synced(&programs, &registry, &sync_set, work.path())?;
        Some(sync_set)
    } else {
        None
    };
    if let (true, Some(sync_set)) = (options.runs(Group::Sync), &sync_set) {
        let scenarios = vec![
            scenario::sync_into_empty(&programs, sync_set),
            scenario::sync_no_op(&programs, sync_set),
        ];
        groups.push((Group::Sync, scenarios));
    }
    if let (true, Some(sync_set)) = (options.runs(Group::Latency), &sync_set) {
        let far = push_image(&skopeo, &registry, "bench/far:1", &[FAR_LAYER; FAR_LAYERS]);
        let label = format!("{FAR_LAYERS} x {} KiB", FAR_LAYER >> 10);
        let far_image = describe(&far, &label);
        groups.push((Group::Latency, far_scenarios(&programs, &far_image, sync_set)));
        pushed.push(far);
    }

    let doc_path = crate::project_root().join("docs").join("PERFORMANCE.md");
    let mut doc = std::fs::read_to_string(&doc_path).unwrap_or_else(|_| "# Performance\n".to_owned());
    for (group, scenarios) in &groups {
        let mut outcomes = Vec::new();
        for scenario in scenarios {
            eprintln!("# {}", scenario.name);
            outcomes.push(driver::run(scenario, &registry, options.rounds, work.path())?);
        }
        let section = report::render(
            &machine,
            &options.command_line(),
            options.rounds,
            &report::load_average(),
            &outcomes,
        );
        doc = report::splice(&doc, &section, group.markers());
        println!("{section}");
    }
    std::fs::write(&doc_path, doc).map_err(|e| format!("writing {}: {e}", doc_path.display()))?;
    eprintln!("# wrote {}", doc_path.display());
    drop(pushed);
    Ok(())
}

/// The docker-archives the load scenarios read, written once (untimed) by skopeo.
struct Archives {
    big: PathBuf,
    huge: PathBuf,
}

/// Writes `image` into a docker-archive under `work` with skopeo, untimed.
fn write_archive(
    programs: &Programs,
    registry: &Registry,
    image: &BenchImage,
    work: &Path,
) -> Result<PathBuf, String> {
    let file = work.join(format!("{}.tar", image.name.replace(['/', ':'], "-")));
    scenario::skopeo_copy(
        programs,
        format!("docker://{}/{}", registry.addr(), image.name),
        format!("docker-archive:{}:{}", file.display(), image.name),
    )
    .run()?;
    Ok(file)
}

/// Every scenario, in the order the report lists them.
fn scenarios(
    programs: &Programs,
    big: &BenchImage,
    small: &BenchImage,
    huge: &BenchImage,
    big_pushed: &PushedImage,
    archives: &Archives,
) -> Vec<Scenario> {
    let first_layer = &big_pushed.image().layers()[0];
    let layer_file = big_pushed.image().blob_path(first_layer.digest());
    // The big image: 1.5x skopeo, and within 1.3x of the raw limit.
    let big_speed = || {
        vec![
            Target::Speed {
                versus: Tool::Skopeo,
                factor: 1.5,
            },
            Target::Speed {
                versus: Tool::Curl,
                factor: 1.0 / 1.3,
            },
        ]
    };
    // Issue 21: at most half of skopeo's CPU per GiB pulled and pushed.
    let half_the_cpu = || Target::CpuPerGib {
        versus: Tool::Skopeo,
        factor: 0.5,
    };
    let mut pull_big_targets = big_speed();
    pull_big_targets.push(Target::RssNotAbove(Tool::Skopeo));
    pull_big_targets.push(half_the_cpu());
    let mut push_big_targets = big_speed();
    push_big_targets.push(half_the_cpu());
    let pull_big = scenario::pull(programs, big, pull_big_targets);
    let baseline = pull_big.name.clone();
    let mut pull_huge = scenario::pull(
        programs,
        huge,
        vec![
            Target::RssCloseTo {
                baseline,
                factor: 1.25,
            },
            half_the_cpu(),
        ],
    );
    let mut push_huge = scenario::push(programs, huge, vec![half_the_cpu()]);
    push_huge.max_rounds = Some(2);
    // Peak memory is what this one is for; one round each is enough.
    pull_huge.max_rounds = Some(1);
    // Archives: as fast as skopeo both ways, memory independent of layer size (a 512 MiB
    // layer within 1.25x of 64 MiB ones), and no more than skopeo's.
    let archive_targets = |baseline: Option<String>| {
        let mut targets = vec![
            Target::Speed {
                versus: Tool::Skopeo,
                factor: 1.0,
            },
            Target::RssNotAbove(Tool::Skopeo),
        ];
        if let Some(baseline) = baseline {
            targets.push(Target::RssCloseTo {
                baseline,
                factor: 1.25,
            });
        }
        targets
    };
    let save_big = scenario::save_archive(programs, big, archive_targets(None));
    let load_big = scenario::load_archive(programs, big, &archives.big, archive_targets(None));
    let mut save_huge = scenario::save_archive(programs, huge, archive_targets(Some(save_big.name.clone())));
    let mut load_huge = scenario::load_archive(
        programs,
        huge,
        &archives.huge,
        archive_targets(Some(load_big.name.clone())),
    );
    save_huge.max_rounds = Some(2);
    load_huge.max_rounds = Some(2);
    vec![
        scenario::startup(programs),
        scenario::inspect(programs, big),
        scenario::digest(programs, &layer_file, first_layer.size()),
        pull_big,
        scenario::push(programs, big, push_big_targets),
        scenario::pull(
            programs,
            small,
            vec![
                Target::Speed {
                    versus: Tool::Skopeo,
                    factor: 2.0,
                },
                Target::Speed {
                    versus: Tool::Curl,
                    factor: 1.0 / 1.3,
                },
            ],
        ),
        scenario::push(
            programs,
            small,
            vec![Target::Speed {
                versus: Tool::Skopeo,
                factor: 2.0,
            }],
        ),
        scenario::copy_mount(programs, big),
        scenario::copy_warm(programs, big, WARM_PREFIX),
        pull_huge,
        push_huge,
        save_big,
        load_big,
        save_huge,
        load_huge,
    ]
}

fn push_image(skopeo: &Skopeo, registry: &Registry, name: &str, layers: &[usize]) -> PushedImage {
    eprintln!("  {name}: {} layers", layers.len());
    skopeo.push_random_image(registry, name, layers, ImageFormat::Oci)
}

fn describe(pushed: &PushedImage, label: &str) -> BenchImage {
    let image = pushed.image();
    let config = image.config();
    let blobs = std::iter::once(config).chain(image.layers());
    let name = pushed
        .reference()
        .split_once('/')
        .map_or(pushed.reference(), |(_, name)| name)
        .to_owned();
    BenchImage {
        label: label.to_owned(),
        name,
        layout: image.layout_dir().to_path_buf(),
        blobs: blobs.clone().map(|b| b.digest().to_owned()).collect(),
        bytes: blobs.map(|b| b.size()).sum(),
    }
}

/// Fills the warm-copy destination once, untimed.
fn prime_warm_copy(programs: &Programs, registry: &Registry, image: &BenchImage) -> Result<(), String> {
    let host = registry.addr();
    scenario::skopeo_copy(
        programs,
        format!("docker://{host}/{}", image.name),
        format!("docker://{host}/{WARM_PREFIX}/{}", image.name),
    )
    .run()
}

/// The far-registry scenarios: the same commands as the near ones, every request and answer
/// delayed by [`FAR_ONE_WAY`] at both ends.
fn far_scenarios(programs: &Programs, image: &BenchImage, sync_set: &SyncSet) -> Vec<Scenario> {
    let latency = Latency::each_way(FAR_ONE_WAY);
    // What every far scenario is held to: near the bound of its own requests, none avoidable,
    // and for copy and sync 3x skopeo; requests per image are reported.
    let targets = |depth: usize, versus_skopeo: Option<f64>, images: usize| {
        let mut targets: Vec<Target> = versus_skopeo
            .map(|factor| Target::Speed {
                versus: Tool::Skopeo,
                factor,
            })
            .into_iter()
            .collect();
        targets.push(Target::NearLowerBound { factor: 1.3, depth });
        targets.push(Target::NoAvoidableRequests);
        targets.push(Target::RequestsPerImage { images });
        targets
    };
    let images = sync_set.images;
    vec![
        scenario::far(
            scenario::pull(programs, image, Vec::new()),
            latency,
            targets(PULL_DEPTH, None, 1),
        ),
        scenario::far(
            scenario::copy_between_registries(programs, image),
            latency,
            targets(COPY_DEPTH, Some(3.0), 1),
        ),
        scenario::far(
            scenario::push(programs, image, Vec::new()),
            latency,
            targets(PUSH_DEPTH, None, 1),
        ),
        scenario::far(
            scenario::sync_into_empty(programs, sync_set),
            latency,
            targets(SYNC_DEPTH, Some(3.0), images),
        ),
        scenario::far(
            scenario::sync_no_op(programs, sync_set),
            latency,
            targets(NO_OP_SYNC_DEPTH, None, images),
        ),
        // Token exchanges, counted by the destination's token service: near, since the
        // service is not behind the delaying proxy, and what is measured is a count.
        scenario::with_token_auth(
            scenario::copy_between_registries(programs, image),
            token_targets(1),
        ),
        scenario::with_token_auth(
            scenario::sync_into_empty(programs, sync_set),
            token_targets(images),
        ),
    ]
}

/// What a scenario against a destination with token auth is held to: one exchange per set of
/// scopes, and no avoidable request; requests per image are reported.
fn token_targets(images: usize) -> Vec<Target> {
    vec![
        Target::TokenOncePerScope,
        Target::NoAvoidableRequests,
        Target::RequestsPerImage { images },
    ]
}

/// Pushes the sync benchmark's images: `SYNC_REPOSITORIES` repositories of `SYNC_TAGS` tags,
/// every image with the one shared layer and one of its own.
fn push_sync_set(skopeo: &Skopeo, registry: &Registry) -> SyncSet {
    eprintln!(
        "  sync set: {SYNC_REPOSITORIES} repositories x {SYNC_TAGS} tags, a shared {} KiB layer and {} KiB of their own",
        SYNC_SHARED_LAYER >> 10,
        SYNC_OWN_LAYER >> 10
    );
    let repositories: Vec<String> = (0..SYNC_REPOSITORIES).map(|i| format!("sync/repo{i}")).collect();
    for repository in &repositories {
        for tag in 1..=SYNC_TAGS {
            let name = format!("{repository}:{tag}");
            let image =
                RandomImage::build_sharing(&name, &[("sync-base", SYNC_SHARED_LAYER)], &[SYNC_OWN_LAYER]);
            skopeo.push_image(registry, &name, image, ImageFormat::Oci);
        }
    }
    SyncSet {
        repositories,
        images: SYNC_REPOSITORIES * SYNC_TAGS,
        synced_prefix: SYNCED_PREFIX.to_owned(),
    }
}

/// Fills the no-op sync's destination once, untimed.
fn prime_synced(programs: &Programs, registry: &Registry, set: &SyncSet, work: &Path) -> Result<(), String> {
    let yaml = work.join("prime-sync.yml");
    let mut text = format!("{}:\n  images:\n", registry.addr());
    for repository in &set.repositories {
        text.push_str(&format!("    {repository}: []\n"));
    }
    std::fs::write(&yaml, text).map_err(|e| format!("writing {}: {e}", yaml.display()))?;
    Invocation::new(
        &programs.skiff,
        [
            "-q".to_owned(),
            "sync".to_owned(),
            "--src".to_owned(),
            "yaml".to_owned(),
            yaml.display().to_string(),
            format!("{}/{}", registry.addr(), set.synced_prefix),
        ],
    )
    .run()
}

/// GNU time and curl: not integration peers, but the benchmark needs them.
fn require_bench_tools() -> Result<(), String> {
    let missing: Vec<&str> = BENCH_TOOLS
        .iter()
        .filter(|(path, _)| !Path::new(path).is_file())
        .map(|(_, package)| *package)
        .collect();
    if missing.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "the benchmark needs {}: run `sudo apt-get install -y {}`",
            missing.join(", "),
            missing.join(" ")
        ))
    }
}

/// Where `cargo build --release -p NAME` put the binary.
fn release_binary(name: &str) -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| crate::project_root().join("target"));
    target.join("release").join(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(line: &str) -> Vec<String> {
        line.split_whitespace().map(str::to_owned).collect()
    }

    #[test]
    fn options_parse_and_print_back() {
        let cases = [
            ("", 5, false, None, "cargo xtask bench"),
            ("--quick", 3, true, None, "cargo xtask bench --quick"),
            ("--rounds 7", 7, false, None, "cargo xtask bench --rounds 7"),
            (
                "--quick --rounds 1",
                1,
                true,
                None,
                "cargo xtask bench --quick --rounds 1",
            ),
            (
                "--only sync",
                5,
                false,
                Some(Group::Sync),
                "cargo xtask bench --only sync",
            ),
            (
                "--quick --only latency",
                3,
                true,
                Some(Group::Latency),
                "cargo xtask bench --quick --only latency",
            ),
        ];
        for (line, rounds, quick, only, printed) in cases {
            let options = Options::parse(&args(line)).unwrap();
            assert_eq!(options, Options { rounds, quick, only }, "{line}");
            assert_eq!(options.command_line(), printed);
        }
    }

    #[test]
    fn bad_options_are_refused() {
        for line in [
            "--rounds",
            "--rounds x",
            "--rounds 0",
            "--fast",
            "--only",
            "--only pull",
        ] {
            assert!(Options::parse(&args(line)).is_err(), "{line}");
        }
    }
}
