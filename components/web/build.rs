//! Embeds every file under `static/` (ours) and `web/dist/` (built by `scripts/build-web` from npm's
//! GOV.UK Frontend) in the component: a table of (path, bytes) generated here, so adding a file needs
//! no code change and the component needs no filesystem access at run time. Each file is also stored
//! gzipped, for clients that accept it.

use flate2::{Compression, write::GzEncoder};
use std::io::Write;
use std::path::{Path, PathBuf};

fn main() {
    let repo = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap()).join("../..");
    let mut files = Vec::new();
    for dir in ["static", "web/dist"] {
        let root = repo.join(dir).canonicalize().unwrap_or_else(|_| {
            panic!(
                "{dir}/ is missing: run scripts/build-web (it builds web/dist/ from npm packages)"
            )
        });
        println!("cargo:rerun-if-changed={}", root.display());
        collect(&root, &root, &mut files);
    }
    files.sort();
    // Each file also gzipped at build time: an officer on a poor signal downloads a fifth as much.
    let out_dir = PathBuf::from(std::env::var("OUT_DIR").unwrap());
    let mut table = String::from("pub static FILES: &[(&str, &[u8], &[u8])] = &[\n");
    for (i, (url_path, file)) in files.into_iter().enumerate() {
        let gzipped = out_dir.join(format!("{i}.gz"));
        let mut encoder = GzEncoder::new(Vec::new(), Compression::best());
        encoder.write_all(&std::fs::read(&file).unwrap()).unwrap();
        std::fs::write(&gzipped, encoder.finish().unwrap()).unwrap();
        table.push_str(&format!(
            "    ({url_path:?}, include_bytes!({:?}), include_bytes!({:?})),\n",
            file.display().to_string(),
            gzipped.display().to_string()
        ));
    }
    table.push_str("];\n");
    std::fs::write(out_dir.join("static_files.rs"), table).unwrap();
}

fn collect(root: &Path, dir: &Path, files: &mut Vec<(String, PathBuf)>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        println!("cargo:rerun-if-changed={}", path.display());
        if path.is_dir() {
            collect(root, &path, files);
        } else {
            let relative = path
                .strip_prefix(root)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            files.push((format!("/{relative}"), path));
        }
    }
}
