//! Builds the web UI (`web/`, React + Vite) so the binary can embed it. Runs npm only when
//! the UI's sources changed; set OMEGI_SKIP_WEB_BUILD=1 to use an existing `web/dist`.

use std::path::Path;
use std::process::Command;

fn main() {
    let web = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../web");
    for input in [
        "src",
        "index.html",
        "package.json",
        "package-lock.json",
        "vite.config.ts",
        "tsconfig.json",
        "openapi.json",
    ] {
        println!("cargo:rerun-if-changed={}", web.join(input).display());
    }
    // `sqlx::migrate!` embeds the migrations, and cargo does not see a proc macro read them.
    println!("cargo:rerun-if-changed=migrations");
    println!("cargo:rerun-if-env-changed=OMEGI_SKIP_WEB_BUILD");
    let dist = web.join("dist/index.html");
    if std::env::var_os("OMEGI_SKIP_WEB_BUILD").is_some() && dist.exists() {
        return;
    }
    if !web.join("node_modules").exists() {
        npm(&web, &["ci", "--no-audit", "--no-fund"]);
    }
    npm(&web, &["run", "build"]);
}

fn npm(dir: &Path, args: &[&str]) {
    let status = Command::new("npm").args(args).current_dir(dir).status().unwrap_or_else(|e| {
        panic!("building the web UI needs Node.js 20+ and npm on PATH (apt-get install nodejs npm): {e}")
    });
    assert!(
        status.success(),
        "`npm {}` failed in {}",
        args.join(" "),
        dir.display()
    );
}
