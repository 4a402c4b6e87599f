//! The packaging files agree with the generated code and the built library, so the Android
//! library (bindings/android/) and the Swift package (bindings/swift/), which cannot be built
//! on these machines, cannot drift from it unnoticed.
//!
//! The test generates the Kotlin and Swift bindings from the library `cargo test` has just
//! built, exactly as scripts/gen-bindings.sh does (uniffi library mode, bindings/uniffi.toml
//! found through `cargo metadata`), then checks:
//! - Kotlin: the generated `package` = uniffi.toml's package_name = the Android `namespace` =
//!   the R8 keep rule; the library JNA loads = uniffi.toml's cdylib_name = `[lib] name` of
//!   bindings/Cargo.toml = what build-android.sh builds and checks; build-android.sh's ABIs and
//!   minimum SDK = build.gradle.kts's; the Kotlin Gradle plugin = scripts/kotlin-version;
//! - Swift: the generated file, the Swift target and the product = uniffi.toml's module_name;
//!   the FFI module the Swift imports = the generated module map's module = its header's name
//!   = the binary target and its .xcframework = build-xcframework.sh's; the iOS version;
//! - symbols: every `uniffi_danvan_bindings_*` / `ffi_danvan_bindings_*` function the
//!   generated Kotlin and the Swift header call is exported by the built library, and every
//!   function and checksum the library exports is reached by both.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

use goblin::Object;
use uniffi::{GenerateOptions, TargetLanguage};

/// bindings/ (this crate's directory).
fn crate_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn read(path: &Path) -> String {
    fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn toml_file(path: &Path) -> toml::Table {
    read(path)
        .parse()
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// `table.a.b.c` as a string.
fn toml_str<'a>(table: &'a toml::Table, keys: &[&str], what: &str) -> &'a str {
    let mut value: Option<&toml::Value> = None;
    let mut current = table;
    for (i, k) in keys.iter().enumerate() {
        let v = current
            .get(*k)
            .unwrap_or_else(|| panic!("{what}: no {}", keys.join(".")));
        if i + 1 == keys.len() {
            value = Some(v);
        } else {
            current = v
                .as_table()
                .unwrap_or_else(|| panic!("{what}: {k} is not a table"));
        }
    }
    value
        .and_then(toml::Value::as_str)
        .unwrap_or_else(|| panic!("{what}: {} is not a string", keys.join(".")))
}

/// Lines that are not comments (`//`, `#`), without indentation.
fn code_lines(text: &str) -> impl Iterator<Item = &str> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.starts_with("//") && !l.starts_with('#'))
}

fn only(found: Vec<String>, what: &str, pattern: &str) -> String {
    assert_eq!(
        found.len(),
        1,
        "{what}: expected one `{pattern}`, found {found:?}"
    );
    found.into_iter().next().unwrap_or_default()
}

/// On the one line containing `before`: the text between it and the next `after`.
fn the_value(text: &str, before: &str, after: &str, what: &str) -> String {
    let found = code_lines(text)
        .filter_map(|l| {
            let rest = &l[l.find(before)? + before.len()..];
            Some(rest[..rest.find(after)?].to_string())
        })
        .collect();
    only(found, what, &format!("{before}…{after}"))
}

/// On the one line starting with `prefix`: the rest, up to the first space if any.
fn line_value(text: &str, prefix: &str, what: &str) -> String {
    let found = code_lines(text)
        .filter_map(|l| l.strip_prefix(prefix))
        .map(|rest| rest.split(' ').next().unwrap_or_default().to_string())
        .collect();
    only(found, what, &format!("{prefix}…"))
}

/// The shared library `cargo test` built for this test run (the cdylib target of this crate).
fn built_library() -> PathBuf {
    let name = format!(
        "{}danvan_bindings{}",
        std::env::consts::DLL_PREFIX,
        std::env::consts::DLL_SUFFIX
    );
    let exe = std::env::current_exe().expect("test executable");
    let deps = exe.parent().expect("deps directory");
    let candidates = [deps.join(&name), deps.join("..").join(&name)];
    candidates
        .iter()
        .filter(|p| p.is_file())
        .max_by_key(|p| fs::metadata(p).and_then(|m| m.modified()).ok())
        .cloned()
        .unwrap_or_else(|| panic!("{name} not found next to {}", exe.display()))
}

