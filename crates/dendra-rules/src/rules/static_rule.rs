//! `static`: no plasticity; the weight never changes.

use crate::rule::{Needs, Rule};
use crate::signals::LocalSignals;

/// No plasticity.
#[derive(Debug, Clone, Copy, PartialEq, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Static {}

impl Rule for Static {
    type State = ();

    fn name(&self) -> &'static str {
        "static"
    }

    fn needs(&self) -> Needs {
        Needs::default()
    }

    fn on_pre(&self, _w: &mut f64, _state: &mut (), _sig: &LocalSignals) {}
}
