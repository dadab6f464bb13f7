//! Raw personas, setup steps, flows and per-request journey keys → [`Journey`].
//!
//! Variables are checked per persona: a setup step may use data-file columns and
//! what earlier setup steps extract; every other request and flow step may use any
//! variable its persona defines. An unknown `{{name}}` is a load-time error.

use std::collections::HashMap;
use std::sync::Arc;

use serde_spanned::Spanned;

use super::data::{DataMode, DataSet, load_rows};
use super::error::ProfileError;
use super::extras::{Builder, is_var_name};
use super::journey::{Choice, Flow, Journey, Persona, StepExtras};
use super::raw::{RawData, RawFlow, RawPersona, RawProfile, RawRequest};
use super::request::resolve_request;
use super::values::Ctx;
use super::{RequestSpec, ThinkTime};

/// Everything the request tables of a profile resolve to.
pub(crate) struct Resolved {
    pub requests: Vec<RequestSpec>,
    pub journey: Journey,
}

struct Out {
    requests: Vec<RequestSpec>,
    steps: Vec<StepExtras>,
    flows: Vec<Flow>,
    /// Name → field of its first use (requests and flows share one namespace).
    names: HashMap<String, String>,
}

/// The tables of one persona (the implicit one borrows the top-level tables).
struct PersonaTables<'a> {
    prefix: String,
    name: String,
    weight: u32,
    think_time: Option<ThinkTime>,
    data: Option<&'a Spanned<RawData>>,
    setup: &'a [Spanned<RawRequest>],
    request: &'a [Spanned<RawRequest>],
    flow: &'a [Spanned<RawFlow>],
}

impl PersonaTables<'_> {
    /// The field path of `key` in this persona (`persona[1].key`, or `key` at top level).
    fn field(&self, key: &str) -> String {
        if self.prefix.is_empty() {
            key.to_string()
        } else {
            format!("{}.{key}", self.prefix)
        }
    }
}

pub(crate) fn resolve_journeys(ctx: &Ctx<'_>, raw: &RawProfile) -> Result<Resolved, ProfileError> {
    check_layout(ctx, raw)?;
    let tables = persona_tables(ctx, raw)?;
    let mut b = Builder::default();
    let mut out = Out {
        requests: Vec::new(),
        steps: Vec::new(),
        flows: Vec::new(),
        names: HashMap::new(),
    };
    let mut personas = Vec::with_capacity(tables.len());
    for t in &tables {
        personas.push(resolve_persona(ctx, &mut b, &mut out, t)?);
    }
    if out.requests.is_empty() {
        return Err(ctx
            .report
            .at(
                0..0,
                "request",
                "no requests; a profile needs at least one [[request]]",
            )
            .with_hint("add\n    [[request]]\n    name = \"ping\"\n    path = \"/ping\""));
    }
    let (vars, metrics) = b.into_names();
    Ok(Resolved {
        requests: out.requests,
        journey: Journey {
            personas,
            flows: out.flows,
            steps: out.steps,
            metrics,
            vars,
        },
    })
}

/// A profile has either top-level tables or personas, never both; a top-level
/// data file belongs to the first kind.
fn check_layout(ctx: &Ctx<'_>, raw: &RawProfile) -> Result<(), ProfileError> {
    let top_level = !raw.request.is_empty() || !raw.flow.is_empty() || !raw.setup.is_empty();
    if let (true, Some(first)) = (top_level, raw.persona.first()) {
        return Err(ctx
            .err(first, "persona[0]", "this profile has both top-level [[request]]/[[flow]]/[[setup]] tables and [[persona]] tables")
            .with_hint("move the top-level tables into a [[persona]] (as [[persona.request]], [[persona.flow]], [[persona.setup]]), or drop the personas"));
    }
    if let (false, Some(data)) = (raw.persona.is_empty(), &raw.data) {
        return Err(ctx
            .err(
                data,
                "data",
                "a top-level data file is for profiles without personas",
            )
            .with_hint("give each [[persona]] its own data = { file = … }"));
    }
    Ok(())
}