/// Generates `language` into a fresh directory, the way scripts/gen-bindings.sh does.
fn generate(library: &Path, language: TargetLanguage, out: &Path) {
    let source = library.to_str().expect("UTF-8 library path").to_string();
    let out_dir = out.to_str().expect("UTF-8 output path").to_string();
    uniffi::generate(GenerateOptions {
        languages: vec![language],
        source: source.into(),
        out_dir: out_dir.into(),
        config_override: None,
        format: false,
        crate_filter: None,
        metadata_no_deps: true,
    })
    .expect("uniffi-bindgen generate");
}

/// The prefixes of the C functions uniffi generates for the crate `name` (`danvan_bindings`):
/// `uniffi_<name>_fn_…`, `uniffi_<name>_checksum_…`, `ffi_<name>_rustbuffer_…`, ….
fn prefixes(name: &str) -> [String; 2] {
    [format!("uniffi_{name}_"), format!("ffi_{name}_")]
}

fn ours(prefixes: &[String; 2], name: &str) -> bool {
    prefixes.iter().any(|p| name.starts_with(p.as_str()))
}

/// Identifiers of the C functions the generated code calls.
fn ffi_names(code: &str, prefixes: &[String; 2]) -> BTreeSet<String> {
    code.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .filter(|w| ours(prefixes, w))
        .map(str::to_string)
        .collect()
}

/// The functions the library exports under the same prefixes (ELF: defined dynamic symbols;
/// Mach-O: exports, without the leading underscore).
fn exported(library: &Path, prefixes: &[String; 2]) -> BTreeSet<String> {
    let bytes = fs::read(library).unwrap_or_else(|e| panic!("{}: {e}", library.display()));
    let names: Vec<String> = match Object::parse(&bytes).expect("parse the library") {
        Object::Elf(elf) => elf
            .dynsyms
            .iter()
            .filter(|s| s.st_shndx != 0 && s.is_function())
            .filter_map(|s| elf.dynstrtab.get_at(s.st_name).map(str::to_string))
            .collect(),
        Object::Mach(goblin::mach::Mach::Binary(m)) => m
            .exports()
            .expect("Mach-O exports")
            .into_iter()
            .map(|e| e.name.trim_start_matches('_').to_string())
            .collect(),
        _ => panic!("{}: not an ELF or Mach-O library", library.display()),
    };
    names.into_iter().filter(|n| ours(prefixes, n)).collect()
}

/// The only file under `dir` (recursively) whose name ends with `suffix`.
fn only_file(dir: &Path, suffix: &str) -> PathBuf {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in fs::read_dir(&d).unwrap_or_else(|e| panic!("{}: {e}", d.display())) {
            let path = entry.expect("directory entry").path();
            if path.is_dir() {
                stack.push(path);
            } else if path.to_string_lossy().ends_with(suffix) {
                found.push(path);
            }
        }
    }
    assert_eq!(
        found.len(),
        1,
        "one *{suffix} under {}: {found:?}",
        dir.display()
    );
    found.remove(0)
}

