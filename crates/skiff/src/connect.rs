//! From the global flags to a ready [`Client`]: credentials in the contract's order, insecure
//! hosts, CA files, certificate directories, registries.conf, and request tracing at `-vv`.

use std::io::BufRead;
use std::time::Duration;

use registry_auth::{AuthEnv, Credential, CredentialStore, Secret};
use registry_client::{
    Client, HyperTransport, NetworkEnv, Registries, RepositoryRef, StaticCredentials, Timeouts,
};

use crate::cli::GlobalArgs;
use crate::failure::Failure;
use crate::trace::TracingTransport;

/// How long to wait for a TCP connection to a registry.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(30);

/// The credentials named on the command line, read once (stdin can be read only once).
#[derive(Debug, Clone, Default)]
pub(crate) struct ExplicitCredentials {
    username: Option<String>,
    password: Option<Secret>,
}

impl ExplicitCredentials {
    /// Reads `--username` and `--password`, or the password from stdin for
    /// `--password-stdin`.
    pub(crate) fn from_flags(global: &GlobalArgs) -> Result<ExplicitCredentials, Failure> {
        let password = match (&global.password, global.password_stdin) {
            (Some(password), _) => Some(Secret::new(password.as_str())),
            (None, true) => Some(read_password_line()?),
            (None, false) => None,
        };
        if password.is_some() && global.username.is_none() {
            return Err(Failure::usage(
                "reading credentials",
                "a password needs --username as well",
            ));
        }
        Ok(ExplicitCredentials {
            username: global.username.clone(),
            password,
        })
    }

    /// The username and password, when both were given.
    pub(crate) fn basic(&self) -> Option<(&str, &Secret)> {
        Some((self.username.as_deref()?, self.password.as_ref()?))
    }

    /// Whether a username was given.
    pub(crate) fn has_username(&self) -> bool {
        self.username.is_some()
    }
}

/// The first line of stdin, without its line ending.
fn read_password_line() -> Result<Secret, Failure> {
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(|e| Failure::new("reading the password from stdin", e))?;
    let password = line.trim_end_matches(['\n', '\r']);
    if password.is_empty() {
        return Err(Failure::usage("reading the password from stdin", "it is empty"));
    }
    Ok(Secret::new(password))
}

/// The credential store over the auth files, with the flags' credentials first.
pub(crate) fn credential_store(global: &GlobalArgs, explicit: &ExplicitCredentials) -> CredentialStore {
    let mut store = CredentialStore::new(AuthEnv::from_process());
    if let Some((username, password)) = explicit.basic() {
        store = store.with_explicit(Credential::basic(username, password.clone()));
    }
    if let Some(path) = &global.authfile {
        store = store.with_authfile(path);
    }
    store
}

/// What a sync file says about one registry: its credentials (before every other source),
/// whether to skip TLS verification, and its certificate directory.
#[derive(Debug, Clone, Default)]
pub(crate) struct RegistrySettings {
    pub(crate) host: String,
    pub(crate) credential: Option<Credential>,
    pub(crate) insecure: bool,
    pub(crate) cert_dir: Option<std::path::PathBuf>,
}

/// A client with the credentials for `registries` (each a registry and, for namespaced
/// auth-file keys, a repository) looked up now, so a broken auth file or credential program
/// fails the command up front with its own message.
pub(crate) fn client(
    global: &GlobalArgs,
    explicit: &ExplicitCredentials,
    registries: &[(&str, Option<&str>)],
) -> Result<Client, Failure> {
    client_with(global, explicit, registries, &[])
}