/// One [`PersonaTables`] per `[[persona]]` (names unique), or the implicit persona
/// borrowing the top-level tables.
fn persona_tables<'a>(
    ctx: &Ctx<'_>,
    raw: &'a RawProfile,
) -> Result<Vec<PersonaTables<'a>>, ProfileError> {
    if raw.persona.is_empty() {
        return Ok(vec![PersonaTables {
            prefix: String::new(),
            name: String::new(),
            weight: 1,
            think_time: None,
            data: raw.data.as_ref(),
            setup: &raw.setup,
            request: &raw.request,
            flow: &raw.flow,
        }]);
    }
    let mut tables = Vec::with_capacity(raw.persona.len());
    let mut persona_names: HashMap<String, usize> = HashMap::new();
    for (i, p) in raw.persona.iter().enumerate() {
        let prefix = format!("persona[{i}]");
        let table = p.get_ref();
        let name = persona_name(ctx, &prefix, p)?;
        if let Some(first) = persona_names.insert(name.clone(), i) {
            let at = table.name.as_ref().expect("named above");
            return Err(ctx.err(
                at,
                format!("{prefix}.name"),
                format!("persona name \"{name}\" is already used by persona[{first}]"),
            ));
        }
        tables.push(PersonaTables {
            weight: weight(ctx, table.weight.as_ref(), &format!("{prefix}.weight"))?,
            think_time: match &table.think_time {
                Some(t) => Some(ThinkTime::parse(t.get_ref()).map_err(|why| {
                    ctx.err(t, format!("{prefix}.think_time"), why)
                        .with_hint("write one duration (\"1s\") or a range (\"5s..15s\")")
                })?),
                None => None,
            },
            prefix,
            name,
            data: table.data.as_ref(),
            setup: &table.setup,
            request: &table.request,
            flow: &table.flow,
        });
    }
    Ok(tables)
}

/// A persona's required `name`: trimmed, not empty, without the "·" that joins it
/// to request names.
fn persona_name(
    ctx: &Ctx<'_>,
    prefix: &str,
    p: &Spanned<RawPersona>,
) -> Result<String, ProfileError> {
    match &p.get_ref().name {
        Some(n) if n.get_ref().trim().is_empty() || n.get_ref().contains('·') => Err(ctx.err(
            n,
            format!("{prefix}.name"),
            "a persona name must not be empty or contain \"·\"",
        )),
        Some(n) => Ok(n.get_ref().trim().to_string()),
        None => Err(ctx
            .err(p, format!("{prefix}.name"), "missing required key \"name\"")
            .with_hint(
                "add e.g. name = \"registered\" (request names are shown as \"registered · NAME\")",
            )),
    }
}

fn weight(ctx: &Ctx<'_>, raw: Option<&Spanned<i64>>, field: &str) -> Result<u32, ProfileError> {
    let Some(w) = raw else { return Ok(1) };
    let v = *w.get_ref();
    if v < 1 {
        return Err(ctx.err(
            w,
            field,
            "weight must be at least 1 (weight 0 would never run)",
        ));
    }
    u32::try_from(v).map_err(|_| {
        ctx.err(
            w,
            field,
            format!("weight {v} is too large (at most {})", u32::MAX),
        )
    })
}

