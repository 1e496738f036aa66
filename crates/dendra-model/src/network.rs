//! A whole network: populations, projections, stimuli and recordings.

use std::sync::Arc;

use dendra_core::error::{ParamResult, positive};
use dendra_core::{Clock, ParamError};

use crate::projection::{Connectivity, Placement, ProjectionDesc};
use crate::receptor::ReceptorKind;
use crate::recording::{ProbeSignal, RecordingDesc};
use crate::source::SourceParams;
use crate::stimulus::Stimulus;
use crate::template::NeuronTemplate;
use dendra_core::error::{finite, non_negative};
use dendra_rules::ModulatorParams;

/// Largest expected number of spikes of one source population in one step (their spikes of a
/// step are held in memory at once).
pub const MAX_SOURCE_SPIKES_PER_STEP: f64 = 1.0e7;

/// What a population is made of.
#[derive(Debug, Clone, PartialEq)]
pub enum PopulationKind {
    /// Neurons of one template (shared, hence the `Arc`).
    Neurons(Arc<NeuronTemplate>),
    /// Spike sources (they receive no synapses).
    Source(SourceParams),
}

/// A named group of identical neurons or sources.
#[derive(Debug, Clone, PartialEq)]
pub struct Population {
    /// Name (unique in the network).
    pub name: String,
    /// Number of members.
    pub size: u32,
    /// Neurons or sources.
    pub kind: PopulationKind,
}

impl Population {
    /// The template, if this is a neuron population.
    pub fn template(&self) -> Option<&NeuronTemplate> {
        match &self.kind {
            PopulationKind::Neurons(t) => Some(t),
            PopulationKind::Source(_) => None,
        }
    }
}

/// A broadcast neuromodulator (reward, RPE, dopamine) that rules can listen to.
#[derive(Debug, Clone, PartialEq)]
pub struct ModulatorDesc {
    /// Name (unique).
    pub name: String,
    /// Decay and baseline.
    pub params: ModulatorParams,
}

/// A scheduled release of a neuromodulator.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Release {
    /// Modulator index.
    pub modulator: usize,
    /// Time (ms).
    pub t_ms: f64,
    /// Amount added to the concentration.
    pub amount: f64,
}

/// A complete network description.
#[derive(Debug, Clone, PartialEq)]
pub struct NetworkDesc {
    /// Integration step (ms). Default 0.1.
    pub dt_ms: f64,
    /// Populations, in order; indices are used by projections, stimuli and recordings.
    pub populations: Vec<Population>,
    /// Projections.
    pub projections: Vec<ProjectionDesc>,
    /// Stimuli and manipulations.
    pub stimuli: Vec<Stimulus>,
    /// Recordings.
    pub recording: RecordingDesc,
    /// Neuromodulators.
    pub modulators: Vec<ModulatorDesc>,
    /// Scheduled releases of neuromodulators.
    pub releases: Vec<Release>,
}

impl Default for NetworkDesc {
    fn default() -> Self {
        NetworkDesc {
            dt_ms: 0.1,
            populations: Vec::new(),
            projections: Vec::new(),
            stimuli: Vec::new(),
            recording: RecordingDesc::default(),
            modulators: Vec::new(),
            releases: Vec::new(),
        }
    }
}

impl NetworkDesc {
    /// Expected number of synapses of projection `k` (exact except for Bernoulli
    /// connectivity, whose count is drawn).
    pub fn expected_synapses(&self, k: usize) -> f64 {
        let p = &self.projections[k];
        let ns = f64::from(self.populations[p.source].size);
        let nt = f64::from(self.populations[p.target].size);
        match &p.connectivity {
            Connectivity::AllToAll => ns * nt,
            Connectivity::OneToOne => ns.min(nt),
            Connectivity::Bernoulli { p } => p * ns * nt,
            Connectivity::FixedIndegree { k } => f64::from(*k) * nt,
            Connectivity::Explicit(pairs) => pairs.len() as f64,
        }
    }

