//! PostgreSQL-only tests are ignored, with the reason, unless the suite is built to run on
//! PostgreSQL (`QINGDAN_TEST_DATABASE_URL` set): cargo then lists them as ignored instead of
//! reporting a pass that checked nothing. Setting or clearing the variable rebuilds the tests.

fn main() {
    println!("cargo::rustc-check-cfg=cfg(qingdan_postgres)");
    println!("cargo::rerun-if-env-changed=QINGDAN_TEST_DATABASE_URL");
    if std::env::var("QINGDAN_TEST_DATABASE_URL").is_ok_and(|url| !url.is_empty()) {
        println!("cargo::rustc-cfg=qingdan_postgres");
    }
}
