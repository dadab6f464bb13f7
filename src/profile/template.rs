//! `{{…}}` templates in paths, header values and bodies, compiled once at load time.
//!
//! Inside the braces: a variable name (extracted by `extract` or a data-file column),
//! or a built-in: `vu`, `iteration`, `uuid`, `random_int(MIN,MAX)`, `env.NAME`,
//! `cookie.NAME`. `env.NAME` is read once when the profile loads (`-e NAME=…` first,
//! then the environment), so an unset one is a load-time error like `${NAME}`.
//! `cookie.NAME` is the VU's cookie for the request's URL, read when the request is
//! rendered. `{{{{` is a literal `{{`. Unknown names are load-time errors, so
//! rendering can only fail on a variable that was never set, or a cookie the VU
//! does not hold, at run time ([`Missing`]).

use std::fmt::Write as _;

use rand::RngExt;
use rand::rngs::SmallRng;

/// A compiled template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    parts: Vec<Part>,
    /// Variables are inserted into JSON strings (a `json = …` body) and escaped.
    json_strings: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Literal(String),
    /// Slot in the journey's variable table.
    Var(u16),
    Vu,
    Iteration,
    Uuid,
    RandomInt(i64, i64),
    /// `{{cookie.NAME}}`: the VU's cookie of that name.
    Cookie(String),
}

/// What a render reads from the VU.
pub struct RenderCtx<'a> {
    pub vu: u64,
    pub iteration: u64,
    /// Values by slot; `None` until extracted or loaded.
    pub vars: &'a [Option<String>],
    pub rng: &'a mut SmallRng,
    /// The VU's cookies for the request's URL, `(name, value)`; empty unless the
    /// template reads one ([`Template::reads_cookies`]).
    pub cookies: &'a [(String, String)],
}

/// Why a template could not be rendered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Missing {
    /// The variable in this slot was never set.
    Var(u16),
    /// The VU holds no cookie of this name for the request's URL.
    Cookie(String),
}

/// Whether `text` contains a `{{…}}` placeholder.
pub fn has_placeholder(text: &str) -> bool {
    text.replace("{{{{", "").contains("{{")
}

