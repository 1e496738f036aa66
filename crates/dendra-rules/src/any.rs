//! A rule chosen at run time: one variant per rule type, holding its parameters.

use dendra_core::error::{ParamResult, non_negative, positive};

use crate::rate::{RateCompartment, RateForm, RateTerms, TermsOut};
use crate::rule::{Needs, Rule};
use crate::rules::{
    BapHebbian, Bcm, BranchSpecific, Clopath, DendriticPrediction, LocalCoactivity, Oja, PairStdp,
    RewardModulated, Static, TripletStdp, VogelsSprekeler,
};

/// Any of dendra's rules, with its parameters.
#[derive(Debug, Clone, Copy, PartialEq, serde::Deserialize)]
#[serde(tag = "name", rename_all = "snake_case")]
pub enum AnyRule {
    /// No plasticity.
    Static(Static),
    /// Pair STDP.
    PairStdp(PairStdp),
    /// Triplet STDP.
    TripletStdp(TripletStdp),
    /// bAP-gated Hebbian (basal, Wright et al. 2025).
    BapHebbian(BapHebbian),
    /// Local co-activity (apical, Wright et al. 2025).
    LocalCoactivity(LocalCoactivity),
    /// Three-factor reward-modulated with consolidation.
    RewardModulated(RewardModulated),
    /// Inhibitory STDP (Vogels et al. 2011).
    VogelsSprekeler(VogelsSprekeler),
    /// Oja's rule (rate engine).
    Oja(Oja),
    /// BCM with sliding threshold (rate engine).
    Bcm(Bcm),
    /// Dendritic prediction learning (Urbanczik & Senn 2014).
    DendriticPrediction(DendriticPrediction),
    /// Voltage-based STDP (Clopath et al. 2010).
    Clopath(Clopath),
    /// Branch-specific heterosynaptic plasticity (Legenstein & Maass 2011).
    BranchSpecific(BranchSpecific),
}

/// Call `$body` with `$r` bound to the concrete rule inside `$any`.
macro_rules! with_rule {
    ($any:expr, $r:ident => $body:expr) => {
        match $any {
            AnyRule::Static($r) => $body,
            AnyRule::PairStdp($r) => $body,
            AnyRule::TripletStdp($r) => $body,
            AnyRule::BapHebbian($r) => $body,
            AnyRule::LocalCoactivity($r) => $body,
            AnyRule::RewardModulated($r) => $body,
            AnyRule::VogelsSprekeler($r) => $body,
            AnyRule::Oja($r) => $body,
            AnyRule::Bcm($r) => $body,
            AnyRule::DendriticPrediction($r) => $body,
            AnyRule::Clopath($r) => $body,
            AnyRule::BranchSpecific($r) => $body,
        }
    };
}

