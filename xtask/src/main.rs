//! `cargo xtask demo` and `cargo xtask test`: install what is missing, build, run.

mod closure_slots;
mod dist;
mod examples;
mod process;
mod server;
mod tools;
mod wasm_binary;
mod wasm_names;
mod webkit;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use process::{run, Cmd};

#[derive(Parser)]
#[command(about = "Build, demo and test vod-upload")]
struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Build the npm package and serve the demo at http://localhost:8080 until Ctrl-C.
    Demo {
        #[arg(long, default_value_t = 8080)]
        port: u16,
    },
    /// Install what is missing, then run every test suite of the project.
    Test,
    /// The SDK next to plain fetch and ali-oss in Chromium, on loopback and a WAN; wasm speeds.
    Bench,
    /// Build the npm package into pkg/ and the script-tag build into dist/; print their sizes.
    Dist,
}

/// The workspace root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives in the workspace")
        .to_path_buf()
}

fn main() -> ExitCode {
    let args = Args::parse();
    let result = match args.command {
        Command::Demo { port } => demo(port),
        Command::Test => test(),
        Command::Bench => bench(),
        Command::Dist => tools::ensure_wasm_build().and_then(|()| build_dist()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: {e}");
            ExitCode::FAILURE
        }
    }
}

type Result<T = ()> = std::result::Result<T, String>;

/// The npm package in pkg/ and the script-tag build in dist/, with their sizes.
fn build_dist() -> Result {
    dist::npm_package()?;
    dist::script_tag()?;
    dist::report()
}

fn demo(port: u16) -> Result {
    tools::ensure_wasm_build()?;
    build_dist()?;
    let data = root().join("target/demo-data");
    let listen = format!("127.0.0.1:{port}");
    println!("xtask: serving the demo at http://localhost:{port}/ (Ctrl-C stops it)");
    run(Cmd::new("cargo")
        .args([
            "run",
            "--release",
            "--package",
            "vod-local",
            "--",
            "--listen",
            &listen,
            "--data",
        ])
        .arg(data))
}

fn test() -> Result {
    tools::ensure_wasm_build()?;
    tools::ensure_browsers()?;
    let geckodriver = tools::ensure_geckodriver()?;
    let e2e = root().join("tests/e2e");
    tools::ensure_npm_packages(&root().join("tests/interop"))?;
    tools::ensure_npm_packages(&e2e)?;

    step("formatting and lints");
    run(Cmd::new("cargo").args(["fmt", "--all", "--check"]))?;
    run(Cmd::new("cargo").args([
        "clippy",
        "--workspace",
        "--all-targets",
        "--quiet",
        "--",
        "-D",
        "warnings",
    ]))?;
    // The browser edge and its tests compile for wasm32 only, with the features the browser
    // tests are run with; the tests need a server address to compile, not to be linted.
    run(Cmd::new("cargo")
        .args([
            "clippy",
            "--all-targets",
            "--target",
            "wasm32-unknown-unknown",
            "--features",
            "worker,probes",
            "--quiet",
            "--",
            "-D",
            "warnings",
        ])
        .env("VOD_LOCAL_URL", "http://127.0.0.1:0"))?;
    // The shipped wasm: the library alone, without `std`, with the Worker.
    run(Cmd::new("cargo").args([
        "clippy",
        "--lib",
        "--target",
        "wasm32-unknown-unknown",
        "--no-default-features",
        "--features",
        "worker",
        "--quiet",
        "--",
        "-D",
        "warnings",
    ]))?;

    step("native tests: the SDK core and the vod-local server");
    run(Cmd::new("cargo").args(["test", "--workspace"]))?;

    step("the npm package, the script-tag build, and the example apps built from its tarball");
    build_dist()?;
    examples::build()?;

    step("the TypeScript types, with tsc --strict");
    run(Cmd::new("node_modules/.bin/tsc")
        .args(["-p", "types"])
        .current_dir(&e2e))?;

    let server = server::Running::start(false)?;
    step("browser: the SDK in headless Chromium against vod-local");
    wasm_test(&server, Browser::Chromium, &["--test", "web"])?;
    step("browser: the SDK in headless Firefox against vod-local");
    wasm_test(&server, Browser::Firefox(&geckodriver), &["--test", "web"])?;
    step("browser: the SDK in WebKit (WebKitGTK's MiniBrowser, under Xvfb) against vod-local");
    webkit::ensure_hosts()?;
    // One display for WebKit's browser tests and its end-to-end ones, stopped at the end.
    let display = webkit::Display::start()?;
    wasm_test(&server, Browser::WebKit(&display), &["--test", "web"])?;

    step("interop: the official ali-oss client against vod-local");
    run(Cmd::new("node")
        .arg("--test")
        .current_dir(root().join("tests/interop"))
        .env("VOD_LOCAL_URL", &server.url))?;

    step("end to end: the demo, the script-tag page and the example apps in Chromium, driven by Playwright; the scenarios that matter most in Firefox and WebKit too, over WebDriver");
    run(Cmd::new("node")
        .args(["--test", "--test-concurrency=1"])
        .current_dir(&e2e)
        .env("VOD_LOCAL_URL", &server.url)
        .env("VOD_LOCAL_BIN", &server.binary)
        .env("GECKODRIVER", &geckodriver)
        .env("DISPLAY", &display.name))?;
    println!("xtask: screenshots are in target/e2e/");
    Ok(())
}

