use super::Threshold;

/// Parses `metric op value` (stub).
pub fn parse_threshold(expr: &str) -> Result<Threshold, String> {
    Err(format!("threshold \"{expr}\": parsing not implemented yet"))
}
