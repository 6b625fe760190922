//! The text fields' rules every request shares: trimmed where required, bounded, no control
//! characters (a name ends up in logs, lists and terminals).

use airlift_core::error::ApiError;

/// A required, trimmed, bounded text field.
pub fn required_text(field: &str, value: &str, max: usize) -> Result<String, ApiError> {
    let v = value.trim();
    if v.is_empty() {
        return Err(ApiError::invalid_argument(format!(
            "{field} must not be empty"
        )));
    }
    bounded_text(field, v, max)
}

pub fn bounded_text(field: &str, value: &str, max: usize) -> Result<String, ApiError> {
    if value.chars().count() > max {
        return Err(ApiError::invalid_argument(format!(
            "{field} must be at most {max} characters"
        )));
    }
    if value
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\t')
    {
        return Err(ApiError::invalid_argument(format!(
            "{field} must not contain control characters"
        )));
    }
    Ok(value.to_owned())
}