impl AnyRule {
    /// The names accepted in specs, in the order of the variants.
    pub const NAMES: &'static [&'static str] = &[
        "static",
        "pair_stdp",
        "triplet_stdp",
        "bap_hebbian",
        "local_coactivity",
        "reward_modulated",
        "vogels_sprekeler",
        "oja",
        "bcm",
        "dendritic_prediction",
        "clopath",
        "branch_specific",
    ];

    /// The rule with its documented defaults, by name.
    pub fn default_named(name: &str) -> Option<AnyRule> {
        Some(match name {
            "static" => AnyRule::Static(Static {}),
            "pair_stdp" => AnyRule::PairStdp(PairStdp::default()),
            "triplet_stdp" => AnyRule::TripletStdp(TripletStdp::default()),
            "bap_hebbian" => AnyRule::BapHebbian(BapHebbian::default()),
            "local_coactivity" => AnyRule::LocalCoactivity(LocalCoactivity::default()),
            "reward_modulated" => AnyRule::RewardModulated(RewardModulated::default()),
            "vogels_sprekeler" => AnyRule::VogelsSprekeler(VogelsSprekeler::default()),
            "oja" => AnyRule::Oja(Oja::default()),
            "bcm" => AnyRule::Bcm(Bcm::default()),
            "dendritic_prediction" => AnyRule::DendriticPrediction(DendriticPrediction::default()),
            "clopath" => AnyRule::Clopath(Clopath::default()),
            "branch_specific" => AnyRule::BranchSpecific(BranchSpecific::default()),
            _ => return None,
        })
    }

    /// The rule's name.
    pub fn name(&self) -> &'static str {
        with_rule!(self, r => r.name())
    }

    /// The signals it reads.
    pub fn needs(&self) -> Needs {
        with_rule!(self, r => r.needs())
    }

    /// Whether the rule acts only in the rate engine (it has no spike-event updates).
    pub fn is_rate_only(&self) -> bool {
        with_rule!(self, r => r.is_rate_only())
    }

    /// Whether the rule has a rate form, so the rate engine can use it.
    pub fn has_rate_form(&self) -> bool {
        with_rule!(self, r => r.has_rate_form())
    }

    /// The names of the rules with a rate form.
    pub fn rate_names() -> Vec<&'static str> {
        Self::NAMES
            .iter()
            .copied()
            .filter(|n| Self::default_named(n).is_some_and(|r| r.has_rate_form()))
            .collect()
    }

    /// The time constant of the running average of `post²` the rate engine keeps per
    /// compartment for this rule ([`RateForm::post_sq_avg_ms`]), if it reads one.
    pub fn post_sq_avg_ms(&self) -> Option<f64> {
        with_rule!(self, r => r.post_sq_avg_ms())
    }

    /// The compartment-side factors of the rate form ([`RateForm::rate_terms`]).
    pub fn rate_terms(&self, c: &RateCompartment) -> RateTerms {
        with_rule!(self, r => r.rate_terms(c))
    }

    /// The terms of one sample's compartments: `post[j]`, `prediction[j]`, the running average
    /// `post_sq_avg[j]` (empty: 0 for all) and the sample's `modulator` give `out.hebb[j]`, and
    /// are added to `out.decay[j]` and `out.offset[j]` (the rule is chosen once for the row).
    pub fn rate_terms_row(
        &self,
        (post, prediction, post_sq_avg): (&[f32], &[f32], &[f32]),
        modulator: f32,
        out: TermsOut<'_>,
    ) {
        debug_assert!(post.len() == prediction.len() && post.len() == out.hebb.len());
        debug_assert!(post_sq_avg.is_empty() || post_sq_avg.len() == post.len());
        with_rule!(self, r => {
            let rows = post.iter().zip(prediction).zip(out.hebb.iter_mut());
            for (j, (((&p, &q), h), (d, o))) in
                rows.zip(out.decay.iter_mut().zip(out.offset.iter_mut())).enumerate()
            {
                let t = r.rate_terms(&RateCompartment {
                    post: f64::from(p),
                    prediction: f64::from(q),
                    post_sq_avg: post_sq_avg.get(j).map_or(0.0, |&x| f64::from(x)),
                    modulator: f64::from(modulator),
                });
                *h = t.hebb as f32;
                *d += t.decay as f32;
                *o += t.offset as f32;
            }
        })
    }

    /// The presynaptic factor of the rate form ([`RateForm::rate_pre`]).
    pub fn rate_pre(&self, pre: f64) -> f64 {
        with_rule!(self, r => r.rate_pre(pre))
    }

    /// Apply summed changes `dw` of one update of `dt_ms` to the synapses `w` with rate states
    /// `aux` (all of equal length), as [`RateForm::rate_apply`] does for each. The rule is chosen
    /// once for the whole slice. Values too small for a normal `f32` are stored as 0 (flush to
    /// zero): weights that decay geometrically, as under soft bounds, would otherwise become
    /// subnormal and slow every later matrix product by orders of magnitude.
    pub fn rate_apply_all(&self, w: &mut [f32], aux: &mut [f32], dw: &[f32], dt_ms: f64) {
        debug_assert!(w.len() == aux.len() && w.len() == dw.len());
        let flush = |x: f64| {
            let x = x as f32;
            if x.is_subnormal() { 0.0 } else { x }
        };
        if let AnyRule::DendriticPrediction(r) = self {
            // The common case, in f32 so that it vectorises: the sum of two f32 values rounded
            // once is what the f64 path stores, and the bounds clip the same way.
            let (lo, hi) = (r.w_min as f32, r.w_max as f32);
            for (w, &d) in w.iter_mut().zip(dw) {
                let x = (*w + d).clamp(lo, hi);
                *w = if x.abs() < f32::MIN_POSITIVE { 0.0 } else { x };
            }
            return;
        }
        with_rule!(self, r => {
            for ((w, a), &d) in w.iter_mut().zip(aux.iter_mut()).zip(dw) {
                let mut a64 = f64::from(*a);
                *w = flush(r.rate_apply(f64::from(*w), &mut a64, f64::from(d), dt_ms));
                *a = flush(a64);
            }
        })
    }

    /// Whether the rule ever changes a weight.
    pub fn is_plastic(&self) -> bool {
        !matches!(self, AnyRule::Static(_))
    }

    /// Check the parameters: what every rule shares (its declared traces' time constants,
    /// co-activity reach and window, tick), then the rule's own [`Rule::validate`].
    pub fn validate(&self) -> ParamResult<()> {
        let needs = self.needs();
        for t in needs.pre.iter().chain(&needs.post).flatten() {
            positive("tau_ms", t.tau_ms)?;
        }
        if let Some(c) = needs.coactivity {
            non_negative("radius_um", c.radius_um)?;
            positive("window_ms", c.window_ms)?;
        }
        if let Some(t) = needs.tick_ms {
            positive("tick_ms", t)?;
        }
        with_rule!(self, r => r.validate())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_name_has_a_default_that_validates() {
        for &name in AnyRule::NAMES {
            let r = AnyRule::default_named(name).unwrap();
            assert_eq!(r.name(), name);
            r.validate().unwrap();
        }
        assert!(AnyRule::default_named("backprop").is_none());
    }
}

