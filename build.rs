//! Embeds every risk instrument under `instruments/` in the domain library, so adding an instrument
//! (a force variant, DARA) is adding a file: no code changes. And writes each migration under
//! `migrations/` minified (no comments, no spaces no token needs), which `migrations::MIGRATIONS`
//! embeds: every component that migrates carries them all (issue #13, component size).

use std::path::PathBuf;

#[path = "src/migrations/minify.rs"]
mod minify;

fn main() {
    migrations();
    let dir = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap()).join("instruments");
    println!("cargo:rerun-if-changed={}", dir.display());
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("instruments/ exists")
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    let mut table = String::from("pub(crate) static FILES: &[(&str, &str)] = &[\n");
    for file in files {
        println!("cargo:rerun-if-changed={}", file.display());
        let name = file.file_name().unwrap().to_string_lossy().into_owned();
        table.push_str(&format!(
            "    ({name:?}, include_str!({:?})),\n",
            file.display().to_string()
        ));
    }
    table.push_str("];\n");
    let out = PathBuf::from(std::env::var("OUT_DIR").unwrap()).join("instrument_files.rs");
    std::fs::write(out, table).unwrap();
}

/// `migrations/NAME.sql`, minified, to `$OUT_DIR/migrations/NAME.sql`.
fn migrations() {
    let dir = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap()).join("migrations");
    println!("cargo:rerun-if-changed={}", dir.display());
    let out = PathBuf::from(std::env::var("OUT_DIR").unwrap()).join("migrations");
    std::fs::create_dir_all(&out).unwrap();
    for entry in std::fs::read_dir(&dir).expect("migrations/ exists") {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "sql") {
            println!("cargo:rerun-if-changed={}", path.display());
            let sql = std::fs::read_to_string(&path).unwrap();
            let minified = minify::minify(&sql);
            let deflated = miniz_oxide::deflate::compress_to_vec(minified.as_bytes(), 10);
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            std::fs::write(out.join(format!("{name}.deflate")), deflated).unwrap();
        }
    }
}
