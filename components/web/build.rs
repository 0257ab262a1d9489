//! Embeds every file under `static/` (ours) and `web/dist/` (built by `scripts/build-web` from npm's
//! GOV.UK Frontend) in the component: a table of (path, bytes) generated here, so adding a file needs
//! no code change and the component needs no filesystem access at run time. Each file is stored
//! gzipped, with its ETag.

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
    // Each file is embedded once, gzipped at build time: an officer on a poor signal downloads a fifth
    // as much, and the component holds a fifth as much (the plain copies were two thirds of it). A
    // client that does not accept gzip gets the file inflated. A file gzip does not make smaller is
    // embedded as it is. Its ETag, a hash of the plain file, is computed here too.
    let out_dir = PathBuf::from(std::env::var("OUT_DIR").unwrap());
    let mut table = String::from("pub static FILES: &[(&str, &[u8], bool, &str)] = &[\n");
    for (i, (url_path, file)) in files.into_iter().enumerate() {
        let plain = std::fs::read(&file).unwrap();
        let mut encoder = GzEncoder::new(Vec::new(), Compression::best());
        encoder.write_all(&plain).unwrap();
        let gzipped = encoder.finish().unwrap();
        // The bare 10-byte header the component skips to inflate: no name, comment or extra field.
        assert_eq!(gzipped[3], 0, "a gzip header with optional fields");
        let (stored, is_gzip) = if gzipped.len() < plain.len() {
            let path = out_dir.join(format!("{i}.gz"));
            std::fs::write(&path, gzipped).unwrap();
            (path.display().to_string(), true)
        } else {
            (file.display().to_string(), false)
        };
        table.push_str(&format!(
            "    ({url_path:?}, include_bytes!({stored:?}), {is_gzip}, \"{:016x}\"),\n",
            fnv1a(&plain)
        ));
    }
    table.push_str("];\n");
    std::fs::write(out_dir.join("static_files.rs"), table).unwrap();
}

/// A content hash for the ETag (FNV-1a: tiny, stable, and collisions only cost a re-download).
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf29ce484222325, |hash, b| {
        (hash ^ u64::from(*b)).wrapping_mul(0x100000001b3)
    })
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
