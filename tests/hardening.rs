//! Issue 9 (part B): profiles that validate always run within one set of limits,
//! and one redaction hides secrets from every output while snapshots stay loadable.

mod common;

use std::path::Path;

use common::*;

const SECRETS: [&str; 6] = [
    "pw-secret-1",
    "tok-secret-2",
    "xauth-secret-3",
    "custom-secret-4",
    "apitoken-secret-5",
    "literal-secret-6",
];

/// Every `report` format of `snapshot`, each of which must load it.
fn reports(snapshot: &Path) -> Vec<(String, String)> {
    [
        "text", "json", "csv", "ndjson", "markdown", "junit", "stages", "hdr-log",
    ]
    .iter()
    .map(|format| {
        let out = loadpilot()
            .args(["report", "--format", format])
            .arg(snapshot)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "report --format {format} of {}: {}",
            snapshot.display(),
            text(&out.stderr)
        );
        (format.to_string(), text(&out.stdout))
    })
    .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_secret_reaches_any_output() {
    let t = target().await;
    let dir = tempfile::tempdir().unwrap();
    let profile = dir.path().join("secret.toml");
    std::fs::write(
        &profile,
        format!(
            r#"
base_url = "http://bob:pw-secret-1@{addr}"
redact = ["X-Custom", "literal-secret-6"]
[load]
stages = "1s:2"
[[request]]
name = "ping"
path = "/ping?token=tok-secret-2&note=literal-secret-6"
headers = {{ "X-Auth" = "xauth-secret-3", "X-Custom" = "custom-secret-4", Authorization = "Bearer ${{API_TOKEN}}" }}
check = {{ body_contains = "${{API_TOKEN}}" }}
[[request]]
name = "items"
path = "http://bob:pw-secret-1@{addr}/ping?api_key=tok-secret-2"
"#,
            addr = t.addr
        ),
    )
    .unwrap();
    let (snap, summary) = (dir.path().join("run.json"), dir.path().join("s.json"));
    let mut cmd = loadpilot();
    cmd.arg("run")
        .arg(&profile)
        .args(["--headless", "--progress-every", "200ms", "-e"])
        .arg("API_TOKEN=apitoken-secret-5")
        .arg("--out")
        .arg(&snap)
        .arg("--summary-json")
        .arg(&summary);
    let out = output(cmd).await;
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert!(
        stdout.contains("[redacted]"),
        "the summary shows the redacted target:\n{stdout}"
    );
    // The check on the token failed, so its (redacted) message is in the summary.
    assert!(stdout.contains("check"), "{stdout}");
    let mut outputs = vec![
        ("stdout".to_string(), stdout),
        ("stderr".to_string(), stderr),
        (
            "summary json".into(),
            std::fs::read_to_string(&summary).unwrap(),
        ),
        ("snapshot".into(), std::fs::read_to_string(&snap).unwrap()),
    ];
    outputs.extend(reports(&snap));
    for (name, body) in &outputs {
        for secret in SECRETS {
            assert!(
                !body.contains(secret),
                "{secret} leaked into {name}:\n{body}"
            );
        }
    }
}

/// `-e API_TOKEN=true`, `=2026` and `=ping` used to be replaced inside the JSON text,
/// breaking `"complete":true`, timestamps and the request named ping.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn short_or_name_like_secrets_keep_snapshots_loadable() {
    let t = target().await;
    let dir = tempfile::tempdir().unwrap();
    let profile = dir.path().join("p.toml");
    std::fs::write(
        &profile,
        format!(
            "base_url = \"http://{}\"\n[load]\nstages = \"1s:1\"\n[[request]]\nname = \"ping\"\npath = \"/ping\"\nheaders = {{ Authorization = \"${{API_TOKEN}}\" }}\n",
            t.addr
        ),
    )
    .unwrap();
    for value in ["true", "2026", "ping", "pingpong-long"] {
        let snap = dir.path().join(format!("{value}.json"));
        let mut cmd = loadpilot();
        cmd.arg("run")
            .arg(&profile)
            .args(["--headless", "-e"])
            .arg(format!("API_TOKEN={value}"))
            .arg("--out")
            .arg(&snap);
        let out = output(cmd).await;
        assert!(out.status.success(), "{value}: {}", text(&out.stderr));
        if value.len() < 6 {
            assert!(
                text(&out.stderr).contains("warning"),
                "{}",
                text(&out.stderr)
            );
        }
        let snapshot = loadpilot::snapshot::read(&snap).unwrap_or_else(|e| panic!("{value}: {e}"));
        assert!(snapshot.complete);
        assert_eq!(snapshot.requests[0].name, "ping", "{value}");
        assert!(snapshot.requests[0].stats.classes.values().sum::<u64>() > 0);
        let _ = reports(&snap);
    }
    // Every snapshot this test wrote reloads.
    for entry in std::fs::read_dir(dir.path()).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "json") {
            loadpilot::snapshot::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        }
    }
}