/// [`client`], with `settings` for some registries on top of the flags.
pub(crate) fn client_with(
    global: &GlobalArgs,
    explicit: &ExplicitCredentials,
    registries: &[(&str, Option<&str>)],
    settings: &[RegistrySettings],
) -> Result<Client, Failure> {
    if explicit.has_username() && explicit.basic().is_none() {
        return Err(Failure::usage(
            "reading credentials",
            "--username needs --password or --password-stdin",
        ));
    }
    let env = NetworkEnv::from_process();
    let conf = match &global.registries_conf {
        Some(path) => Registries::from_file(path, &env),
        None => Registries::from_env(&env),
    }
    .map_err(|e| Failure::new("reading registries.conf", e))?;
    let store = credential_store(global, explicit);
    let mut credentials = StaticCredentials::new();
    for setting in settings {
        if let Some(credential) = &setting.credential {
            credentials = credentials.with(&setting.host, credential.clone());
        }
    }
    for (registry, repository) in registries_to_ask(&conf, registries)? {
        if settings
            .iter()
            .any(|s| s.host == registry && s.credential.is_some())
        {
            continue;
        }
        let credential = store
            .credential_for(&registry, repository.as_deref())
            .map_err(|e| Failure::new(format!("reading credentials for {registry}"), e))?;
        tracing::debug!(registry, username = credential.username(), "credentials chosen");
        credentials = credentials.with(&registry, credential);
    }
    let mut transport = HyperTransport::builder()
        .environment(env.clone())
        .connect_timeout(CONNECT_TIMEOUT);
    for path in &global.ca_file {
        transport = transport.ca_file(path);
    }
    if let Some(dir) = &global.cert_dir {
        transport = transport.cert_dir(dir);
    }
    for setting in settings {
        if let Some(dir) = &setting.cert_dir {
            transport = transport.host_cert_dir(&setting.host, dir);
            // Docker Hub's API lives on another host than its name.
            if let Ok(reference) = oci_manifest::Reference::parse(&format!("{}/x", setting.host)) {
                transport = transport.host_cert_dir(reference.registry_endpoint(), dir);
            }
        }
    }
    let transport = transport.build().map_err(|e| Failure::new("setting up TLS", e))?;
    let mut builder = Client::builder()
        .user_agent(concat!("skiff/", env!("CARGO_PKG_VERSION")))
        .environment(env)
        .registries(conf)
        .credentials(credentials)
        .timeouts(timeouts(global))
        .transport(TracingTransport::new(transport));
    for host in &global.insecure {
        builder = builder.insecure_host(host);
    }
    for setting in settings.iter().filter(|s| s.insecure) {
        builder = builder.insecure_host(&setting.host);
    }
    builder
        .build()
        .map_err(|e| Failure::new("setting up the registry client", e))
}

/// The deadlines the flags set.
fn timeouts(global: &GlobalArgs) -> Timeouts {
    let seconds = Duration::from_secs;
    Timeouts::default()
        .with_stall(seconds(global.stall_timeout))
        .with_read(seconds(global.read_timeout))
        .with_min_rate(global.min_rate, seconds(global.rate_window))
        .with_reach(seconds(global.reach_timeout))
}

/// The registries (and repositories) whose credentials a command needs: each one named, and
/// where registries.conf sends it (the rewritten location and the mirrors), since credentials
/// belong to the host a request goes to. A blocked name fails here, before anything is sent.
fn registries_to_ask(
    conf: &Registries,
    named: &[(&str, Option<&str>)],
) -> Result<Vec<(String, Option<String>)>, Failure> {
    let mut hosts = Vec::new();
    for (registry, repository) in named {
        hosts.push((registry.to_string(), repository.map(str::to_owned)));
        let Some(repository) = repository else {
            continue;
        };
        let resolution = conf
            .resolve(registry, repository)
            .map_err(|e| Failure::new(format!("reaching {registry}/{repository}"), e))?;
        if let Some(resolution) = resolution {
            let locations =
                std::iter::once(&resolution.registry).chain(resolution.mirrors.iter().map(|m| &m.location));
            for location in locations {
                hosts.push((location.host.clone(), Some(location.repository.clone())));
            }
        }
    }
    hosts.dedup();
    Ok(hosts)
}

/// A client for one repository.
pub(crate) fn client_for(
    global: &GlobalArgs,
    explicit: &ExplicitCredentials,
    repository: &RepositoryRef,
) -> Result<Client, Failure> {
    client(
        global,
        explicit,
        &[(repository.registry(), Some(repository.repository().as_str()))],
    )
}
