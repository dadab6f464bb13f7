//! `loadpilot compare` (placeholder).
use crate::cli::CompareFormat;
use crate::snapshot::{Snapshot, SnapshotError};

pub struct FailRule;
impl FailRule {
    pub fn parse(_rule: &str) -> Result<FailRule, String> {
        Ok(FailRule)
    }
}
pub struct Comparison;
impl Comparison {
    pub fn new(_before: &Snapshot, _after: &Snapshot) -> Result<Comparison, SnapshotError> {
        Ok(Comparison)
    }
    pub fn failures(&self, _rules: &[FailRule]) -> Vec<String> {
        Vec::new()
    }
    pub fn render(&self, _format: CompareFormat, _failures: &[String]) -> String {
        String::new()
    }
}
