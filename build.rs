//! For the npm package's build only (scripts/build-pkg.sh sets `OIDC_EDGE_LINK_MAP`): asks the
//! wasm linker for a map of where each piece of data lands, so that
//! scripts/wasm-data-trap.mjs can zero the data only the trapped panic and formatting code
//! read. Any other build links as before.
fn main() {
    println!("cargo:rerun-if-env-changed=OIDC_EDGE_LINK_MAP");
    println!("cargo:rerun-if-changed=build.rs");
    let wasm = std::env::var("CARGO_CFG_TARGET_ARCH").is_ok_and(|arch| arch == "wasm32");
    if let (true, Ok(map)) = (wasm, std::env::var("OIDC_EDGE_LINK_MAP")) {
        println!("cargo:rustc-cdylib-link-arg=--Map={map}");
    }
}