impl Template {
    /// Compiles `text`. `var` maps a variable name to its slot (None = unknown);
    /// `env` looks up `env.NAME`. `Err` says what is wrong.
    pub fn compile(
        text: &str,
        var: &dyn Fn(&str) -> Option<u16>,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Template, String> {
        let mut parts = Vec::new();
        let mut literal = String::new();
        let mut rest = text;
        while let Some(open) = rest.find("{{") {
            literal.push_str(&rest[..open]);
            let after = &rest[open + 2..];
            if let Some(tail) = after.strip_prefix("{{") {
                literal.push_str("{{");
                rest = tail;
                continue;
            }
            let close = after
                .find("}}")
                .ok_or_else(|| format!("\"{{{{{after}\" is missing its closing \"}}}}\""))?;
            let inner = after[..close].trim();
            let part = compile_part(inner, var, env)?;
            match part {
                Part::Literal(text) => literal.push_str(&text),
                part => {
                    if !literal.is_empty() {
                        parts.push(Part::Literal(std::mem::take(&mut literal)));
                    }
                    parts.push(part);
                }
            }
            rest = &after[close + 2..];
        }
        literal.push_str(rest);
        if !literal.is_empty() {
            parts.push(Part::Literal(literal));
        }
        Ok(Template {
            parts,
            json_strings: false,
        })
    }

    /// The text with every placeholder replaced by `x`, for load-time syntax checks
    /// (a path or header value must stay valid whatever the values are).
    pub fn placeholder_text(&self) -> String {
        self.parts
            .iter()
            .map(|p| match p {
                Part::Literal(s) => s.as_str(),
                Part::RandomInt(..) | Part::Vu | Part::Iteration => "1",
                _ => "x",
            })
            .collect()
    }

    /// The same template for a `json = …` body: every placeholder sits inside a JSON
    /// string there, so inserted variables are escaped (`"` → `\"`, `\` → `\\`, …).
    pub fn json_escaped(mut self) -> Template {
        self.json_strings = true;
        self
    }

    /// Whether only literals remain (e.g. only `env.` placeholders were used).
    pub fn is_static(&self) -> bool {
        self.parts.iter().all(|p| matches!(p, Part::Literal(_)))
    }

    /// Whether a `{{cookie.NAME}}` is in it (the caller then looks the jar up).
    pub fn reads_cookies(&self) -> bool {
        self.parts.iter().any(|p| matches!(p, Part::Cookie(_)))
    }

    /// Appends the rendered text to `out`; `Err` names what is not set.
    pub fn render_into(&self, out: &mut String, ctx: &mut RenderCtx<'_>) -> Result<(), Missing> {
        for part in &self.parts {
            match part {
                Part::Literal(s) => out.push_str(s),
                Part::Var(slot) => {
                    match ctx.vars.get(usize::from(*slot)).and_then(Option::as_ref) {
                        Some(value) if self.json_strings => push_json_escaped(out, value),
                        Some(value) => out.push_str(value),
                        None => return Err(Missing::Var(*slot)),
                    }
                }
                Part::Cookie(name) => match ctx.cookies.iter().find(|(n, _)| n == name) {
                    Some((_, value)) if self.json_strings => push_json_escaped(out, value),
                    Some((_, value)) => out.push_str(value),
                    None => return Err(Missing::Cookie(name.clone())),
                },
                Part::Vu => {
                    let _ = write!(out, "{}", ctx.vu);
                }
                Part::Iteration => {
                    let _ = write!(out, "{}", ctx.iteration);
                }
                Part::Uuid => {
                    let bytes: [u8; 16] = ctx.rng.random();
                    let id = uuid::Builder::from_random_bytes(bytes).into_uuid();
                    let _ = write!(out, "{id}");
                }
                Part::RandomInt(min, max) => {
                    let _ = write!(out, "{}", ctx.rng.random_range(*min..=*max));
                }
            }
        }
        Ok(())
    }

    pub fn render(&self, ctx: &mut RenderCtx<'_>) -> Result<String, Missing> {
        let mut out = String::new();
        self.render_into(&mut out, ctx)?;
        Ok(out)
    }
}

/// Appends `value` escaped for the inside of a JSON string.
fn push_json_escaped(out: &mut String, value: &str) {
    let quoted = serde_json::to_string(value).unwrap_or_default();
    out.push_str(&quoted[1..quoted.len().saturating_sub(1)]);
}

fn compile_part(
    inner: &str,
    var: &dyn Fn(&str) -> Option<u16>,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Part, String> {
    match inner {
        "vu" => return Ok(Part::Vu),
        "iteration" => return Ok(Part::Iteration),
        "uuid" => return Ok(Part::Uuid),
        _ => {}
    }
    if let Some(name) = inner.strip_prefix("env.") {
        return env(name).map(Part::Literal).ok_or_else(|| {
            format!("\"{{{{{inner}}}}}\": environment variable \"{name}\" is not set; pass -e {name}=VALUE or export it")
        });
    }
    if let Some(name) = inner.strip_prefix("cookie.") {
        let valid = !name.is_empty()
            && name
                .bytes()
                .all(|b| b.is_ascii_graphic() && !b"()<>@,;:\\\"/[]?={}".contains(&b));
        if !valid {
            return Err(format!(
                "\"{{{{{inner}}}}}\": \"{name}\" is not a cookie name; write e.g. {{{{cookie.session}}}}"
            ));
        }
        return Ok(Part::Cookie(name.to_string()));
    }
    if let Some(args) = inner
        .strip_prefix("random_int(")
        .and_then(|a| a.strip_suffix(')'))
    {
        let bad = || {
            format!("\"{{{{{inner}}}}}\": write random_int(MIN,MAX) with whole numbers, MIN <= MAX")
        };
        let (a, b) = args.split_once(',').ok_or_else(bad)?;
        let (a, b): (i64, i64) = (
            a.trim().parse().map_err(|_| bad())?,
            b.trim().parse().map_err(|_| bad())?,
        );
        if a > b {
            return Err(bad());
        }
        return Ok(Part::RandomInt(a, b));
    }
    if inner.is_empty() {
        return Err("empty \"{{}}\"; write a variable name, e.g. \"{{token}}\"".into());
    }
    var(inner)
        .map(Part::Var)
        .ok_or_else(|| format!("unknown variable \"{{{{{inner}}}}}\""))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    fn compile(text: &str) -> Result<Template, String> {
        let var = |name: &str| match name {
            "token" => Some(0),
            "user" => Some(1),
            _ => None,
        };
        let env = |name: &str| (name == "HOME_X").then(|| "/h".to_string());
        Template::compile(text, &var, &env)
    }

    #[test]
    fn json_bodies_escape_inserted_variables() {
        let var = |name: &str| (name == "token").then_some(0u16);
        let env = |_: &str| None;
        let t = Template::compile("{\"t\":\"{{token}}\",\"vu\":\"{{vu}}\"}", &var, &env)
            .unwrap()
            .json_escaped();
        let vars = [Some("a\"b\\c\n".to_string())];
        let mut rng = <SmallRng as rand::SeedableRng>::seed_from_u64(1);
        let mut ctx = RenderCtx {
            vu: 7,
            iteration: 1,
            vars: &vars,
            rng: &mut rng,
            cookies: &[],
        };
        let body = t.render(&mut ctx).unwrap();
        let parsed: serde_json::Value = serde_json::from_str(&body).expect("still valid JSON");
        assert_eq!(parsed["t"], "a\"b\\c\n");
        assert_eq!(parsed["vu"], "7");
    }

    #[test]
    fn renders_vars_and_builtins() {
        let t = compile("Bearer {{ token }} vu={{vu}} it={{iteration}} {{env.HOME_X}} {{{{lit")
            .unwrap();
        let mut rng = SmallRng::seed_from_u64(1);
        let vars = vec![Some("abc".to_string()), None];
        let mut ctx = RenderCtx {
            vu: 3,
            iteration: 9,
            vars: &vars,
            rng: &mut rng,
            cookies: &[],
        };
        assert_eq!(t.render(&mut ctx).unwrap(), "Bearer abc vu=3 it=9 /h {{lit");
        let u = compile("{{user}}").unwrap();
        assert_eq!(u.render(&mut ctx), Err(Missing::Var(1)));
        let r = compile("{{random_int(5,7)}}|{{uuid}}").unwrap();
        let out = r.render(&mut ctx).unwrap();
        let (n, id) = out.split_once('|').unwrap();
        assert!((5..=7).contains(&n.parse::<i64>().unwrap()));
        assert_eq!(id.len(), 36);
        assert!(compile("plain").unwrap().is_static());
        assert!(compile("{{env.HOME_X}}").unwrap().is_static());
        assert_eq!(
            compile("/jobs/{{token}}").unwrap().placeholder_text(),
            "/jobs/x"
        );
    }

    #[test]
    fn cookies_render_from_the_jar_and_a_missing_one_is_named() {
        let t = compile("sid={{cookie.session}}").unwrap();
        assert!(t.reads_cookies());
        assert!(!compile("{{token}}").unwrap().reads_cookies());
        let mut rng = SmallRng::seed_from_u64(1);
        let cookies = [("session".to_string(), "abc123".to_string())];
        let mut ctx = RenderCtx {
            vu: 1,
            iteration: 1,
            vars: &[],
            rng: &mut rng,
            cookies: &cookies,
        };
        assert_eq!(t.render(&mut ctx).unwrap(), "sid=abc123");
        ctx.cookies = &[];
        assert_eq!(
            t.render(&mut ctx),
            Err(Missing::Cookie("session".to_string()))
        );
        assert!(
            compile("{{cookie.}}")
                .unwrap_err()
                .contains("is not a cookie name")
        );
        assert!(compile("{{cookie.a;b}}").is_err());
    }

    #[test]
    fn errors_name_the_problem() {
        assert!(
            compile("{{nope}}")
                .unwrap_err()
                .contains("unknown variable \"{{nope}}\"")
        );
        assert!(
            compile("{{env.NOPE}}")
                .unwrap_err()
                .contains("\"NOPE\" is not set")
        );
        assert!(compile("{{random_int(9,1)}}").is_err());
        assert!(compile("{{token").unwrap_err().contains("closing"));
        assert!(has_placeholder("a{{b}}"));
        assert!(!has_placeholder("a{{{{b"));
    }
}
