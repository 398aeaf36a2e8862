//! The htpasswd file for the registry's Basic auth: bcrypt hashes, as distribution requires.

use std::fmt::Write as _;

/// A user name and password the registry (or the token service) accepts.
#[derive(Clone, PartialEq, Eq)]
pub struct User {
    name: String,
    password: String,
}

impl User {
    /// A user called `name` with `password`.
    pub fn new(name: &str, password: &str) -> User {
        User {
            name: name.to_owned(),
            password: password.to_owned(),
        }
    }

    /// The user name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The password.
    pub fn password(&self) -> &str {
        &self.password
    }

    /// An auth file (`auth.json`, read alike by skiff, skopeo and podman) holding this user's
    /// credentials for `host`.
    pub fn auth_file(&self, host: &str) -> String {
        use base64::Engine as _;
        let auth =
            base64::engine::general_purpose::STANDARD.encode(format!("{}:{}", self.name, self.password));
        serde_json::json!({"auths": {host: {"auth": auth}}}).to_string()
    }
}

impl std::fmt::Debug for User {
    // Test logs may be shared; the password stays out of them like everywhere else.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("User")
            .field("name", &self.name)
            .field("password", &"<redacted>")
            .finish()
    }
}

/// bcrypt's lowest cost: hashing stays fast in tests (these passwords protect nothing).
const BCRYPT_COST: u32 = 4;

/// The contents of an htpasswd file for `users`.
///
/// The lowest bcrypt cost keeps registry start and every authenticated request fast; the registry
/// checks each request's password against this hash.
pub(crate) fn htpasswd(users: &[User]) -> String {
    let mut file = String::new();
    for user in users {
        let hash = bcrypt::hash_with_result(&user.password, BCRYPT_COST)
            .expect("bcrypt hash of a test password")
            .format_for_version(bcrypt::Version::TwoY);
        writeln!(file, "{}:{hash}", user.name).expect("write to a String");
    }
    file
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_user_gets_a_line_that_verifies() {
        let users = [User::new("alice", "wonderland"), User::new("bob", "builder")];
        let file = htpasswd(&users);
        let lines: Vec<&str> = file.lines().collect();
        assert_eq!(lines.len(), 2);
        for (line, user) in lines.iter().zip(&users) {
            let (name, hash) = line.split_once(':').expect("name:hash");
            assert_eq!(name, user.name());
            assert!(hash.starts_with("$2y$"), "distribution reads $2y$ hashes: {hash}");
            assert!(bcrypt::verify(user.password(), hash).expect("a bcrypt hash"));
            assert!(!bcrypt::verify("wrong", hash).expect("a bcrypt hash"));
        }
    }

    #[test]
    fn debug_hides_the_password() {
        let shown = format!("{:?}", User::new("alice", "wonderland"));
        assert!(
            shown.contains("alice") && !shown.contains("wonderland"),
            "{shown}"
        );
    }
}
