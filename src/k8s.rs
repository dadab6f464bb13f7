//! `loadpilot k8s render PROFILE --agents N --image IMAGE`: the manifests that run
//! a profile as N agents on Kubernetes, built from the Kubernetes API's own types
//! (`k8s-openapi`), so every field name and shape is the API's:
//!
//! - a **ConfigMap** with the profile and the data files it reads, at the same
//!   relative paths (the pod's working directory is the mount, so the profile
//!   resolves them as it does here);
//! - a headless **Service** giving each agent a DNS name
//!   (`NAME-I.NAME.NAMESPACE.svc`) for `loadpilot attach --k8s-service NAME`;
//! - an **Indexed Job** (`parallelism = completions = N`): pod I runs `--segment
//!   I+1/N` of the load, all of them from the same `--start-at`, as agents
//!   (`--agent-listen 0.0.0.0:PORT`) with the token from a Secret.
//!
//! Kubernetes runs the agents; loadpilot does not manage a cluster.

use std::collections::BTreeMap;
use std::path::{Component, Path, PathBuf};

use k8s_openapi::api::batch::v1::{Job, JobSpec};
use k8s_openapi::api::core::v1::{
    ConfigMap, ConfigMapVolumeSource, Container, ContainerPort, EmptyDirVolumeSource, EnvVar,
    EnvVarSource, KeyToPath, PodSecurityContext, PodSpec, PodTemplateSpec, ResourceRequirements,
    SecretKeySelector, SecurityContext, Service, ServicePort, ServiceSpec, Volume, VolumeMount,
};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

/// Where the ConfigMap is mounted, and the agents' working directory.
const MOUNT: &str = "/etc/loadpilot";
/// The label every object carries (the Service selects the Job's pods by it).
const APP_LABEL: &str = "app.kubernetes.io/name";

/// What `k8s render` is asked for.
#[derive(Debug, Clone)]
pub struct RenderOptions {
    pub profile: PathBuf,
    pub agents: u32,
    pub image: String,
    /// Name of the Job and the Service (and prefix of the ConfigMap).
    pub name: String,
    pub namespace: Option<String>,
    pub cpu: String,
    pub memory: String,
    pub port: u16,
    /// When every agent starts (RFC 3339).
    pub start_at: chrono::DateTime<chrono::Utc>,
    /// The Secret (key `token`) holding the agents' bearer token.
    pub token_secret: String,
    /// `-e KEY=VALUE` passed to every agent.
    pub vars: Vec<(String, String)>,
}

#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    #[error("{0}")]
    Profile(String),
    #[error("{path}: {reason}")]
    File { path: String, reason: String },
    #[error("--agents must be from 1 to {max}, not {given}")]
    Agents { given: u32, max: u64 },
    #[error("{0} is not a valid Kubernetes name (lowercase letters, digits and '-', at most 52)")]
    Name(String),
    #[error("cannot write YAML: {0}")]
    Yaml(String),
}

/// The manifests, as YAML documents separated by `---`.
pub fn render(opts: &RenderOptions) -> Result<String, RenderError> {
    check(opts)?;
    let files = files(opts)?;
    let mut out = String::new();
    let docs = [
        yaml(&config_map(opts, &files))?,
        yaml(&service(opts))?,
        yaml(&job(opts, &files))?,
    ];
    for doc in docs {
        out.push_str("---\n");
        out.push_str(&doc);
    }
    Ok(out)
}

fn check(opts: &RenderOptions) -> Result<(), RenderError> {
    let max = crate::segment::MAX_SEGMENTS;
    if opts.agents == 0 || u64::from(opts.agents) > max {
        return Err(RenderError::Agents {
            given: opts.agents,
            max,
        });
    }
    // A DNS-1123 label, with room for the `-profile` suffix and pod indices.
    let name_ok = !opts.name.is_empty()
        && opts.name.len() <= 52
        && opts
            .name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !opts.name.starts_with('-')
        && !opts.name.ends_with('-');
    if !name_ok {
        return Err(RenderError::Name(opts.name.clone()));
    }
    Ok(())
}

