//! `--summary-json -` on a real run: stdout is the JSON alone, in the shape
//! `docs/summary-format.md` documents (schema version, public class labels, the
//! status codes of successes).

mod common;

use common::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn summary_json_on_stdout_has_a_version_public_labels_and_success_codes() {
    let t = target().await;
    let dir = tempfile::tempdir().unwrap();
    let profile = dir.path().join("codes.toml");
    std::fs::write(
        &profile,
        format!(
            "name = \"codes\"\nbase_url = \"{}\"\n\n[load]\nstages = \"0s:2,1s:2\"\n\n\
             [[request]]\npath = \"/status/200\"\n\n[[request]]\npath = \"/status/201\"\n\n\
             [[request]]\npath = \"/status/503\"\n\n[[request]]\npath = \"/status/500\"\n",
            t.url("").trim_end_matches('/')
        ),
    )
    .unwrap();
    let mut cmd = loadpilot();
    cmd.arg("run").arg(&profile);
    cmd.args(["--headless", "--no-snapshot", "--summary-json", "-"]);
    let out = output(cmd).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("stdout is only JSON");
    assert!(text(&out.stderr).contains("loadpilot summary: codes"));
    assert_eq!(json["schema_version"], 1);
    let ok: Vec<u64> = json["ok_statuses"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p[0].as_u64().unwrap())
        .collect();
    assert_eq!(ok, [200, 201], "{json}");
    let ok_count: u64 = json["ok_statuses"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p[1].as_u64().unwrap())
        .sum();
    assert_eq!(json["overall"]["classes"]["ok"].as_u64().unwrap(), ok_count);
    let classes: Vec<(&str, &str)> = json["error_classes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["class"].as_str().unwrap(), c["label"].as_str().unwrap()))
        .collect();
    assert_eq!(classes, [("500", "500"), ("5xx", "5xx")], "{json}");
    assert_eq!(json["error_classes"][1]["statuses"][0][0], 503);
    assert!(json["overall"]["classes"]["5xx"].as_u64().unwrap() > 0);
}
