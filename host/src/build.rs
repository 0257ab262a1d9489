//! `spin build`: runs each component's `[component.<id>.build]` commands in its workdir.

use crate::manifest::App;
use anyhow::{Context, Result, bail};
use std::process::Command;

/// Runs every build command, in component order, stopping at the first failure.
pub fn build(app: &App) -> Result<()> {
    for (id, component) in &app.components {
        let Some(build) = &component.build else {
            continue;
        };
        let workdir = match &build.workdir {
            Some(dir) => app.dir.join(dir),
            None => app.dir.clone(),
        };
        for line in build.command.lines() {
            eprintln!("Building component {id} with `{line}`");
            let status = Command::new("sh")
                .arg("-c")
                .arg(line)
                .current_dir(&workdir)
                .status()
                .with_context(|| format!("cannot run the build command for component '{id}'"))?;
            if !status.success() {
                bail!("the build command for component '{id}' failed ({status})");
            }
        }
    }
    Ok(())
}
