//! Errors in input data, located by table, row and column.

/// A problem with input data.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{table}{}: column `{column}`: expected {message}", .row.map(|r| format!(", row {r}")).unwrap_or_default())]
pub struct DataError {
    /// Table (or file) name.
    pub table: String,
    /// Row (0-based, in data order), if one row is at fault.
    pub row: Option<usize>,
    /// Column.
    pub column: String,
    /// What was expected and what was found.
    pub message: String,
}

impl DataError {
    /// A new error.
    pub fn new(table: &str, row: Option<usize>, column: &str, message: impl Into<String>) -> Self {
        DataError {
            table: table.into(),
            row,
            column: column.into(),
            message: message.into(),
        }
    }
}
