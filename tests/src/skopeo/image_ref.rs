//! How skopeo names an image and reaches its registry: the transport name plus the flags for
//! plain http, TLS trust and credentials.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use crate::htpasswd::User;
use crate::proxy::FaultProxy;
use crate::registry::Registry;

/// A manifest format skopeo can write (`--format`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageFormat {
    /// Docker schema1 (signed by skopeo).
    V2s1,
    /// Docker schema2.
    V2s2,
    /// OCI image manifest.
    Oci,
}

impl ImageFormat {
    /// The value skopeo's `--format` takes.
    pub fn as_str(self) -> &'static str {
        match self {
            ImageFormat::V2s1 => "v2s1",
            ImageFormat::V2s2 => "v2s2",
            ImageFormat::Oci => "oci",
        }
    }
}

/// An image as skopeo names it, with how to reach it when it is in a registry.
#[derive(Debug, Clone)]
pub struct ImageRef {
    name: String,
    access: Option<RegistryAccess>,
}

/// Credentials and TLS trust for one registry.
#[derive(Debug, Clone)]
struct RegistryAccess {
    credentials: Option<User>,
    cert_dir: Option<PathBuf>,
}

impl ImageRef {
    /// `docker://HOST:PORT/NAME` on `registry`, with its default credentials and, for TLS
    /// registries, its test CA.
    pub fn registry(registry: &Registry, name: &str) -> ImageRef {
        ImageRef {
            name: format!("docker://{}", registry.reference(name)),
            access: Some(RegistryAccess {
                credentials: registry.credentials(),
                cert_dir: registry.tls().map(|t| t.cert_dir().to_owned()),
            }),
        }
    }

    /// `docker://registry.test:PORT/NAME`: [`ImageRef::registry`] by the name only the
    /// [`crate::ForwardProxy`] resolves.
    pub fn proxy_only(registry: &Registry, name: &str) -> ImageRef {
        let mut image = ImageRef::registry(registry, name);
        image.name = format!("docker://{}", registry.proxy_only_reference(name));
        image
    }

    /// `docker://PROXY/NAME`: `registry`'s image reached through `proxy`, with the registry's
    /// default credentials and, for an https proxy, its test CA.
    pub fn through_proxy(proxy: &FaultProxy, registry: &Registry, name: &str) -> ImageRef {
        ImageRef {
            name: format!("docker://{}", proxy.reference(name)),
            access: Some(RegistryAccess {
                credentials: registry.credentials(),
                cert_dir: proxy.tls().map(|t| t.cert_dir().to_owned()),
            }),
        }
    }

    /// Any other skopeo image name (`oci:DIR:TAG`, `dir:PATH`, ...).
    pub fn local(name: impl Into<String>) -> ImageRef {
        ImageRef {
            name: name.into(),
            access: None,
        }
    }

    /// Uses `user` instead of the registry's default credentials.
    pub fn with_credentials(mut self, user: &User) -> ImageRef {
        if let Some(access) = &mut self.access {
            access.credentials = Some(user.clone());
        }
        self
    }

    /// Verifies TLS with the CA certificates in `dir` instead of the registry's test CA.
    pub fn with_cert_dir(mut self, dir: &Path) -> ImageRef {
        if let Some(access) = &mut self.access {
            access.cert_dir = Some(dir.to_owned());
        }
        self
    }

    /// Sends no credentials.
    pub fn anonymous(mut self) -> ImageRef {
        if let Some(access) = &mut self.access {
            access.credentials = None;
        }
        self
    }

    /// The skopeo name, e.g. `docker://127.0.0.1:PORT/repo:tag`.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Flags for one side of a command: `prefix` is `src-`, `dest-` or empty.
    pub(super) fn flags(&self, prefix: &str, authfile: &Path) -> Vec<OsString> {
        let Some(access) = &self.access else {
            return Vec::new();
        };
        let mut flags: Vec<OsString> = Vec::new();
        flags.push(format!("--{prefix}authfile").into());
        flags.push(authfile.into());
        match &access.cert_dir {
            Some(dir) => {
                flags.push(format!("--{prefix}tls-verify=true").into());
                flags.push(format!("--{prefix}cert-dir").into());
                flags.push(dir.into());
            }
            // Loopback registries speak plain http; skopeo needs to be told that is fine.
            None => flags.push(format!("--{prefix}tls-verify=false").into()),
        }
        match &access.credentials {
            Some(user) => {
                flags.push(format!("--{prefix}creds").into());
                flags.push(format!("{}:{}", user.name(), user.password()).into());
            }
            None => flags.push(format!("--{prefix}no-creds").into()),
        }
        flags
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn remote(credentials: Option<User>, cert_dir: Option<&str>) -> ImageRef {
        ImageRef {
            name: "docker://127.0.0.1:5000/a:1".to_owned(),
            access: Some(RegistryAccess {
                credentials,
                cert_dir: cert_dir.map(PathBuf::from),
            }),
        }
    }

    #[test]
    fn flags_follow_the_registry_access() {
        let alice = User::new("alice", "pw");
        let cases: [(ImageRef, &str, &str); 5] = [
            (
                remote(Some(alice.clone()), None),
                "src-",
                "--src-authfile AUTH --src-tls-verify=false --src-creds alice:pw",
            ),
            (
                remote(None, Some("/ca")),
                "dest-",
                "--dest-authfile AUTH --dest-tls-verify=true --dest-cert-dir /ca --dest-no-creds",
            ),
            (
                remote(Some(alice.clone()), None).anonymous(),
                "",
                "--authfile AUTH --tls-verify=false --no-creds",
            ),
            (
                remote(None, None)
                    .with_credentials(&alice)
                    .with_cert_dir(Path::new("/other")),
                "",
                "--authfile AUTH --tls-verify=true --cert-dir /other --creds alice:pw",
            ),
            (
                ImageRef::local("oci:/layout:latest").with_credentials(&alice),
                "src-",
                "",
            ),
        ];
        for (image, prefix, expected) in cases {
            let flags: Vec<String> = image
                .flags(prefix, Path::new("AUTH"))
                .into_iter()
                .map(|f| f.to_string_lossy().into_owned())
                .collect();
            assert_eq!(flags.join(" "), expected, "{image:?}");
        }
    }
}
