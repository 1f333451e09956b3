//! The shipped packs (`domains/`, `rules/`, `workflows/`) and the demo's example deployment
//! (`examples/shenyang/`) are embedded with `include_dir`, which notices edits to known files but
//! not new ones: ask cargo to rebuild when the folders change.

fn main() {
    for folder in ["domains", "rules", "workflows", "examples/shenyang"] {
        println!("cargo:rerun-if-changed={folder}");
    }
}
