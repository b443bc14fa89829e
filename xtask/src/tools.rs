//! Installing what a fresh machine lacks, and skipping what is already there at the right
//! version. Every tool comes from a package registry (crates.io, npm, Debian): wasm-pack would
//! otherwise try to download wasm-bindgen and wasm-opt itself, which fails here.

use std::path::Path;

use crate::process::{output, run, Cmd};
use crate::{root, Result};

const WASM_PACK: &str = "0.15.1";
/// npm's binaryen; Debian's (108) and npm's below 118 cannot read current wasm-bindgen output.
const BINARYEN: &str = "123.0.0";
/// npm's terser, which minifies the script-tag build's JavaScript.
const TERSER: &str = "5.51.2";

/// Whether `program --version` runs and its answer passes `right`.
fn has_version(program: &str, right: impl Fn(&str) -> bool) -> bool {
    output(Cmd::new(program).arg("--version")).is_some_and(|v| right(&v))
}

fn say(what: &str) {
    println!("xtask: {what}");
}

/// Everything `wasm-pack build` needs: the target, wasm-pack, wasm-bindgen, wasm-opt; and
/// terser for the script tag.
pub fn ensure_wasm_build() -> Result {
    let installed =
        output(Cmd::new("rustup").args(["target", "list", "--installed"])).unwrap_or_default();
    if !installed
        .lines()
        .any(|t| t.trim() == "wasm32-unknown-unknown")
    {
        run(Cmd::new("rustup").args(["target", "add", "wasm32-unknown-unknown"]))?;
    }

    if !has_version("wasm-pack", |v| v.contains(WASM_PACK)) {
        say(&format!("installing wasm-pack {WASM_PACK}"));
        run(Cmd::new("cargo").args(["install", "wasm-pack", "--locked", "--version", WASM_PACK]))?;
    }

    let bindgen = wasm_bindgen_version()?;
    if !has_version("wasm-bindgen", |v| {
        v.split_whitespace().nth(1) == Some(bindgen.as_str())
    }) {
        say(&format!("installing wasm-bindgen-cli {bindgen}"));
        let pinned = format!("={bindgen}");
        let install = |locked: bool| {
            let cmd = Cmd::new("cargo").args([
                "install",
                "wasm-bindgen-cli",
                "--force",
                "--version",
                &pinned,
            ]);
            run(if locked { cmd.arg("--locked") } else { cmd })
        };
        // --locked has failed before when the registry lacked a pinned dependency.
        install(true).or_else(|_| install(false))?;
    }

    let wanted = BINARYEN.split('.').next().expect("a major version");
    let terser = std::fs::read_to_string(root().join(".tools/node_modules/terser/package.json"))
        .is_ok_and(|manifest| manifest.contains(&format!("\"version\": \"{TERSER}\"")));
    if !terser || !has_version("wasm-opt", |v| v.split_whitespace().nth(2) == Some(wanted)) {
        // Both in one go: a later `npm install --no-save` would prune the other as extraneous.
        say(&format!(
            "installing binaryen {BINARYEN} and terser {TERSER} from npm into .tools/"
        ));
        let tools = root().join(".tools");
        std::fs::create_dir_all(&tools).map_err(|e| e.to_string())?;
        run(Cmd::new("npm")
            .args([
                "install",
                "--no-save",
                "--no-package-lock",
                "--no-audit",
                "--no-fund",
                "--prefix",
            ])
            .arg(&tools)
            .arg(format!("binaryen@{BINARYEN}"))
            .arg(format!("terser@{TERSER}")))?;
    }
    Ok(())
}

/// The wasm-bindgen version Cargo.lock pins; the CLI must match it exactly.
fn wasm_bindgen_version() -> Result<String> {
    let lock = std::fs::read_to_string(root().join("Cargo.lock"))
        .map_err(|e| format!("Cargo.lock: {e}"))?;
    let mut lines = lock.lines();
    while let Some(line) = lines.next() {
        if line == "name = \"wasm-bindgen\"" {
            if let Some(version) = lines.next().and_then(|l| l.strip_prefix("version = \"")) {
                return Ok(version.trim_end_matches('"').to_string());
            }
        }
    }
    Err("Cargo.lock does not pin wasm-bindgen".into())
}

const GECKODRIVER: &str = "0.37.1";

/// Debian's Chromium with its matching driver, and Debian's Firefox ESR, for the browser tests.
pub fn ensure_browsers() -> Result {
    let missing: Vec<&str> = [
        ("/usr/bin/chromium", "chromium"),
        ("/usr/bin/chromedriver", "chromium-driver"),
        ("/usr/bin/firefox-esr", "firefox-esr"),
        ("/usr/bin/WebKitWebDriver", "webkit2gtk-driver"),
        ("/usr/bin/Xvfb", "xvfb"),
    ]
    .into_iter()
    .filter(|(path, _)| !Path::new(path).exists())
    .map(|(_, package)| package)
    .collect();
    if missing.is_empty() {
        return Ok(());
    }
    say(&format!("installing Debian's {}", missing.join(", ")));
    let sudo = |args: &[&str]| {
        let root_user = output(Cmd::new("id").arg("-u")).is_some_and(|u| u.trim() == "0");
        let cmd = if root_user {
            Cmd::new(args[0]).args(&args[1..])
        } else {
            Cmd::new("sudo").args(args)
        };
        run(cmd.env("DEBIAN_FRONTEND", "noninteractive"))
    };
    sudo(&["apt-get", "update"])?;
    let mut install = vec!["apt-get", "install", "-y", "--no-install-recommends"];
    install.extend(missing);
    sudo(&install)
}

/// Cargo's home: `CARGO_HOME`, or `~/.cargo`.
pub fn cargo_home() -> String {
    std::env::var("CARGO_HOME")
        .unwrap_or_else(|_| format!("{}/.cargo", std::env::var("HOME").unwrap_or_default()))
}

/// geckodriver, which Debian does not package, built from crates.io; its path, where
/// `cargo install` puts it.
pub fn ensure_geckodriver() -> Result<String> {
    let path = format!("{}/bin/geckodriver", cargo_home());
    if !has_version(&path, |v| v.contains(GECKODRIVER)) {
        say(&format!("installing geckodriver {GECKODRIVER}"));
        run(Cmd::new("cargo").args([
            "install",
            "geckodriver",
            "--locked",
            "--version",
            GECKODRIVER,
        ]))?;
    }
    Ok(path)
}

/// `npm ci` in a folder whose node_modules is missing or older than its lock file.
pub fn ensure_npm_packages(dir: &Path) -> Result {
    let modified = |p: &Path| std::fs::metadata(p).and_then(|m| m.modified()).ok();
    let lock = modified(&dir.join("package-lock.json"));
    let installed = modified(&dir.join("node_modules/.package-lock.json"));
    if installed.is_some() && installed >= lock {
        return Ok(());
    }
    say(&format!("installing npm packages in {}", dir.display()));
    run(Cmd::new("npm")
        .args(["ci", "--no-audit", "--no-fund"])
        .current_dir(dir))
}
