//! The summary of a run: named results under stable keys, in insertion order.

use serde_json::{Map, Value};

/// Key results of a run.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Summary {
    entries: Map<String, Value>,
}

impl Summary {
    /// An empty summary.
    pub fn new() -> Self {
        Summary::default()
    }

    /// Set `key` to `value`.
    pub fn set(&mut self, key: &str, value: impl Into<Value>) -> &mut Self {
        self.entries.insert(key.to_string(), value.into());
        self
    }

    /// The value under `key`.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.entries.get(key)
    }

    /// The number under `key`, if it is one.
    pub fn number(&self, key: &str) -> Option<f64> {
        self.entries.get(key).and_then(Value::as_f64)
    }

    /// All entries.
    pub fn entries(&self) -> &Map<String, Value> {
        &self.entries
    }

    /// As a JSON object.
    pub fn to_json(&self) -> Value {
        Value::Object(self.entries.clone())
    }

    /// The entries as a JSON map.
    pub fn to_json_map(&self) -> Map<String, Value> {
        self.entries.clone()
    }
}