#[cfg(test)]
mod serde_tests {
    use super::*;

    fn parse(src: &str) -> Result<AnyRule, toml::de::Error> {
        toml::from_str(src)
    }

    #[test]
    fn every_rule_reads_from_its_name_alone_with_documented_defaults() {
        for name in AnyRule::NAMES {
            let r = parse(&format!("name = \"{name}\"")).unwrap();
            assert_eq!(Some(r), AnyRule::default_named(name), "{name}");
        }
    }

    #[test]
    fn parameters_override_defaults_and_nest() {
        let r = parse("name = \"pair_stdp\"\na_plus = 0.5\nupdate = \"multiplicative\"").unwrap();
        let AnyRule::PairStdp(p) = r else { panic!("{r:?}") };
        assert_eq!(p.a_plus, 0.5);
        assert_eq!(p.update, crate::rules::StdpUpdate::Multiplicative);
        assert_eq!(p.a_minus, crate::rules::PairStdp::default().a_minus);
        let r = parse("name = \"bap_hebbian\"\nbounds = { w_min = 0.5, w_max = 3.0, soft = true }").unwrap();
        let AnyRule::BapHebbian(b) = r else {
            panic!("{r:?}")
        };
        assert_eq!(b.bounds, crate::bounds::WeightBounds::soft(0.5, 3.0));
        let e = parse("name = \"bap_hebbian\"\nbounds = { w_max = 3.0 }").unwrap_err();
        assert!(e.to_string().contains("w_min"), "{e}");
    }

    #[test]
    fn unknown_parameters_and_rules_are_errors() {
        let e = parse("name = \"pair_stdp\"\na_plu = 0.5")
            .unwrap_err()
            .to_string();
        assert!(e.contains("a_plu") && e.contains("a_plus"), "{e}");
        let e = parse("name = \"stdp\"").unwrap_err().to_string();
        assert!(e.contains("pair_stdp"), "{e}");
        assert!(parse("name = \"static\"\nx = 1").is_err());
    }
}
