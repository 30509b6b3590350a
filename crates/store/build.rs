// The migrations are embedded by `sqlx::migrate!`, which cannot tell cargo
// to rebuild when a file is added to the folders; this does.
fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
