//! Links the task with the shared L4 task layout.
fn main() {
    if std::env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("none") {
        let dir = std::env::var("CARGO_MANIFEST_DIR").unwrap();
        println!("cargo:rustc-link-arg-bins=-T{dir}/../l4lib/task.ld");
        println!("cargo:rerun-if-changed=../l4lib/task.ld");
    }
}
