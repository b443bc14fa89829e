//! What WebKit needs on a Linux machine with no screen: WebKitGTK's MiniBrowser draws on an X
//! display, which Xvfb provides, and resolves host names through the system, so the bucket's
//! `*.localhost` name must be in `/etc/hosts` (Chromium and Firefox resolve it themselves).

use std::io::{BufRead, BufReader};
use std::process::{Child, Stdio};

use crate::process::Cmd;
use crate::Result;

/// The names the browser tests reach on loopback beside `localhost`: vod-local's bucket.
const HOSTS: &[&str] = &["vod-local.localhost"];

/// An Xvfb display, stopped when dropped (also when a test fails).
pub struct Display {
    pub name: String,
    number: u32,
    child: Child,
}

impl Display {
    /// Xvfb on the first display number nobody holds, once it takes connections: it writes that
    /// number to its standard output then (`-displayfd`), and closes it if it cannot start.
    pub fn start() -> Result<Display> {
        let mut child = Cmd::new("Xvfb")
            .args([
                "-displayfd",
                "1",
                "-nolisten",
                "tcp",
                "-screen",
                "0",
                "1280x800x24",
            ])
            .inner()
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("cannot start Xvfb: {e}"))?;
        let mut line = String::new();
        if let Some(out) = child.stdout.take() {
            let _ = BufReader::new(out).read_line(&mut line);
        }
        let Ok(number) = line.trim().parse::<u32>() else {
            let _ = child.kill();
            let _ = child.wait();
            return Err("Xvfb did not start (it named no display)".into());
        };
        Ok(Display {
            name: format!(":{number}"),
            number,
            child,
        })
    }
}

impl Drop for Display {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        // Killed, Xvfb leaves its lock and socket behind; the next run would skip the number.
        let n = self.number;
        let _ = std::fs::remove_file(format!("/tmp/.X{n}-lock"));
        let _ = std::fs::remove_file(format!("/tmp/.X11-unix/X{n}"));
    }
}

/// Adds the loopback names WebKit cannot resolve to `/etc/hosts`, saying so.
pub fn ensure_hosts() -> Result {
    let hosts = std::fs::read_to_string("/etc/hosts").unwrap_or_default();
    let missing: Vec<&str> = HOSTS
        .iter()
        .copied()
        .filter(|name| !hosts.split_whitespace().any(|word| word == *name))
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    let line = format!("127.0.0.1 {}\n", missing.join(" "));
    println!("xtask: adding `{}` to /etc/hosts, for WebKit", line.trim());
    let mut file = std::fs::OpenOptions::new()
        .append(true)
        .open("/etc/hosts")
        .map_err(|e| {
            format!("cannot add {missing:?} to /etc/hosts (run as root, or add them): {e}")
        })?;
    std::io::Write::write_all(&mut file, line.as_bytes()).map_err(|e| e.to_string())?;
    Ok(())
}
