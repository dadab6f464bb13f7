//! `loadpilot k8s render`: every rendered document is read back into the
//! Kubernetes API's own types (`k8s-openapi`) and must come out unchanged, so a
//! field the API does not know (a typo, a wrong shape) fails the test.

mod common;

use common::*;
use k8s_openapi::api::batch::v1::Job;
use k8s_openapi::api::core::v1::{ConfigMap, Service};

/// The rendered YAML documents as JSON values.
fn render(args: &[&str]) -> Vec<serde_json::Value> {
    let out = loadpilot()
        .args(["k8s", "render"])
        .args(args)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let yaml = text(&out.stdout);
    // Documents start at a line of `---` (an indented `---` belongs to a file).
    format!("\n{yaml}")
        .split("\n---\n")
        .filter(|d| !d.trim().is_empty())
        .map(|d| serde_yaml_ng::from_str(d).expect("each document is YAML"))
        .collect()
}

/// `doc` read as `T` and written back is `doc` itself: no unknown or misshapen field.
fn round_trips<T: serde::de::DeserializeOwned + serde::Serialize>(doc: &serde_json::Value) -> T {
    let typed: T = serde_json::from_value(doc.clone()).expect("the API type reads it");
    let back = serde_json::to_value(&typed).unwrap();
    assert_eq!(&back, doc, "a field the Kubernetes API does not know");
    typed
}

#[test]
fn rendered_manifests_are_valid_kubernetes_objects() {
    let docs = render(&[
        "profiles/login-journey.toml",
        "--agents",
        "3",
        "--image",
        "loadpilot:test",
        "--start-at",
        "2026-12-01T10:00:00Z",
        "--namespace",
        "load",
        "-e",
        "BASE_URL=http://shop.load.svc:8080",
    ]);
    let kinds: Vec<&str> = docs.iter().map(|d| d["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["ConfigMap", "Service", "Job"]);

    let config: ConfigMap = round_trips(&docs[0]);
    let data = config.data.unwrap();
    assert!(data["profiles__login-journey.toml"].contains("[[request]]"));
    assert!(data.contains_key("assets__users.csv"), "{:?}", data.keys());

    let service: Service = round_trips(&docs[1]);
    let spec = service.spec.unwrap();
    assert_eq!(spec.cluster_ip.as_deref(), Some("None"), "headless");
    assert_eq!(spec.ports.unwrap()[0].port, 9400);

    let job: Job = round_trips(&docs[2]);
    assert_eq!(job.metadata.namespace.as_deref(), Some("load"));
    let spec = job.spec.unwrap();
    assert_eq!(spec.completion_mode.as_deref(), Some("Indexed"));
    assert_eq!((spec.completions, spec.parallelism), (Some(3), Some(3)));
    let pod = spec.template.spec.unwrap();
    assert_eq!(pod.subdomain.as_deref(), Some("loadpilot-run"));
    let container = &pod.containers[0];
    let line = &container.command.as_ref().unwrap()[2];
    assert!(
        line.contains("--segment \"$((JOB_COMPLETION_INDEX + 1))/3\""),
        "{line}"
    );
    assert!(line.contains("--start-at 2026-12-01T10:00:00Z"), "{line}");
    assert!(
        line.contains("BASE_URL=http://shop.load.svc:8080"),
        "{line}"
    );
    let items = pod.volumes.unwrap()[0]
        .config_map
        .as_ref()
        .unwrap()
        .items
        .clone()
        .unwrap();
    let paths: Vec<&str> = items.iter().map(|i| i.path.as_str()).collect();
    assert_eq!(paths, ["profiles/login-journey.toml", "assets/users.csv"]);
    let env = &container.env.as_ref().unwrap()[0];
    assert_eq!(env.name, "LOADPILOT_AGENT_TOKEN");
    assert_eq!(
        pod.security_context.unwrap().run_as_non_root,
        Some(true),
        "agents run as non-root"
    );
}

#[test]
fn bad_render_requests_are_usage_errors() {
    for (args, says) in [
        (
            vec!["profiles/demo.toml", "--agents", "0", "--image", "x"],
            "--agents",
        ),
        (
            vec![
                "profiles/demo.toml",
                "--agents",
                "2",
                "--image",
                "x",
                "--name",
                "Bad_Name",
            ],
            "Kubernetes name",
        ),
        (
            vec!["/nonexistent.toml", "--agents", "2", "--image", "x"],
            "nonexistent",
        ),
    ] {
        let out = loadpilot()
            .args(["k8s", "render"])
            .args(&args)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(
            text(&out.stderr).contains(says),
            "{args:?}: {}",
            text(&out.stderr)
        );
    }
}

#[test]
fn attach_finds_the_jobs_agents_by_service() {
    assert_eq!(
        loadpilot::agent::attach::k8s_service_urls("loadpilot-run", Some("load"), 2, 9400),
        [
            "http://loadpilot-run-0.loadpilot-run.load.svc:9400",
            "http://loadpilot-run-1.loadpilot-run.load.svc:9400"
        ]
    );
}

/// The Job's command line, as the pod's shell expands it for each completion
/// index, is a valid agent run of this binary: segment I+1 of N, the agreed
/// start, the agent API on all interfaces.
#[test]
fn the_jobs_command_line_is_an_agent_run_for_every_index() {
    use clap::Parser;
    let docs = render(&[
        "profiles/demo.toml",
        "--agents",
        "3",
        "--image",
        "x",
        "--start-at",
        "2030-01-01T00:00:00Z",
    ]);
    let line = docs[2]["spec"]["template"]["spec"]["containers"][0]["command"][2]
        .as_str()
        .unwrap();
    for index in 0..3u32 {
        // printf shows the words the shell would hand to loadpilot.
        let out = std::process::Command::new("sh")
            .arg("-c")
            .arg(line.replacen("exec loadpilot", "printf '%s\\n'", 1))
            .env("JOB_COMPLETION_INDEX", index.to_string())
            .output()
            .unwrap();
        let words: Vec<String> = std::iter::once("loadpilot".to_string())
            .chain(text(&out.stdout).lines().map(String::from))
            .collect();
        let cli = loadpilot::Cli::try_parse_from(&words)
            .unwrap_or_else(|e| panic!("{words:?} does not parse: {e}"));
        let loadpilot::cli::CliCommand::Run(args) = cli.command else {
            panic!("not a run: {words:?}");
        };
        assert_eq!(args.target, "profiles/demo.toml");
        let segment = args.opts.segment.expect("a segment");
        assert_eq!(segment.to_string(), format!("{}/3", index + 1));
        assert!(args.opts.headless);
        assert_eq!(
            args.opts.agent_listen.map(|a| a.to_string()).as_deref(),
            Some("0.0.0.0:9400")
        );
        assert_eq!(
            args.opts.out.as_deref(),
            Some(std::path::Path::new(&format!(
                "/snapshots/agent-{index}.json"
            )))
        );
    }
}