    /// Index of a population by name.
    pub fn population_index(&self, name: &str) -> Option<usize> {
        self.populations.iter().position(|p| p.name == name)
    }

    /// The simulation clock.
    pub fn clock(&self) -> ParamResult<Clock> {
        Clock::new(self.dt_ms)
    }

    fn neuron_population(&self, index: usize, key: &str) -> ParamResult<(&Population, &NeuronTemplate)> {
        let pop = self.populations.get(index).ok_or_else(|| {
            ParamError::new(
                key,
                format!("a population index in 0..{}", self.populations.len()),
                index,
            )
        })?;
        let t = pop.template().ok_or_else(|| {
            ParamError::new(
                key,
                "a neuron population (sources receive no input)",
                format!("source population `{}`", pop.name),
            )
        })?;
        Ok((pop, t))
    }

    /// Check everything, including cross references.
    pub fn validate(&self) -> ParamResult<()> {
        positive("dt_ms", self.dt_ms)?;
        let clock = self.clock()?;
        for (k, pop) in self.populations.iter().enumerate() {
            let key = format!("populations[{k}]");
            if pop.name.is_empty() || self.populations[..k].iter().any(|o| o.name == pop.name) {
                return Err(ParamError::new(
                    format!("{key}.name"),
                    "a non-empty name not used by another population",
                    format!("{:?}", pop.name),
                ));
            }
            match &pop.kind {
                PopulationKind::Neurons(t) => t
                    .validate(self.dt_ms)
                    .map_err(|e| e.within(&format!("{key}.template")))?,
                PopulationKind::Source(s) => {
                    s.validate(pop.size).map_err(|e| e.within(&key))?;
                    // The spikes of one step are held at once: bound their expected number.
                    let per_step = s.peak_rate_hz() * f64::from(pop.size) * self.dt_ms / 1000.0;
                    if per_step > MAX_SOURCE_SPIKES_PER_STEP {
                        return Err(ParamError::new(
                            format!("{key}.rate_hz"),
                            format!(
                                "a peak rate with at most {MAX_SOURCE_SPIKES_PER_STEP:e} expected spikes per step in the population (size {}, dt {} ms)",
                                pop.size, self.dt_ms
                            ),
                            s.peak_rate_hz(),
                        ));
                    }
                }
            }
        }
        for (k, proj) in self.projections.iter().enumerate() {
            let key = format!("projections[{k}]");
            self.validate_projection(proj, &clock)
                .map_err(|e| e.within(&key))?;
        }
        for (k, stim) in self.stimuli.iter().enumerate() {
            let key = format!("stimuli[{k}]");
            let (pop, t) = self
                .neuron_population(stim.population, "population")
                .map_err(|e| e.within(&key))?;
            stim.validate(pop.size, t.n_compartments())
                .map_err(|e| e.within(&key))?;
        }
        for (k, m) in self.modulators.iter().enumerate() {
            m.params
                .validate()
                .map_err(|e| e.within(&format!("modulators[{k}].params")))?;
            if m.name.is_empty() || self.modulators[..k].iter().any(|o| o.name == m.name) {
                return Err(ParamError::new(
                    format!("modulators[{k}].name"),
                    "a non-empty name not used by another modulator",
                    format!("{:?}", m.name),
                ));
            }
        }
        for (k, r) in self.releases.iter().enumerate() {
            let key = format!("releases[{k}]");
            if r.modulator >= self.modulators.len() {
                return Err(ParamError::new(
                    format!("{key}.modulator"),
                    format!("a modulator index in 0..{}", self.modulators.len()),
                    r.modulator,
                ));
            }
            non_negative(&format!("{key}.t_ms"), r.t_ms)?;
            finite(&format!("{key}.amount"), r.amount)?;
        }
        for (k, pop) in self.populations.iter().enumerate() {
            if let Some(t) = pop.template() {
                for (j, cr) in t.rules.iter().enumerate() {
                    if let Some(m) = cr.modulator
                        && m >= self.modulators.len()
                    {
                        return Err(ParamError::new(
                            format!("populations[{k}].template.rules[{j}].modulator"),
                            format!("a modulator index in 0..{}", self.modulators.len()),
                            m,
                        ));
                    }
                }
            }
        }
        for (k, stim) in self.stimuli.iter().enumerate() {
            if let crate::stimulus::StimulusKind::DisableRule { rule } = stim.kind {
                let n = self.populations[stim.population]
                    .template()
                    .map_or(0, |t| t.rules.len());
                if rule >= n {
                    return Err(ParamError::new(
                        format!("stimuli[{k}].kind.rule"),
                        format!("a rule index in 0..{n} of the population's template"),
                        rule,
                    ));
                }
            }
        }
        for (k, wp) in self.recording.weights.iter().enumerate() {
            let key = format!("recording.weights[{k}]");
            if wp.projection >= self.projections.len() {
                return Err(ParamError::new(
                    format!("{key}.projection"),
                    format!("a projection index in 0..{}", self.projections.len()),
                    wp.projection,
                ));
            }
            let steps = wp.interval_ms / self.dt_ms;
            if !wp.interval_ms.is_finite() || steps.round() < 1.0 || (steps - steps.round()).abs() > 1e-6 {
                return Err(ParamError::new(
                    format!("{key}.interval_ms"),
                    format!("a positive whole number of steps of {} ms", self.dt_ms),
                    wp.interval_ms,
                ));
            }
            let proj = &self.projections[wp.projection];
            let sizes = (
                self.populations.get(proj.source).map_or(0, |p| p.size),
                self.populations.get(proj.target).map_or(0, |p| p.size),
            );
            for (j, &(s, t)) in wp.synapses.iter().enumerate() {
                if s >= sizes.0 || t >= sizes.1 {
                    return Err(ParamError::new(
                        format!("{key}.synapses[{j}]"),
                        format!(
                            "a (source, target) pair in 0..{} x 0..{} (the projection's populations)",
                            sizes.0, sizes.1
                        ),
                        format!("({s}, {t})"),
                    ));
                }
                if proj.certainly_lacks(s, t) {
                    return Err(ParamError::new(
                        format!("{key}.synapses[{j}]"),
                        format!("a pair that projection `{}` connects", proj.name),
                        format!("({s}, {t}), which its connectivity never connects"),
                    ));
                }
            }
        }
        for (k, &p) in self.recording.spikes.iter().enumerate() {
            if p >= self.populations.len() {
                return Err(ParamError::new(
                    format!("recording.spikes[{k}]"),
                    format!("a population index in 0..{}", self.populations.len()),
                    p,
                ));
            }
        }
        for (k, probe) in self.recording.probes.iter().enumerate() {
            let key = format!("recording.probes[{k}]");
            let (pop, t) = self
                .neuron_population(probe.population, "population")
                .map_err(|e| e.within(&key))?;
            probe
                .validate(pop.size, t.n_compartments(), t.receptors.len())
                .map_err(|e| e.within(&key))?;
            if let ProbeSignal::ReceptorConductance(r) = probe.signal
                && t.receptors[r].kind == ReceptorKind::Current
            {
                return Err(ParamError::new(
                    format!("{key}.signal"),
                    "a conductance-based receptor",
                    format!("current-based receptor `{}`", t.receptors[r].name),
                ));
            }
            if probe.signal == ProbeSignal::Adaptation
                && !matches!(
                    t.soma.spike,
                    crate::soma::SpikeMechanism::Exponential { .. }
                        | crate::soma::SpikeMechanism::Quadratic { .. }
                )
            {
                return Err(ParamError::new(
                    format!("{key}.signal"),
                    "an AdEx or quadratic population for the adaptation (recovery) current",
                    "a population without one",
                ));
            }
            let steps = probe.interval_ms / self.dt_ms;
            if steps.round() < 1.0 || (steps - steps.round()).abs() > 1e-6 {
                return Err(ParamError::new(
                    format!("{key}.interval_ms"),
                    format!("a positive whole number of steps of {} ms", self.dt_ms),
                    probe.interval_ms,
                ));
            }
        }
        Ok(())
    }