fn yaml<T: serde::Serialize>(value: &T) -> Result<String, RenderError> {
    serde_yaml_ng::to_string(value).map_err(|e| RenderError::Yaml(e.to_string()))
}

/// The profile and the data files it reads: (relative path, contents).
fn files(opts: &RenderOptions) -> Result<Vec<(String, String)>, RenderError> {
    let profile = crate::profile::load_profile(&opts.profile, &opts.vars)
        .map_err(|e| RenderError::Profile(e.to_string()))?;
    let mut paths = vec![opts.profile.clone()];
    for persona in &profile.journey.personas {
        if let Some(data) = &persona.data {
            paths.push(PathBuf::from(&data.file));
        }
    }
    let mut out: Vec<(String, String)> = Vec::new();
    for path in paths {
        let relative = relative(&path)?;
        if out.iter().any(|(p, _)| *p == relative) {
            continue;
        }
        let text = std::fs::read_to_string(&path).map_err(|e| RenderError::File {
            path: path.display().to_string(),
            reason: e.to_string(),
        })?;
        out.push((relative, text));
    }
    Ok(out)
}

/// `path` without `.` and `..` (lexically), relative: the layout the pod
/// recreates under its working directory.
fn relative(path: &Path) -> Result<String, RenderError> {
    let mut parts: Vec<String> = Vec::new();
    for c in path.components() {
        match c {
            Component::Normal(p) => parts.push(p.to_string_lossy().into_owned()),
            Component::CurDir => {}
            Component::ParentDir if !parts.is_empty() => {
                parts.pop();
            }
            _ => {
                return Err(RenderError::File {
                    path: path.display().to_string(),
                    reason: "only files below the current directory can go into the \
                             ConfigMap (run k8s render from the project's root)"
                        .into(),
                });
            }
        }
    }
    Ok(parts.join("/"))
}

/// A ConfigMap key for a relative path (keys cannot hold `/`).
fn key(path: &str) -> String {
    path.replace('/', "__")
}

fn labels(opts: &RenderOptions) -> BTreeMap<String, String> {
    BTreeMap::from([(APP_LABEL.to_string(), opts.name.clone())])
}

fn meta(opts: &RenderOptions, name: String) -> ObjectMeta {
    ObjectMeta {
        name: Some(name),
        namespace: opts.namespace.clone(),
        labels: Some(labels(opts)),
        ..ObjectMeta::default()
    }
}

fn config_map(opts: &RenderOptions, files: &[(String, String)]) -> ConfigMap {
    ConfigMap {
        metadata: meta(opts, format!("{}-profile", opts.name)),
        data: Some(
            files
                .iter()
                .map(|(p, text)| (key(p), text.clone()))
                .collect(),
        ),
        ..ConfigMap::default()
    }
}

fn service(opts: &RenderOptions) -> Service {
    Service {
        metadata: meta(opts, opts.name.clone()),
        spec: Some(ServiceSpec {
            cluster_ip: Some("None".into()),
            selector: Some(labels(opts)),
            ports: Some(vec![ServicePort {
                name: Some("agent".into()),
                port: i32::from(opts.port),
                ..ServicePort::default()
            }]),
            ..ServiceSpec::default()
        }),
        ..Service::default()
    }
}

fn job(opts: &RenderOptions, files: &[(String, String)]) -> Job {
    let agents = i32::try_from(opts.agents).unwrap_or(i32::MAX);
    Job {
        metadata: meta(opts, opts.name.clone()),
        spec: Some(JobSpec {
            completion_mode: Some("Indexed".into()),
            completions: Some(agents),
            parallelism: Some(agents),
            // A failed agent is a lost segment, not one to run again later.
            backoff_limit: Some(0),
            template: PodTemplateSpec {
                metadata: Some(ObjectMeta {
                    labels: Some(labels(opts)),
                    ..ObjectMeta::default()
                }),
                spec: Some(pod(opts, files)),
            },
            ..JobSpec::default()
        }),
        ..Job::default()
    }
}

