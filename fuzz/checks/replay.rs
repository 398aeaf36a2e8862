//! Replays a committed fuzz corpus through its target's checks in an ordinary
//! `cargo test`, so every input a fuzzer ever kept (among them the ones that
//! found bugs) keeps passing without a fuzzer or a nightly compiler.

use std::path::Path;

/// Feeds every file of `fuzz/corpus/TARGET` to `check` and returns how many
/// there were; a failing input fails the test with the file's name.
pub(crate) fn replay(target: &str, check: fn(&[u8])) -> usize {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fuzz/corpus")
        .join(target);
    let entries = std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("corpus {}: {e}", dir.display()));
    let mut replayed = 0;
    for entry in entries {
        let path = entry.expect("corpus entry").path();
        let data = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        if std::panic::catch_unwind(|| check(&data)).is_err() {
            panic!("corpus input {} fails the `{target}` checks", path.display());
        }
        replayed += 1;
    }
    replayed
}

/// One test per fuzz target named, `corpus_passes_the_fuzz_checks::TARGET`, each replaying
/// that target's corpus through the module `TARGET` (its `checks/TARGET.rs`, which the caller
/// includes beside `replay`, in the module that invokes this macro) and failing when the corpus
/// is empty.
macro_rules! corpus_tests {
    ($($target:ident),+ $(,)?) => {
        mod corpus_passes_the_fuzz_checks {
            $(
                #[test]
                fn $target() {
                    let replayed = super::replay::replay(stringify!($target), super::$target::check);
                    assert!(replayed > 0, "the {} corpus is empty", stringify!($target));
                }
            )+
        }
    };
}