fn resolve_persona(
    ctx: &Ctx<'_>,
    b: &mut Builder,
    out: &mut Out,
    t: &PersonaTables<'_>,
) -> Result<Persona, ProfileError> {
    let full_name = |name: &str| {
        if t.name.is_empty() {
            name.to_string()
        } else {
            format!("{} · {name}", t.name)
        }
    };
    b.forget_all();
    let data = match t.data {
        Some(raw) => {
            let set = resolve_data(ctx, b, &t.field("data"), raw)?;
            for col in &set.columns {
                b.define(col);
            }
            Some(Arc::new(set))
        }
        None => None,
    };

    let mut setup = Vec::new();
    for (i, raw) in t.setup.iter().enumerate() {
        let prefix = t.field(&format!("setup[{i}]"));
        let index = push_request(ctx, b, out, &prefix, raw, &full_name, true)?;
        setup.push(index);
        for e in &out.steps[index].extract {
            b.define(&e.name);
        }
    }
    // Everything else may use any variable the persona defines.
    for raw in t
        .request
        .iter()
        .chain(t.flow.iter().flat_map(|f| &f.get_ref().step))
    {
        for (key, _) in raw.get_ref().extract.iter().flat_map(|e| &e.0) {
            b.define(key.get_ref());
        }
    }
    let mut choices = Vec::new();
    for (i, raw) in t.request.iter().enumerate() {
        let prefix = t.field(&format!("request[{i}]"));
        let index = push_request(ctx, b, out, &prefix, raw, &full_name, false)?;
        choices.push((Choice::Request(index), out.requests[index].weight));
    }
    for (f, raw) in t.flow.iter().enumerate() {
        let prefix = t.field(&format!("flow[{f}]"));
        let name = full_name(&flow_name(ctx, &prefix, raw)?);
        resolve_flow(ctx, b, out, &prefix, raw, name)?;
        let flow_weight = weight(
            ctx,
            raw.get_ref().weight.as_ref(),
            &format!("{prefix}.weight"),
        )?;
        choices.push((Choice::Flow(out.flows.len() - 1), flow_weight));
    }
    check_has_actions(ctx, t, choices.is_empty())?;
    Ok(Persona {
        name: t.name.clone(),
        weight: t.weight,
        think_time: t.think_time,
        setup,
        choices,
        data,
    })
}

/// A flow's required `name`, trimmed and not empty (without the persona prefix).
fn flow_name(ctx: &Ctx<'_>, prefix: &str, raw: &Spanned<RawFlow>) -> Result<String, ProfileError> {
    match &raw.get_ref().name {
        Some(n) if n.get_ref().trim().is_empty() => {
            Err(ctx.err(n, format!("{prefix}.name"), "name must not be empty"))
        }
        Some(n) => Ok(n.get_ref().trim().to_string()),
        None => Err(ctx
            .err(raw, format!("{prefix}.name"), "missing required key \"name\"")
            .with_hint("add e.g. name = \"job\"; the flow's time is reported (and thresholded) under this name")),
    }
}

/// Claims the flow's `name`, resolves its steps (named `FLOW/STEP`) and appends the
/// [`Flow`] to `out.flows`.
fn resolve_flow(
    ctx: &Ctx<'_>,
    b: &mut Builder,
    out: &mut Out,
    prefix: &str,
    raw: &Spanned<RawFlow>,
    name: String,
) -> Result<(), ProfileError> {
    let flow = raw.get_ref();
    claim_name(
        ctx,
        out,
        "flow",
        &name,
        &format!("{prefix}.name"),
        flow.name.as_ref().map_or(raw.span(), Spanned::span),
    )?;
    if flow.step.is_empty() {
        return Err(ctx
            .err(
                raw,
                format!("{prefix}.step"),
                "a flow needs at least one [[…flow.step]]",
            )
            .with_hint("add steps under the flow, e.g.\n    [[flow.step]]\n    path = \"/ping\""));
    }
    let mut steps = Vec::new();
    for (s, step) in flow.step.iter().enumerate() {
        let step_prefix = format!("{prefix}.step[{s}]");
        let name_of = |n: &str| format!("{name}/{n}");
        let index = push_request(ctx, b, out, &step_prefix, step, &name_of, false)?;
        steps.push(index);
    }
    out.flows.push(Flow { name, steps });
    Ok(())
}

