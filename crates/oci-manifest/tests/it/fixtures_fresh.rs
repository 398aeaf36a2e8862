//! The committed fixtures are exactly what `cargo xtask fixtures` generates.
//!
//! The generator lives in `xtask/src/fixtures/` (it signs schema1 fixtures
//! with the committed test keys); this test runs it in check mode, which
//! writes nothing and fails naming the command that refreshes the files.

use std::path::Path;
use std::process::Command;

#[test]
fn committed_fixtures_are_fresh() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let output = Command::new(&cargo)
        .args([
            "run",
            "--quiet",
            "--package",
            "xtask",
            "--",
            "fixtures",
            "--check",
        ])
        .current_dir(&root)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {cargo}: {e}"));
    assert!(
        output.status.success(),
        "the fixtures are stale: run `cargo xtask fixtures` and commit the result\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
}
