/// Substitutes `${VAR}` and `${VAR:-default}` in `text` (stub, replaced by the parser work).
pub fn substitute_vars(
    text: &str,
    _lookup: &dyn Fn(&str) -> Option<String>,
) -> Result<String, String> {
    Ok(text.to_string())
}