/// After setup a VU repeats the persona's requests and flows, so it needs some.
fn check_has_actions(
    ctx: &Ctx<'_>,
    t: &PersonaTables<'_>,
    no_choices: bool,
) -> Result<(), ProfileError> {
    if no_choices && t.prefix.is_empty() && !t.setup.is_empty() {
        // Setup runs once per VU; after it a VU picks requests or flows forever.
        return Err(ctx
            .report
            .at(
                0..0,
                "request",
                "the profile has [[setup]] but no [[request]] or [[flow]], so its VUs would have nothing to send after setup",
            )
            .with_hint("add a [[request]] (or a [[flow]]) for the VUs to repeat after setup"));
    }
    if no_choices && !t.prefix.is_empty() {
        return Err(ctx
            .report
            .at(
                0..0,
                t.field("request"),
                format!(
                    "persona \"{}\" has no [[persona.request]] or [[persona.flow]]",
                    t.name
                ),
            )
            .with_hint("a persona needs something to do after its setup"));
    }
    Ok(())
}

fn claim_name(
    ctx: &Ctx<'_>,
    out: &mut Out,
    kind: &str,
    name: &str,
    field: &str,
    at: std::ops::Range<usize>,
) -> Result<(), ProfileError> {
    if let Some(first) = out.names.get(name) {
        return Err(ctx
            .report
            .at(at, field, format!("{kind} name \"{name}\" is already used by {first}"))
            .with_hint("give each request and flow a distinct name = \"…\" (thresholds refer to them by name)"));
    }
    out.names.insert(
        name.to_string(),
        field.trim_end_matches(".name").to_string(),
    );
    Ok(())
}

fn push_request(
    ctx: &Ctx<'_>,
    b: &mut Builder,
    out: &mut Out,
    prefix: &str,
    raw: &Spanned<RawRequest>,
    full_name: &dyn Fn(&str) -> String,
    setup: bool,
) -> Result<usize, ProfileError> {
    let (mut spec, mut extras) = resolve_request(ctx, prefix, raw, b)?;
    spec.name = full_name(&spec.name);
    let at = raw
        .get_ref()
        .name
        .as_ref()
        .map_or(raw.span(), Spanned::span);
    claim_name(
        ctx,
        out,
        "request",
        &spec.name,
        &format!("{prefix}.name"),
        at,
    )?;
    if setup && raw.get_ref().repeat_until.is_some() {
        let r = raw.get_ref().repeat_until.as_ref().expect("checked");
        return Err(ctx.err(
            r,
            format!("{prefix}.repeat_until"),
            "repeat_until works in flow steps only",
        ));
    }
    extras.setup = setup;
    out.requests.push(spec);
    out.steps.push(extras);
    Ok(out.requests.len() - 1)
}

fn resolve_data(
    ctx: &Ctx<'_>,
    b: &mut Builder,
    field: &str,
    raw: &Spanned<RawData>,
) -> Result<DataSet, ProfileError> {
    let d = raw.get_ref();
    let mode = match &d.mode {
        None => DataMode::PerVu,
        Some(m) => DataMode::parse(m.get_ref()).ok_or_else(|| {
            ctx.err(m, format!("{field}.mode"), format!("unknown mode \"{}\"", m.get_ref()))
                .with_hint("use \"per-vu\" (one row per VU), \"sequential\" (next row each iteration) or \"random\"")
        })?,
    };
    let written = ctx.subst(&d.file, &format!("{field}.file"))?;
    let found = super::values::find_file(
        ctx,
        &d.file,
        &format!("{field}.file"),
        "data file",
        &written,
    )?;
    let found = found.as_path();
    let (columns, rows) =
        load_rows(found).map_err(|why| ctx.err(&d.file, format!("{field}.file"), why))?;
    for col in &columns {
        if !is_var_name(col) {
            return Err(ctx.err(
                &d.file,
                format!("{field}.file"),
                format!(
                    "column \"{col}\" of \"{}\" is not a variable name (letters, digits and _)",
                    found.display()
                ),
            ));
        }
    }
    let slots = columns.iter().map(|c| b.slot(c)).collect();
    Ok(DataSet {
        file: found.display().to_string(),
        mode,
        columns,
        slots,
        rows,
    })
}