fn pod(opts: &RenderOptions, files: &[(String, String)]) -> PodSpec {
    PodSpec {
        // Pod I is reachable as NAME-I.NAME (the headless Service).
        subdomain: Some(opts.name.clone()),
        restart_policy: Some("Never".into()),
        security_context: Some(PodSecurityContext {
            run_as_non_root: Some(true),
            run_as_user: Some(65532),
            ..PodSecurityContext::default()
        }),
        containers: vec![container(opts)],
        volumes: Some(vec![
            Volume {
                name: "profile".into(),
                config_map: Some(ConfigMapVolumeSource {
                    name: format!("{}-profile", opts.name),
                    items: Some(
                        files
                            .iter()
                            .map(|(p, _)| KeyToPath {
                                key: key(p),
                                path: p.clone(),
                                ..KeyToPath::default()
                            })
                            .collect(),
                    ),
                    ..ConfigMapVolumeSource::default()
                }),
                ..Volume::default()
            },
            Volume {
                name: "snapshots".into(),
                empty_dir: Some(EmptyDirVolumeSource::default()),
                ..Volume::default()
            },
        ]),
        ..PodSpec::default()
    }
}

/// The agent's command line: Kubernetes cannot add one to the 0-based
/// completion index, so a shell does (`--segment` counts from 1).
fn command_line(opts: &RenderOptions) -> String {
    let profile = relative(&opts.profile).unwrap_or_default();
    let mut line = format!(
        "exec loadpilot run {} --headless --agent-listen 0.0.0.0:{} \
         --segment \"$((JOB_COMPLETION_INDEX + 1))/{}\" --start-at {} \
         --out /snapshots/agent-\"$JOB_COMPLETION_INDEX\".json",
        shell_words::quote(&profile),
        opts.port,
        opts.agents,
        opts.start_at
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
    );
    for (k, v) in &opts.vars {
        line.push_str(" -e ");
        line.push_str(&shell_words::quote(&format!("{k}={v}")));
    }
    line
}

fn container(opts: &RenderOptions) -> Container {
    let quantity = |q: &str| Quantity(q.to_string());
    let resources = BTreeMap::from([
        ("cpu".to_string(), quantity(&opts.cpu)),
        ("memory".to_string(), quantity(&opts.memory)),
    ]);
    Container {
        name: "agent".into(),
        image: Some(opts.image.clone()),
        command: Some(vec!["sh".into(), "-c".into(), command_line(opts)]),
        working_dir: Some(MOUNT.into()),
        env: Some(vec![EnvVar {
            name: crate::agent::TOKEN_ENV.into(),
            value_from: Some(EnvVarSource {
                secret_key_ref: Some(SecretKeySelector {
                    name: opts.token_secret.clone(),
                    key: "token".into(),
                    ..SecretKeySelector::default()
                }),
                ..EnvVarSource::default()
            }),
            ..EnvVar::default()
        }]),
        ports: Some(vec![ContainerPort {
            name: Some("agent".into()),
            container_port: i32::from(opts.port),
            ..ContainerPort::default()
        }]),
        resources: Some(ResourceRequirements {
            requests: Some(resources.clone()),
            limits: Some(resources),
            ..ResourceRequirements::default()
        }),
        security_context: Some(SecurityContext {
            allow_privilege_escalation: Some(false),
            read_only_root_filesystem: Some(true),
            ..SecurityContext::default()
        }),
        volume_mounts: Some(vec![
            VolumeMount {
                name: "profile".into(),
                mount_path: MOUNT.into(),
                read_only: Some(true),
                ..VolumeMount::default()
            },
            VolumeMount {
                name: "snapshots".into(),
                mount_path: "/snapshots".into(),
                ..VolumeMount::default()
            },
        ]),
        ..Container::default()
    }
}