    fn validate_projection(&self, proj: &ProjectionDesc, clock: &Clock) -> ParamResult<()> {
        proj.validate_own()?;
        let src = self.populations.get(proj.source).ok_or_else(|| {
            ParamError::new(
                "source",
                format!("a population index in 0..{}", self.populations.len()),
                proj.source,
            )
        })?;
        let (dst, t) = self.neuron_population(proj.target, "target")?;
        if proj.receptor >= t.receptors.len() {
            return Err(ParamError::new(
                "receptor",
                format!(
                    "a receptor index in 0..{} of template `{}`",
                    t.receptors.len(),
                    t.name
                ),
                proj.receptor,
            ));
        }
        let d_min = clock.steps_at_least_one("delay_ms", proj.delay_ms)?;
        let comp = t.receptors[proj.receptor].compartment;
        // Positions beyond the compartment would all be clipped to its end, silently.
        let length = t.length_um(comp);
        let beyond = match proj.placement {
            Placement::Between { to_um, .. } => Some(("placement.to_um", to_um)),
            Placement::At(x) => Some(("placement", x)),
            _ => None,
        };
        if let Some((key, x)) = beyond
            && x > length * (1.0 + 1e-12)
        {
            return Err(ParamError::new(
                key,
                format!(
                    "a position within compartment `{}` (0 to {length} µm)",
                    t.compartment_name(comp)
                ),
                format!("{x} µm"),
            ));
        }
        if proj.delay_max_ms.is_some() && t.rules.iter().any(|r| r.compartment == comp) {
            return Err(ParamError::new(
                "delay_max_ms",
                format!(
                    "no delay range: the synapses are plastic (template `{}` has rules on their \
                     compartment), and plastic synapses have one delay per projection",
                    t.name
                ),
                proj.delay_max_ms.unwrap_or_default(),
            ));
        }
        if let Some(hi) = proj.delay_max_ms {
            let d_max = clock.steps("delay_max_ms", hi)?;
            if d_max > d_min + 255 {
                return Err(ParamError::new(
                    "delay_max_ms",
                    format!(
                        "at most 255 steps above delay_ms ({} ms)",
                        proj.delay_ms + 255.0 * clock.dt_ms()
                    ),
                    hi,
                ));
            }
        }
        match &proj.connectivity {
            Connectivity::OneToOne if src.size != dst.size => {
                return Err(ParamError::new(
                    "connectivity",
                    format!("equal sizes for one-to-one (source {})", src.size),
                    format!("target size {}", dst.size),
                ));
            }
            Connectivity::FixedIndegree { k } => {
                let available = if proj.source == proj.target && !proj.allow_autapses {
                    src.size.saturating_sub(1)
                } else {
                    src.size
                };
                if *k > available {
                    return Err(ParamError::new(
                        "connectivity.k",
                        format!("an in-degree of at most {available} distinct sources"),
                        k,
                    ));
                }
            }
            Connectivity::Explicit(pairs) => {
                for (n, &(s, d)) in pairs.iter().enumerate() {
                    if s >= src.size || d >= dst.size {
                        return Err(ParamError::new(
                            format!("connectivity[{n}]"),
                            format!("a pair inside sizes ({}, {})", src.size, dst.size),
                            format!("({s}, {d})"),
                        ));
                    }
                }
            }
            _ => {}
        }
        if self.projections.iter().filter(|p| p.name == proj.name).count() > 1 || proj.name.is_empty() {
            return Err(ParamError::new(
                "name",
                "a non-empty name not used by another projection",
                format!("{:?}", proj.name),
            ));
        }
        Ok(())
    }
}
