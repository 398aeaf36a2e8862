//! containerd with `ctr`, the peer that imports and exports archives: a daemon of its own,
//! started as root with a temp root, state and socket (the CRI and snapshotter plugins that
//! need more than a directory are off; images unpack with the native snapshotter), stopped
//! on drop. Its log is attached to failures.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::tools::{run_peer, PeerFailure};

/// How long containerd may take to serve its socket.
const START_LIMIT: Duration = Duration::from_secs(30);

/// How long one `ctr` command may take.
const LIMIT: Duration = Duration::from_secs(180);

/// A running containerd, stopped on drop.
#[derive(Debug)]
pub struct Containerd {
    child: Child,
    ctr: PathBuf,
    socket: PathBuf,
    dir: tempfile::TempDir,
}

/// An image in containerd's store, as `ctr images ls` lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CtrImage {
    /// Its name.
    pub name: String,
    /// Its media type.
    pub media_type: String,
    /// The digest of its manifest (or index).
    pub digest: String,
}

impl Containerd {
    /// Starts containerd (panicking with install instructions when it is missing, or when
    /// not root: containerd needs root even for images).
    pub fn start() -> Containerd {
        let program = crate::require("containerd");
        let ctr = crate::require("ctr");
        let uid = Command::new("id").arg("-u").output().expect("run id -u");
        assert_eq!(
            uid.stdout.trim_ascii(),
            b"0",
            "containerd must run as root: run the tests as root (`cargo xtask test` does)"
        );
        let dir = tempfile::Builder::new()
            .prefix("containerd-")
            .tempdir()
            .expect("temp dir for containerd");
        let path = |name: &str| dir.path().join(name);
        let socket = path("containerd.sock");
        let config = format!(
            "version = 2\n\
             root = \"{root}\"\n\
             state = \"{state}\"\n\
             disabled_plugins = [\"io.containerd.grpc.v1.cri\", \"io.containerd.snapshotter.v1.btrfs\", \
             \"io.containerd.snapshotter.v1.zfs\", \"io.containerd.snapshotter.v1.devmapper\", \
             \"io.containerd.snapshotter.v1.aufs\", \"io.containerd.internal.v1.tracing\", \
             \"io.containerd.tracing.processor.v1.otlp\"]\n\
             [grpc]\n  address = \"{socket}\"\n\
             [ttrpc]\n  address = \"{socket}.ttrpc\"\n\
             [debug]\n  address = \"\"\n\
             [metrics]\n  address = \"\"\n",
            root = path("root").display(),
            state = path("state").display(),
            socket = socket.display(),
        );
        std::fs::write(path("config.toml"), config).expect("write containerd's config");
        let log = std::fs::File::create(path("containerd.log")).expect("containerd's log");
        let child = Command::new(&program)
            .arg("--config")
            .arg(path("config.toml"))
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log handle"))
            .stderr(log)
            .spawn()
            .expect("start containerd");
        let mut containerd = Containerd {
            child,
            ctr,
            socket,
            dir,
        };
        let deadline = Instant::now() + START_LIMIT;
        loop {
            if let Ok(Some(status)) = containerd.child.try_wait() {
                panic!("containerd exited ({status}):\n{}", containerd.log());
            }
            if containerd.socket.exists() && containerd.ctr().run(&["version"]).is_ok() {
                return containerd;
            }
            if Instant::now() > deadline {
                panic!(
                    "containerd did not serve {} within {START_LIMIT:?}:\n{}",
                    containerd.socket.display(),
                    containerd.log()
                );
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// containerd's log so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("containerd.log")).unwrap_or_default()
    }

    /// `ctr` in `namespace` (each namespace has its own images and content: containerd
    /// reuses compressed blobs it has for the layers it imports, so a test that compares
    /// digests starts from a namespace of its own).
    pub fn namespace(&self, namespace: &str) -> Ctr<'_> {
        Ctr {
            containerd: self,
            namespace: namespace.to_owned(),
        }
    }

    /// `ctr` in the namespace `skiff`.
    pub fn ctr(&self) -> Ctr<'_> {
        self.namespace("skiff")
    }
}

/// `ctr` against one containerd, in one namespace.
#[derive(Debug)]
pub struct Ctr<'a> {
    containerd: &'a Containerd,
    namespace: String,
}

impl Ctr<'_> {
    /// Runs `ctr ARGS`.
    pub fn run(&self, args: &[&str]) -> Result<Vec<u8>, PeerFailure> {
        let mut command = Command::new(&self.containerd.ctr);
        command
            .arg("--address")
            .arg(&self.containerd.socket)
            .args(["--namespace", &self.namespace])
            .args(args);
        run_peer(command, LIMIT)
    }

    /// `ctr images import --snapshotter native ARCHIVE` (with `extra` flags).
    pub fn import(&self, archive: &Path, extra: &[&str]) -> Result<(), PeerFailure> {
        let archive = archive.display().to_string();
        let mut args = vec!["images", "import", "--snapshotter", "native"];
        args.extend(extra);
        args.push(&archive);
        self.run(&args)?;
        Ok(())
    }

    /// `ctr images export OUTPUT IMAGE...`.
    pub fn export(&self, output: &Path, images: &[&str]) -> Result<(), PeerFailure> {
        let output = output.display().to_string();
        let mut args = vec!["images", "export", &output];
        args.extend(images);
        self.run(&args)?;
        Ok(())
    }

    /// `ctr images pull --plain-http REFERENCE` (unpacked with the native snapshotter).
    pub fn pull(&self, reference: &str) -> Result<(), PeerFailure> {
        self.run(&[
            "images",
            "pull",
            "--plain-http",
            "--snapshotter",
            "native",
            reference,
        ])?;
        Ok(())
    }

    /// Every image in the namespace.
    pub fn images(&self) -> Result<Vec<CtrImage>, PeerFailure> {
        let out = self.run(&["images", "ls"])?;
        Ok(String::from_utf8_lossy(&out)
            .lines()
            .skip(1)
            .filter_map(|line| {
                let mut columns = line.split_whitespace();
                Some(CtrImage {
                    name: columns.next()?.to_owned(),
                    media_type: columns.next()?.to_owned(),
                    digest: columns.next()?.to_owned(),
                })
            })
            .collect())
    }

    /// The image named `name`, or a failure that lists what the namespace has.
    pub fn image(&self, name: &str) -> CtrImage {
        let images = self.images().unwrap_or_else(|e| panic!("{e}"));
        images
            .iter()
            .find(|image| image.name == name)
            .cloned()
            .unwrap_or_else(|| {
                panic!(
                    "containerd has no image {name}: {images:?}\n{}",
                    self.containerd.log()
                )
            })
    }
}

impl Drop for Containerd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
