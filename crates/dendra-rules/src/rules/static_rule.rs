//! `static`: no plasticity; the weight never changes.

use crate::rate::RateForm;
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

impl RateForm for Static {
    fn has_rate_form(&self) -> bool {
        true
    }

    fn rate_apply(&self, w: f64, _aux: &mut f64, _dw: f64, _dt_ms: f64) -> f64 {
        w
    }
}
