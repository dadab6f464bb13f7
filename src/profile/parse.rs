use std::path::Path;

use super::Profile;

/// A profile that could not be read (stub).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ProfileError(pub String);

pub fn parse_profile(
    _text: &str,
    path: &Path,
    _vars: &[(String, String)],
) -> Result<Profile, ProfileError> {
    Err(ProfileError(format!(
        "{}: profile parsing not implemented yet",
        path.display()
    )))
}

pub fn load_profile(path: &Path, vars: &[(String, String)]) -> Result<Profile, ProfileError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| ProfileError(format!("{}: {e}", path.display())))?;
    parse_profile(&text, path, vars)
}