#[test]
fn packaging_files_agree_with_the_generated_code_and_the_library() {
    let bindings = crate_dir();
    let root = bindings.join("..");
    let uniffi_toml = toml_file(&bindings.join("uniffi.toml"));
    let cargo_toml = toml_file(&bindings.join("Cargo.toml"));
    let package = toml_str(
        &uniffi_toml,
        &["bindings", "kotlin", "package_name"],
        "uniffi.toml",
    );
    let cdylib = toml_str(
        &uniffi_toml,
        &["bindings", "kotlin", "cdylib_name"],
        "uniffi.toml",
    );
    let module = toml_str(
        &uniffi_toml,
        &["bindings", "swift", "module_name"],
        "uniffi.toml",
    );
    let ffi_module = toml_str(
        &uniffi_toml,
        &["bindings", "swift", "ffi_module_name"],
        "uniffi.toml",
    );
    let lib_name = toml_str(&cargo_toml, &["lib", "name"], "bindings/Cargo.toml");
    let crate_name = toml_str(&cargo_toml, &["package", "name"], "bindings/Cargo.toml");

    let library = built_library();
    let out = tempfile::tempdir().expect("tempdir");
    let (kotlin_dir, swift_dir) = (out.path().join("kotlin"), out.path().join("swift"));
    generate(&library, TargetLanguage::Kotlin, &kotlin_dir);
    generate(&library, TargetLanguage::Swift, &swift_dir);

    // --- Kotlin and the Android library -----------------------------------------------------
    let kt_path = only_file(&kotlin_dir, ".kt");
    let kt = read(&kt_path);
    let kt_package = line_value(&kt, "package ", "generated Kotlin");
    assert_eq!(
        kt_package, package,
        "generated Kotlin package vs uniffi.toml"
    );
    assert!(
        kt_path.ends_with(Path::new(&package.replace('.', "/")).join("danvan.kt")),
        "generated Kotlin at {}",
        kt_path.display()
    );
    // findLibraryName(): the name JNA loads (lib<name>.so).
    let find = kt
        .find("fun findLibraryName(")
        .expect("findLibraryName in the generated Kotlin");
    let jna_name = kt[find..]
        .split_once("return \"")
        .and_then(|(_, rest)| rest.split_once('"'))
        .map(|(name, _)| name.to_string())
        .expect("findLibraryName returns a name");
    assert_eq!(
        jna_name, cdylib,
        "library JNA loads vs uniffi.toml cdylib_name"
    );
    assert_eq!(
        jna_name, lib_name,
        "library JNA loads vs [lib] name in bindings/Cargo.toml"
    );

    let android = bindings.join("android");
    let gradle = read(&android.join("build.gradle.kts"));
    let settings = read(&android.join("settings.gradle.kts"));
    let script = read(&android.join("build-android.sh"));
    let rules = read(&android.join("consumer-rules.pro"));
    assert_eq!(
        the_value(&gradle, "namespace = \"", "\"", "build.gradle.kts"),
        package,
        "Android namespace vs the generated Kotlin package"
    );
    assert!(
        rules.contains(&format!("-keep class {package}.** {{ *; }}")),
        "consumer-rules.pro keeps the generated package {package}"
    );
    assert_eq!(line_value(&script, "LIB=", "build-android.sh"), jna_name);
    assert!(
        script.contains(&format!("build --release -p {crate_name}")),
        "build-android.sh builds the package {crate_name}"
    );
    assert!(
        script.contains("\"$jni_libs/$abi/lib$LIB.so\"")
            && script.contains("\"$jni_libs/arm64-v8a/lib$LIB.so\""),
        "build-android.sh checks and generates from jniLibs/<abi>/lib$LIB.so"
    );
    let abis = the_value(&script, "ABIS=(", ")", "build-android.sh");
    let abis: Vec<&str> = abis.split_whitespace().collect();
    let filters = the_value(&gradle, "abiFilters += listOf(", ")", "build.gradle.kts");
    let filters: Vec<String> = filters
        .split(',')
        .map(|s| s.trim().trim_matches('"').to_string())
        .collect();
    assert_eq!(
        filters, abis,
        "abiFilters vs the ABIs build-android.sh builds"
    );
    assert_eq!(
        line_value(&gradle, "minSdk = ", "build.gradle.kts"),
        line_value(&script, "MIN_SDK=", "build-android.sh"),
        "minSdk vs cargo-ndk --platform"
    );
    assert!(
        gradle.contains(r#"commandLine("./build-android.sh", jniLibsDir.path, kotlinDir.path)"#)
            && gradle.contains("kotlin.srcDir(kotlinDir)")
            && gradle.contains("jniLibs.srcDir(jniLibsDir)"),
        "build.gradle.kts compiles what build-android.sh writes"
    );
    let kotlin_version = read(&root.join("scripts/kotlin-version"));
    assert_eq!(
        the_value(
            &settings,
            "id(\"org.jetbrains.kotlin.android\") version \"",
            "\"",
            "settings.gradle.kts"
        ),
        kotlin_version.trim(),
        "Kotlin Gradle plugin vs the kotlinc of the JVM tests (scripts/kotlin-version)"
    );

    // --- Swift and the Swift package ----------------------------------------------------------
    let swift = read(&swift_dir.join(format!("{module}.swift")));
    let header_file = format!("{ffi_module}.h");
    assert!(
        swift_dir.join(&header_file).is_file(),
        "generated {header_file}"
    );
    let modulemap = read(&swift_dir.join(format!("{ffi_module}.modulemap")));
    assert_eq!(
        the_value(&modulemap, "module ", " {", "generated module map"),
        ffi_module,
        "module map's module vs uniffi.toml ffi_module_name"
    );
    assert_eq!(
        the_value(&modulemap, "header \"", "\"", "generated module map"),
        header_file
    );
    assert!(
        swift.contains(&format!("import {ffi_module}\n")),
        "the generated Swift imports {ffi_module}"
    );

    let swift_pkg = bindings.join("swift");
    let manifest = read(&swift_pkg.join("Package.swift"));
    let xcf = read(&swift_pkg.join("build-xcframework.sh"));
    assert_eq!(
        the_value(&manifest, ".binaryTarget(name: \"", "\"", "Package.swift"),
        ffi_module
    );
    assert_eq!(
        the_value(&manifest, ".binaryTarget(name: \"", ")", "Package.swift"),
        format!("{ffi_module}\", path: \"{ffi_module}.xcframework\""),
    );
    assert_eq!(
        the_value(&manifest, ".target(name: \"", ")", "Package.swift"),
        format!("{module}\", dependencies: [\"{ffi_module}\"], path: \"Sources/{module}\""),
        "Swift target = module_name, on the binary target, with the generated file's directory"
    );
    assert_eq!(
        the_value(&manifest, ".library(name: \"", ")", "Package.swift"),
        format!("{module}\", targets: [\"{module}\"]"),
    );
    assert!(
        manifest.contains(&format!("Package(\n    name: \"{module}\",")),
        "Package.swift: the package is named {module}"
    );
    assert_eq!(line_value(&xcf, "LIB=", "build-xcframework.sh"), lib_name);
    assert_eq!(line_value(&xcf, "MODULE=", "build-xcframework.sh"), module);
    assert_eq!(
        line_value(&xcf, "FFI_MODULE=", "build-xcframework.sh"),
        ffi_module
    );
    assert_eq!(
        the_value(
            &xcf,
            "IPHONEOS_DEPLOYMENT_TARGET=",
            ".",
            "build-xcframework.sh"
        ),
        the_value(&manifest, ".iOS(.v", ")", "Package.swift"),
        "iOS deployment target vs Package.swift platforms"
    );
    assert!(
        swift_pkg.join("Sources").join(module).is_dir(),
        "bindings/swift/Sources/{module}/ (where build-xcframework.sh copies the Swift)"
    );

    // --- Symbols --------------------------------------------------------------------------
    let crate_ident = crate_name.replace('-', "_");
    let prefixes = prefixes(&crate_ident);
    let exports = exported(&library, &prefixes);
    let from_kotlin = ffi_names(&kt, &prefixes);
    let from_swift = ffi_names(&read(&swift_dir.join(&header_file)), &prefixes);
    let set_log_listener = format!("uniffi_{crate_ident}_fn_func_set_log_listener");
    assert!(
        exports.contains(&set_log_listener) && from_kotlin.contains(&set_log_listener),
        "{set_log_listener} exported and called: {exports:?}"
    );
    for (lang, names) in [("Kotlin", &from_kotlin), ("Swift header", &from_swift)] {
        let missing: Vec<_> = names.difference(&exports).collect();
        assert!(
            missing.is_empty(),
            "{lang} calls functions {} does not export: {missing:?}",
            library.display()
        );
        let unreachable: Vec<_> = exports
            .iter()
            .filter(|n| {
                n.starts_with(&format!("uniffi_{crate_ident}_fn_"))
                    || n.starts_with(&format!("uniffi_{crate_ident}_checksum_"))
            })
            .filter(|n| !names.contains(*n))
            .collect();
        assert!(
            unreachable.is_empty(),
            "{} exports functions the {lang} does not reach: {unreachable:?}",
            library.display()
        );
    }
}
