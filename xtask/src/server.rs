//! vod-local started for a test run, on a free loopback port; stopped when dropped, so also
//! when a test fails.

use std::io::{BufRead, BufReader};
use std::process::{Child, Stdio};

use crate::process::{run, Cmd};
use crate::{root, Result};

pub struct Running {
    child: Child,
    /// `http://127.0.0.1:PORT`
    pub url: String,
    /// The binary it runs, for tests that start one of their own.
    pub binary: std::path::PathBuf,
    _data: TempDir,
}

/// A data folder under target/, removed again when the server stops.
struct TempDir(std::path::PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

impl Running {
    /// Builds vod-local (optimized for benchmarks, quicker to build for tests) and starts it.
    pub fn start(optimized: bool) -> Result<Running> {
        let profile = if optimized { "release" } else { "debug" };
        let build = Cmd::new("cargo").args(["build", "--quiet", "--package", "vod-local"]);
        run(if optimized {
            build.arg("--release")
        } else {
            build
        })?;
        let data = TempDir(root().join(format!("target/vod-local-test-{}", std::process::id())));
        let binary = root().join("target").join(profile).join("vod-local");
        let mut child = Cmd::new(binary.to_str().expect("UTF-8 path"))
            .args(["--listen", "127.0.0.1:0", "--data"])
            .arg(&data.0)
            .inner()
            .stdout(Stdio::piped())
            .spawn()
            .map_err(|e| format!("cannot start vod-local: {e}"))?;
        let stdout = child.stdout.take().expect("piped");
        let mut lines = BufReader::new(stdout).lines();
        let first = lines.next().and_then(|l| l.ok()).unwrap_or_default();
        let Some(url) = first.strip_prefix("vod-local listening on ") else {
            let _ = child.kill();
            return Err(format!("vod-local did not start: {first:?}"));
        };
        // Keep draining its output so it never blocks on a full pipe.
        std::thread::spawn(move || lines.for_each(drop));
        println!("xtask: vod-local is up at {url}");
        Ok(Running {
            url: url.to_string(),
            binary,
            child,
            _data: data,
        })
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
