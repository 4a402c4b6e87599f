//! `uniffi-bindgen`: generates the Kotlin, Swift and Python bindings of `danvan-bindings` from
//! the built library (library mode). Pinned to the workspace's uniffi so the generated code
//! always matches the scaffolding compiled into the library. See `scripts/gen-bindings.sh`.

fn main() {
    uniffi::uniffi_bindgen_main()
}
