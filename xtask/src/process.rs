//! Running commands with the project's tool folders on PATH.

use std::ffi::OsStr;
use std::process::Command;

use crate::{root, Result};

/// A command whose PATH holds the project's own tools first.
pub struct Cmd(Command);

impl Cmd {
    pub fn new(program: &str) -> Cmd {
        let mut command = Command::new(program);
        command.env("PATH", path()).current_dir(root());
        Cmd(command)
    }

    pub fn args<I: IntoIterator<Item = S>, S: AsRef<OsStr>>(mut self, args: I) -> Cmd {
        self.0.args(args);
        self
    }

    pub fn arg(mut self, arg: impl AsRef<OsStr>) -> Cmd {
        self.0.arg(arg);
        self
    }

    pub fn env(mut self, name: &str, value: impl AsRef<OsStr>) -> Cmd {
        self.0.env(name, value);
        self
    }

    pub fn current_dir(mut self, dir: impl AsRef<std::path::Path>) -> Cmd {
        self.0.current_dir(dir);
        self
    }

    pub fn inner(self) -> Command {
        self.0
    }

    fn describe(&self) -> String {
        let mut words = vec![self.0.get_program().to_string_lossy().into_owned()];
        words.extend(self.0.get_args().map(|a| a.to_string_lossy().into_owned()));
        words.join(" ")
    }
}

/// The project's tool folders, then cargo's, then the inherited PATH.
pub fn path() -> std::ffi::OsString {
    let mut dirs = vec![root().join(".tools/node_modules/.bin")];
    if let Some(home) = std::env::var_os("HOME") {
        dirs.push(std::path::PathBuf::from(home).join(".cargo/bin"));
    }
    dirs.extend(std::env::split_paths(
        &std::env::var_os("PATH").unwrap_or_default(),
    ));
    std::env::join_paths(dirs).expect("PATH entries without separators")
}

/// Runs to the end with inherited output; a non-zero exit is an error.
pub fn run(cmd: Cmd) -> Result {
    let what = cmd.describe();
    println!("$ {what}");
    let status = cmd
        .inner()
        .status()
        .map_err(|e| format!("cannot run {what}: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("{what} failed ({status})"))
    }
}

/// The command's standard output, or None if it cannot run or fails.
pub fn output(cmd: Cmd) -> Option<String> {
    let out = cmd.inner().output().ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}
