//! Commands that need no registry: completions and help.

use super::util::Skiff;

#[test]
fn completions_are_generated_for_each_shell() {
    let skiff = Skiff::new();
    for (shell, marker) in [
        ("bash", "complete -F"),
        ("zsh", "#compdef skiff"),
        ("fish", "complete -c skiff"),
    ] {
        let script = skiff.ok_text(&["completions", shell]);
        assert!(script.contains(marker), "{shell}: {script}");
        assert!(
            script.contains("inspect") && script.contains("insecure"),
            "{shell}"
        );
    }
    let out = skiff.run(&["completions", "powershell"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn every_contract_command_has_help_with_an_example() {
    let skiff = Skiff::new();
    let commands: [&[&str]; 16] = [
        &["inspect"],
        &["digest"],
        &["verify"],
        &["tags"],
        &["catalog"],
        &["pull"],
        &["push"],
        &["copy"],
        &["convert"],
        &["delete"],
        &["blob", "get"],
        &["blob", "put"],
        &["login"],
        &["logout"],
        &["completions"],
        &["blob"],
    ];
    for command in commands {
        let mut args = command.to_vec();
        args.push("--help");
        let help = skiff.ok_text(&args);
        if command != ["blob"] {
            assert!(help.contains("Example"), "{command:?}: {help}");
        }
        for global in [
            "--username",
            "--password-stdin",
            "--authfile",
            "--insecure",
            "--ca-file",
            "--platform",
            "--jobs",
            "--quiet",
            "--verbose",
        ] {
            assert!(help.contains(global), "{command:?} lacks {global}");
        }
    }
}