fn bench() -> Result {
    tools::ensure_wasm_build()?;
    tools::ensure_browsers()?;
    let geckodriver = tools::ensure_geckodriver()?;
    tools::ensure_npm_packages(&root().join("tests/interop"))?;
    build_dist()?;
    let server = server::Running::start(true)?;
    step("the SDK's wasm in Chromium: CRC-64 speed, planning 10,000 parts");
    let args = ["--release", "--test", "bench", "--", "--nocapture"];
    wasm_test(&server, Browser::Chromium, &args)?;
    step("the SDK's wasm in Firefox: CRC-64 speed");
    let crc = ["--release", "--test", "bench", "--", "crc64", "--nocapture"];
    wasm_test(&server, Browser::Firefox(&geckodriver), &crc)?;
    // Last, so that the goals are the last lines printed.
    step("uploads: the SDK, plain fetch and ali-oss in Chromium, on loopback and a WAN");
    run(Cmd::new("node")
        .arg("tests/bench/run.mjs")
        .env("VOD_LOCAL_URL", &server.url))
}

enum Browser<'a> {
    Chromium,
    /// With the path of geckodriver.
    Firefox(&'a str),
    /// WebKitGTK's MiniBrowser, on an X display.
    WebKit(&'a webkit::Display),
}

/// `wasm-pack test` in a headless browser, against `server`; `cargo_args` go to cargo test.
fn wasm_test(server: &server::Running, browser: Browser, cargo_args: &[&str]) -> Result {
    let (driver, display) = match browser {
        Browser::Chromium => (
            ["--chrome", "--chromedriver", "/usr/bin/chromedriver"],
            None,
        ),
        Browser::Firefox(geckodriver) => (["--firefox", "--geckodriver", geckodriver], None),
        // wasm-pack names WebKit by Safari; `webdriver.json` points WebKitWebDriver at
        // MiniBrowser.
        Browser::WebKit(display) => (
            ["--safari", "--safaridriver", "/usr/bin/WebKitWebDriver"],
            Some(display.name.as_str()),
        ),
    };
    let command = Cmd::new("wasm-pack");
    let command = match display {
        Some(display) => command.env("DISPLAY", display),
        None => command,
    };
    run(command
        .args(["test", "--headless"])
        .args(driver)
        .args(["--", "--features", "worker,probes"])
        .args(cargo_args)
        .env("VOD_LOCAL_URL", &server.url)
        // The runner gives the whole suite 20 s by default, which a busy machine can outrun:
        // the tests wait for events, and this is only a guard against a hang.
        .env("WASM_BINDGEN_TEST_TIMEOUT", "900"))
}

fn step(what: &str) {
    println!("\n==> {what}");
}
