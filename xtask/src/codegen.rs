//! `cargo xtask codegen`: regenerate the proto crate's message types
//! (`src/messages/generated.rs`) from the `_messages.py` of the verified
//! viser 1.1.1 wheel. The generator only parses the Python file, so this needs
//! python3 but no venv; the output is committed and checked by the proto
//! crate's drift test.

use std::process::Command;

use anyhow::{Context as _, Result, bail};

use crate::{client, process, workspace::Workspace};

const GENERATOR: &str = "crates/viser4d-proto/codegen/gen_messages.py";
const OUTPUT: &str = "crates/viser4d-proto/src/messages/generated.rs";

pub fn run(workspace: &Workspace) -> Result<()> {
    if !workspace.root.join(GENERATOR).is_file() {
        bail!("{GENERATOR} does not exist");
    }
    let client = client::ensure(workspace).context("obtaining the viser client")?;
    process::run(
        Command::new("python3")
            .current_dir(&workspace.root)
            .arg(GENERATOR)
            .arg(client.dir.join("_messages.py"))
            .arg(OUTPUT),
    )
    .context("generating the message types")?;
    println!("codegen: wrote {OUTPUT}");
    Ok(())
}
