//! Resolve names and build the model: `SpecFile` -> [`NetworkDesc`], every problem located.

use std::collections::BTreeMap;
use std::sync::Arc;

use dendra_core::ParamError;
use dendra_model::NeuronTemplate;
use dendra_model::{
    CompartmentParams, CompartmentRule, Connectivity, DelaySite, InitialPotential, ModulatorDesc,
    NetworkDesc, Placement, Population, PopulationKind, ProbeDesc, ProbeSignal, ProjectionDesc, RateProfile,
    ReceptorKind, ReceptorParams, RecordingDesc, Release, Role, Selection, SourceParams, Stimulus,
    StimulusKind, Waveform, WeightDist, WeightProbeDesc, Window,
};

use crate::error::{Source, SpecError};
use crate::schema::*;

/// Largest number of neurons and sources a spec may ask for.
pub const MAX_NEURONS: u64 = 50_000_000;
/// Largest expected number of synapses a spec may ask for.
pub const MAX_SYNAPSES: f64 = 4.0e9;
/// Largest number of time steps in one run.
pub const MAX_STEPS: f64 = 1.0e11;

type Result<T> = std::result::Result<T, SpecError>;

/// Check the spec's time step, `experiment.dt_ms` (in (0, 10] ms), before anything is computed
/// from it.
pub(crate) fn check_dt(src: &Source, dt_ms: f64) -> Result<()> {
    if dt_ms.is_finite() && dt_ms > 0.0 && dt_ms <= 10.0 {
        Ok(())
    } else {
        Err(src.error("experiment.dt_ms", "a time step in (0, 10] ms", dt_ms))
    }
}

/// A template with the ids of its rules.
struct Built {
    template: Arc<NeuronTemplate>,
    rule_ids: Vec<String>,
}

/// Builds a network from a parsed spec.
pub struct Builder<'s> {
    src: &'s Source<'s>,
    spec: &'s SpecFile,
    templates: BTreeMap<String, Built>,
    modulators: Vec<String>,
}

impl<'s> Builder<'s> {
    /// A builder over `spec`, whose text `src` locates errors.
    pub fn new(src: &'s Source<'s>, spec: &'s SpecFile) -> Self {
        Builder {
            src,
            spec,
            templates: BTreeMap::new(),
            modulators: spec.modulators.iter().map(|m| m.name.clone()).collect(),
        }
    }

    fn param(&self, prefix: &str, e: ParamError) -> SpecError {
        let key = if prefix.is_empty() {
            e.key.clone()
        } else {
            format!("{prefix}.{}", e.key)
        };
        self.src.error(&key, &e.expected, &e.found)
    }

    /// Build the network.
    pub fn network(mut self) -> Result<NetworkDesc> {
        let e = &self.spec.experiment;
        check_dt(self.src, e.dt_ms)?;
        let mut net = NetworkDesc {
            dt_ms: e.dt_ms,
            ..NetworkDesc::default()
        };
        self.modulators(&mut net)?;
        for name in self.spec.neurons.keys() {
            let built = self.template(name)?;
            self.templates.insert(name.clone(), built);
        }
        self.populations(&mut net)?;
        for (k, p) in self.spec.projections.iter().enumerate() {
            let proj = self.projection(k, p, &net)?;
            if net.projections.iter().any(|o| o.name == proj.name) {
                return Err(self.src.error(
                    &format!("projections[{k}].name"),
                    "a projection name not used before",
                    format!("`{}`", proj.name),
                ));
            }
            net.projections.push(proj);
        }
        self.check_size(&net)?;
        // Stimuli given per session expand into one window per session; `origin[j]` is the spec
        // index of the network's stimulus `j`, so that errors point at the spec.
        let mut origin = Vec::new();
        for (k, s) in self.spec.stimuli.iter().enumerate() {
            let stim = self.stimulus(k, s, &net)?;
            for window in self.session_windows(k, s)? {
                origin.push(k);
                net.stimuli.push(Stimulus {
                    window,
                    ..stim.clone()
                });
            }
        }
        self.releases(&mut net)?;
        net.recording = self.recording(&net)?;
        net.validate().map_err(|e| {
            let key = model_key_to_spec(&renumber_stimulus(&e.key, &origin));
            self.src.error(&key, &e.expected, &e.found)
        })?;
        Ok(net)
    }

    fn modulators(&self, net: &mut NetworkDesc) -> Result<()> {
        for (k, m) in self.spec.modulators.iter().enumerate() {
            if m.name.is_empty() || self.spec.modulators[..k].iter().any(|o| o.name == m.name) {
                return Err(self.src.error(
                    &format!("modulators[{k}].name"),
                    "a non-empty name not used by another modulator",
                    format!("{:?}", m.name),
                ));
            }
            let params = m.params();
            params
                .validate()
                .map_err(|e| self.param(&format!("modulators[{k}]"), e))?;
            net.modulators.push(ModulatorDesc {
                name: m.name.clone(),
                params,
            });
        }
        Ok(())
    }

    fn modulator_index(&self, path: &str, name: &str) -> Result<usize> {
        self.modulators.iter().position(|m| m == name).ok_or_else(|| {
            let known: Vec<&str> = self.modulators.iter().map(String::as_str).collect();
            self.src.unknown_name(path, "a modulator", name, &known)
        })
    }

    fn template(&self, name: &str) -> Result<Built> {
        let spec = &self.spec.neurons[name];
        let base = format!("neurons.{name}");
        let mut names: Vec<&str> = vec!["soma"];
        let mut compartments = Vec::new();
        for (k, c) in spec.compartments.iter().enumerate() {
            let path = format!("{base}.compartments[{k}]");
            if names.contains(&c.name.as_str()) {
                return Err(self.src.error(
                    &format!("{path}.name"),
                    "a name not used by another compartment (nor `soma`)",
                    format!("{:?}", c.name),
                ));
            }
            let role = Role::parse(&c.role).ok_or_else(|| {
                self.src
                    .unknown_name(&format!("{path}.role"), "a compartment role", &c.role, &ROLES)
            })?;
            let parent = names.iter().position(|n| *n == c.parent).ok_or_else(|| {
                let mut e = self.src.unknown_name(
                    &format!("{path}.parent"),
                    "an earlier compartment",
                    &c.parent,
                    &names,
                );
                if spec.compartments.iter().any(|o| o.name == c.parent) {
                    e.help = Some("list a parent before its children".into());
                }
                e
            })?;
            compartments.push(CompartmentParams {
                name: c.name.clone(),
                role,
                parent,
                length_um: c.length_um,
                c_m_pf: c.c_m_pf,
                g_leak_ns: c.g_leak_ns,
                e_leak_mv: c.e_leak_mv,
                g_couple_ns: c.g_couple_ns,
                bap: c.bap.params(),
                plateau: c.plateau,
            });
            names.push(&c.name);
        }
        let compartment = |path: &str, n: &str| -> Result<usize> {
            names
                .iter()
                .position(|x| *x == n)
                .ok_or_else(|| self.src.unknown_name(path, "a compartment", n, &names))
        };
        let mut receptors = Vec::new();
        for (k, r) in spec.receptors.iter().enumerate() {
            let path = format!("{base}.receptors[{k}]");
            let comp = compartment(&format!("{path}.compartment"), &r.compartment)?;
            let kind = match (r.kind, r.e_rev_mv) {
                (ReceptorKindSpec::Current, None) => ReceptorKind::Current,
                (ReceptorKindSpec::Conductance, Some(e_rev_mv)) => ReceptorKind::Conductance { e_rev_mv },
                (ReceptorKindSpec::Current, Some(_)) => {
                    return Err(self.src.error(
                        &format!("{path}.e_rev_mv"),
                        "no reversal potential on a current-based receptor",
                        "e_rev_mv",
                    ));
                }
                (ReceptorKindSpec::Conductance, None) => {
                    return Err(self
                        .src
                        .error(&path, "`e_rev_mv` on a conductance-based receptor", "none"));
                }
            };
            receptors.push(ReceptorParams {
                name: r.name.clone(),
                compartment: comp,
                kind,
                tau_ms: r.tau_ms,
            });
        }
        let mut rules = Vec::new();
        let mut rule_ids: Vec<String> = Vec::new();
        for (k, r) in spec.rules.iter().enumerate() {
            let path = format!("{base}.rules[{k}]");
            let comp = compartment(&format!("{path}.compartment"), &r.compartment)?;
            let mut ix = Vec::new();
            for (j, rn) in r.receptors.iter().enumerate() {
                let on_comp: Vec<&str> = receptors
                    .iter()
                    .filter(|x| x.compartment == comp)
                    .map(|x| x.name.as_str())
                    .collect();
                let i = receptors
                    .iter()
                    .position(|x| x.compartment == comp && &x.name == rn)
                    .ok_or_else(|| {
                        self.src.unknown_name(
                            &format!("{path}.receptors[{j}]"),
                            &format!("a receptor on `{}`", r.compartment),
                            rn,
                            &on_comp,
                        )
                    })?;
                ix.push(i);
            }
            let modulator = match &r.modulator {
                Some(m) => Some(self.modulator_index(&format!("{path}.modulator"), m)?),
                None => None,
            };
            let id =
                r.id.clone()
                    .unwrap_or_else(|| format!("{}.{}", r.compartment, r.rule.name()));
            if rule_ids.contains(&id) {
                return Err(self.src.error(
                    &format!("{path}.id"),
                    "a rule id not used by another rule of this template (set `id`)",
                    format!("`{id}`"),
                ));
            }
            rule_ids.push(id);
            rules.push(CompartmentRule {
                compartment: comp,
                receptors: ix,
                rule: r.rule,
                modulator,
                structural: r.structural,
            });
        }
        let initial = match spec.initial {
            InitialSpec::Rest => InitialPotential::Rest,
            InitialSpec::Fixed { v_mv } => InitialPotential::Fixed(v_mv),
            InitialSpec::Uniform { lo_mv, hi_mv } => InitialPotential::Uniform { lo_mv, hi_mv },
        };
        let template = NeuronTemplate {
            name: name.to_string(),
            soma: spec.soma.clone(),
            compartments,
            receptors,
            initial,
            rules,
        };
        template
            .validate(self.spec.experiment.dt_ms)
            .map_err(|e| self.param(&base, e))?;
        Ok(Built {
            template: Arc::new(template),
            rule_ids,
        })
    }

    fn populations(&self, net: &mut NetworkDesc) -> Result<()> {
        let templates: Vec<&str> = self.templates.keys().map(String::as_str).collect();
        for (k, p) in self.spec.populations.iter().enumerate() {
            let path = format!("populations[{k}]");
            if p.name.is_empty() || self.spec.populations[..k].iter().any(|o| o.name == p.name) {
                return Err(self.src.error(
                    &format!("{path}.name"),
                    "a non-empty name not used by another population",
                    format!("{:?}", p.name),
                ));
            }
            let kind = match (&p.neuron, &p.source) {
                (Some(t), None) => {
                    let built = self.templates.get(t).ok_or_else(|| {
                        self.src
                            .unknown_name(&format!("{path}.neuron"), "a neuron template", t, &templates)
                    })?;
                    PopulationKind::Neurons(built.template.clone())
                }
                (None, Some(s)) => {
                    let params = source_params(s);
                    params
                        .validate(p.size)
                        .map_err(|e| self.param(&format!("{path}.source"), e))?;
                    PopulationKind::Source(params)
                }
                _ => {
                    return Err(self.src.error(
                        &path,
                        "exactly one of `neuron` (a template) and `source`",
                        if p.neuron.is_some() { "both" } else { "neither" },
                    ));
                }
            };
            net.populations.push(Population {
                name: p.name.clone(),
                size: p.size,
                kind,
            });
        }
        let total: u64 = net.populations.iter().map(|p| u64::from(p.size)).sum();
        if total > MAX_NEURONS {
            return Err(self.src.error(
                "populations",
                format!("at most {MAX_NEURONS} neurons and sources in all"),
                total,
            ));
        }
        Ok(())
    }

    fn population(&self, path: &str, name: &str, net: &NetworkDesc) -> Result<usize> {
        net.population_index(name).ok_or_else(|| {
            let known: Vec<&str> = net.populations.iter().map(|p| p.name.as_str()).collect();
            self.src.unknown_name(path, "a population", name, &known)
        })
    }

    fn neuron_population(&self, path: &str, name: &str, net: &NetworkDesc) -> Result<(usize, &Built)> {
        let i = self.population(path, name, net)?;
        match &self.spec.populations[i].neuron {
            Some(t) => Ok((i, &self.templates[t])),
            None => Err(self
                .src
                .error(path, "a neuron population", format!("source population `{name}`"))),
        }
    }

    fn compartment_of(&self, path: &str, b: &Built, name: &str) -> Result<usize> {
        let t = &b.template;
        t.compartment_index(name).ok_or_else(|| {
            let known: Vec<&str> = (0..t.n_compartments()).map(|c| t.compartment_name(c)).collect();
            self.src.unknown_name(path, "a compartment", name, &known)
        })
    }

    fn projection(&self, k: usize, p: &ProjectionSpec, net: &NetworkDesc) -> Result<ProjectionDesc> {
        let path = format!("projections[{k}]");
        let source = self.population(&format!("{path}.source"), &p.source, net)?;
        let (target, built) = self.neuron_population(&format!("{path}.target"), &p.target, net)?;
        let t = &built.template;
        let comp = match &p.compartment {
            Some(c) => Some(self.compartment_of(&format!("{path}.compartment"), built, c)?),
            None => None,
        };
        let matches: Vec<usize> = (0..t.receptors.len())
            .filter(|&r| {
                t.receptors[r].name == p.receptor && comp.is_none_or(|c| t.receptors[r].compartment == c)
            })
            .collect();
        let receptor = match matches.as_slice() {
            [r] => *r,
            [] => {
                let known: Vec<&str> = t
                    .receptors
                    .iter()
                    .filter(|r| comp.is_none_or(|c| r.compartment == c))
                    .map(|r| r.name.as_str())
                    .collect();
                return Err(self.src.unknown_name(
                    &format!("{path}.receptor"),
                    &format!("a receptor of template `{}`", t.name),
                    &p.receptor,
                    &known,
                ));
            }
            _ => {
                return Err(self.src.error(
                    &format!("{path}.compartment"),
                    format!(
                        "a `compartment` (receptor `{}` sits on several compartments)",
                        p.receptor
                    ),
                    "none",
                ));
            }
        };
        let connectivity = match &p.connectivity {
            ConnectivitySpec::AllToAll => Connectivity::AllToAll,
            ConnectivitySpec::OneToOne => Connectivity::OneToOne,
            ConnectivitySpec::Bernoulli { p } => Connectivity::Bernoulli { p: *p },
            ConnectivitySpec::FixedIndegree { k } => Connectivity::FixedIndegree { k: *k },
            ConnectivitySpec::Explicit { pairs } => {
                Connectivity::Explicit(pairs.iter().map(|&[s, t]| (s, t)).collect())
            }
        };
        let weight = match p.weight {
            WeightSpec::Constant(w) => WeightDist::Constant(w),
            WeightSpec::Dist(WeightDistSpec::Uniform { lo, hi }) => WeightDist::Uniform { lo, hi },
            WeightSpec::Dist(WeightDistSpec::Normal { mean, sd, lo, hi }) => {
                WeightDist::Normal { mean, sd, lo, hi }
            }
        };
        let placement = match p.placement {
            PlacementSpec::FromSoma { from_um, to_um } => {
                let c = t.receptors[receptor].compartment;
                let (start, length) = (distance_from_soma_um(t, c), t.length_um(c));
                if !(from_um.is_finite() && to_um.is_finite() && from_um <= to_um)
                    || to_um < start
                    || from_um > start + length
                {
                    return Err(self.src.error(
                        &format!("{path}.placement"),
                        format!(
                            "a range of distances from the soma that overlaps `{}` ({start} to {} µm)",
                            t.compartment_name(c),
                            start + length
                        ),
                        format!("{from_um} to {to_um} µm"),
                    ));
                }
                Placement::Between {
                    from_um: (from_um - start).max(0.0),
                    to_um: (to_um - start).min(length),
                }
            }
            PlacementSpec::Uniform => Placement::Uniform,
            PlacementSpec::Between { from_um, to_um } => Placement::Between { from_um, to_um },
            PlacementSpec::At { position_um } => Placement::At(position_um),
            PlacementSpec::Clustered { clusters, spread_um } => Placement::Clustered { clusters, spread_um },
        };
        let mut d = ProjectionDesc::new(
            p.name
                .clone()
                .unwrap_or_else(|| format!("{}->{}", p.source, p.target)),
            source,
            target,
            receptor,
            connectivity,
            weight,
            p.delay_ms,
        );
        d.delay_max_ms = p.delay_max_ms;
        d.placement = placement;
        d.allow_autapses = p.allow_autapses;
        d.delay_site = match p.delay_site {
            DelaySiteSpec::Axonal => DelaySite::Axonal,
            DelaySiteSpec::Dendritic => DelaySite::Dendritic,
        };
        d.validate_own().map_err(|e| self.param(&path, e))?;
        Ok(d)
    }

    fn check_size(&self, net: &NetworkDesc) -> Result<()> {
        let total: f64 = (0..net.projections.len()).map(|k| net.expected_synapses(k)).sum();
        if total > MAX_SYNAPSES {
            return Err(self.src.error(
                "projections",
                format!("at most {MAX_SYNAPSES:e} synapses in all"),
                format!("about {total:.3e}"),
            ));
        }
        Ok(())
    }

    /// The windows of stimulus `k`: its own, or one per listed session (times from the session's
    /// start, ending at the session's end at the latest).
    fn session_windows(&self, k: usize, s: &StimulusSpec) -> Result<Vec<Window>> {
        let Some(list) = &s.sessions else {
            return Ok(vec![Window::new(s.start_ms, s.stop_ms.unwrap_or(f64::INFINITY))]);
        };
        let path = format!("stimuli[{k}]");
        let e = &self.spec.experiment;
        let (Some(n), Some(session_ms)) = (e.sessions, e.session_ms) else {
            return Err(self.src.error(
                &format!("{path}.sessions"),
                "`experiment.sessions` and `experiment.session_ms` to be set",
                "a run not given in sessions",
            ));
        };
        if list.is_empty() {
            return Err(self
                .src
                .error(&format!("{path}.sessions"), "at least one session", "none"));
        }
        if !(s.start_ms.is_finite() && s.start_ms >= 0.0 && s.start_ms < session_ms) {
            return Err(self.src.error(
                &format!("{path}.start_ms"),
                format!("a time within the session, in [0, {session_ms}) ms"),
                s.start_ms,
            ));
        }
        let stop = s.stop_ms.unwrap_or(session_ms).min(session_ms);
        if stop.is_nan() || stop <= s.start_ms {
            return Err(self.src.error(
                &format!("{path}.stop_ms"),
                format!("a time after start_ms ({} ms)", s.start_ms),
                stop,
            ));
        }
        let mut out = Vec::with_capacity(list.len());
        for (i, &session) in list.iter().enumerate() {
            if session == 0 || session > n {
                return Err(self.src.error(
                    &format!("{path}.sessions[{i}]"),
                    format!("a session number in 1..={n}"),
                    session,
                ));
            }
            let t0 = f64::from(session - 1) * session_ms;
            out.push(Window::new(t0 + s.start_ms, t0 + stop));
        }
        Ok(out)
    }

    fn stimulus(&self, k: usize, s: &StimulusSpec, net: &NetworkDesc) -> Result<Stimulus> {
        let path = format!("stimuli[{k}]");
        let (population, built) =
            self.neuron_population(&format!("{path}.population"), &s.population, net)?;
        let neurons = self.selection(&format!("{path}.neurons"), &s.neurons)?;
        let window = Window::new(s.start_ms, s.stop_ms.unwrap_or(f64::INFINITY));
        let apath = format!("{path}.action");
        let comp = |c: &str| self.compartment_of(&format!("{apath}.compartment"), built, c);
        let kind = match &s.action {
            ActionSpec::CurrentClamp {
                compartment,
                amplitude_pa,
            } => StimulusKind::CurrentClamp {
                compartment: comp(compartment)?,
                waveform: Waveform::Step {
                    amplitude_pa: *amplitude_pa,
                },
            },
            ActionSpec::Ramp {
                compartment,
                from_pa,
                to_pa,
            } => StimulusKind::CurrentClamp {
                compartment: comp(compartment)?,
                waveform: Waveform::Ramp {
                    from_pa: *from_pa,
                    to_pa: *to_pa,
                },
            },
            ActionSpec::Noise {
                compartment,
                mean_pa,
                std_pa,
                interval_ms,
            } => StimulusKind::CurrentClamp {
                compartment: comp(compartment)?,
                waveform: Waveform::Noise {
                    mean_pa: *mean_pa,
                    std_pa: *std_pa,
                    interval_ms: *interval_ms,
                },
            },
            ActionSpec::VoltageClamp { compartment, hold_mv } => StimulusKind::VoltageClamp {
                compartment: comp(compartment)?,
                hold_mv: *hold_mv,
            },
            ActionSpec::Optogenetic { current_pa } => StimulusKind::Optogenetic {
                current_pa: *current_pa,
            },
            ActionSpec::BlockSpikes => StimulusKind::BlockSpikes,
            ActionSpec::Spikes { times_ms } => StimulusKind::Spikes {
                times_ms: times_ms.clone(),
            },
            ActionSpec::BlockBap { compartments } => StimulusKind::BlockBap {
                compartments: match compartments {
                    None => None,
                    Some(list) => Some(
                        list.iter()
                            .enumerate()
                            .map(|(j, c)| {
                                self.compartment_of(&format!("{apath}.compartments[{j}]"), built, c)
                            })
                            .collect::<Result<Vec<_>>>()?,
                    ),
                },
            },
            ActionSpec::DisableRule { rule } => {
                let i = built.rule_ids.iter().position(|r| r == rule).ok_or_else(|| {
                    let known: Vec<&str> = built.rule_ids.iter().map(String::as_str).collect();
                    self.src.unknown_name(
                        &format!("{apath}.rule"),
                        &format!("a rule id of template `{}`", built.template.name),
                        rule,
                        &known,
                    )
                })?;
                StimulusKind::DisableRule { rule: i }
            }
            ActionSpec::Kir { g_ns, e_k_mv } => StimulusKind::Kir {
                g_ns: *g_ns,
                e_k_mv: *e_k_mv,
            },
        };
        let stim = Stimulus {
            population,
            neurons,
            window,
            kind,
        };
        stim.validate(net.populations[population].size, built.template.n_compartments())
            .map_err(|e| {
                self.src
                    .error(&stimulus_key(&path, &e.key), &e.expected, &e.found)
            })?;
        Ok(stim)
    }

    fn selection(&self, path: &str, s: &SelectionSpec) -> Result<Selection> {
        Ok(match s {
            SelectionSpec::Word(w) if w == "all" => Selection::All,
            SelectionSpec::Word(w) => {
                return Err(self.src.error(
                    path,
                    "\"all\", a list of indices or { fraction = .. }",
                    format!("{w:?}"),
                ));
            }
            SelectionSpec::Indices(ix) => Selection::Indices(ix.clone()),
            SelectionSpec::Fraction { fraction } => Selection::Fraction(*fraction),
        })
    }

    fn releases(&self, net: &mut NetworkDesc) -> Result<()> {
        for (k, r) in self.spec.releases.iter().enumerate() {
            let path = format!("releases[{k}]");
            let m = self.modulator_index(&format!("{path}.modulator"), &r.modulator)?;
            if !r.amount.is_finite() {
                return Err(self
                    .src
                    .error(&format!("{path}.amount"), "a finite number", r.amount));
            }
            for (j, &t) in r.times_ms.iter().enumerate() {
                if !(t.is_finite() && t >= 0.0) {
                    return Err(self
                        .src
                        .error(&format!("{path}.times_ms[{j}]"), "a time >= 0 ms", t));
                }
                net.releases.push(Release {
                    modulator: m,
                    t_ms: t,
                    amount: r.amount,
                });
            }
        }
        net.releases.sort_by(|a, b| a.t_ms.total_cmp(&b.t_ms));
        Ok(())
    }

    fn recording(&self, net: &NetworkDesc) -> Result<RecordingDesc> {
        let rec = &self.spec.recording;
        let spikes = match &rec.spikes {
            PopulationsSpec::Word(w) if w == "all" => (0..net.populations.len()).collect(),
            PopulationsSpec::Word(w) if w == "neurons" => (0..net.populations.len())
                .filter(|&i| net.populations[i].template().is_some())
                .collect(),
            PopulationsSpec::Word(w) if w == "none" => Vec::new(),
            PopulationsSpec::Word(w) => {
                return Err(self.src.error(
                    "recording.spikes",
                    "\"all\", \"neurons\", \"none\" or a list of population names",
                    format!("{w:?}"),
                ));
            }
            PopulationsSpec::Names(names) => names
                .iter()
                .enumerate()
                .map(|(k, n)| self.population(&format!("recording.spikes[{k}]"), n, net))
                .collect::<Result<Vec<_>>>()?,
        };
        let mut probes = Vec::new();
        for (k, p) in rec.probes.iter().enumerate() {
            let path = format!("recording.probes[{k}]");
            let (population, built) =
                self.neuron_population(&format!("{path}.population"), &p.population, net)?;
            let t = &built.template;
            let comp = self.compartment_of(
                &format!("{path}.compartment"),
                built,
                p.compartment.as_deref().unwrap_or("soma"),
            )?;
            let receptor = || -> Result<usize> {
                let Some(name) = &p.receptor else {
                    return Err(self
                        .src
                        .error(&path, "a `receptor` for a receptor signal", "none"));
                };
                t.receptor_index(comp, name).ok_or_else(|| {
                    let known: Vec<&str> = t
                        .receptors
                        .iter()
                        .filter(|r| r.compartment == comp)
                        .map(|r| r.name.as_str())
                        .collect();
                    self.src.unknown_name(
                        &format!("{path}.receptor"),
                        &format!("a receptor on `{}`", t.compartment_name(comp)),
                        name,
                        &known,
                    )
                })
            };
            let signal = match p.signal {
                SignalSpec::Potential => ProbeSignal::Potential(comp),
                SignalSpec::ClampCurrent => ProbeSignal::ClampCurrent(comp),
                SignalSpec::BranchStrength => ProbeSignal::BranchStrength(comp),
                SignalSpec::Adaptation => ProbeSignal::Adaptation,
                SignalSpec::ReceptorCurrent => ProbeSignal::ReceptorCurrent(receptor()?),
                SignalSpec::ReceptorConductance => ProbeSignal::ReceptorConductance(receptor()?),
            };
            probes.push(ProbeDesc {
                population,
                neurons: p.neurons.clone(),
                signal,
                interval_ms: p.interval_ms.unwrap_or(net.dt_ms),
            });
        }
        let mut weights = Vec::new();
        for (k, w) in rec.weights.iter().enumerate() {
            let path = format!("recording.weights[{k}].projection");
            let projection = net
                .projections
                .iter()
                .position(|p| p.name == w.projection)
                .ok_or_else(|| {
                    let known: Vec<&str> = net.projections.iter().map(|p| p.name.as_str()).collect();
                    self.src
                        .unknown_name(&path, "a projection", &w.projection, &known)
                })?;
            weights.push(WeightProbeDesc {
                projection,
                interval_ms: w.interval_ms,
                synapses: w.synapses.clone(),
            });
        }
        Ok(RecordingDesc {
            spikes,
            probes,
            weights,
        })
    }
}

/// Path distance (µm) from the soma to the start of compartment `c`: the lengths of its
/// ancestors.
fn distance_from_soma_um(t: &NeuronTemplate, c: usize) -> f64 {
    let mut d = 0.0;
    let mut k = c;
    while k > 0 {
        let parent = t.compartments[k - 1].parent;
        d += t.length_um(parent);
        k = parent;
    }
    d
}

const ROLES: [&str; 8] = [
    "basal",
    "apical_trunk",
    "apical_tuft",
    "oblique",
    "distal_basal",
    "distal_apical_trunk",
    "distal_apical_tuft",
    "distal_oblique",
];

fn source_params(s: &SourceSpec) -> SourceParams {
    match s {
        SourceSpec::Poisson { rate_hz } => SourceParams::Poisson { rate_hz: *rate_hz },
        SourceSpec::PiecewiseLinear { points } => SourceParams::InhomogeneousPoisson {
            profile: RateProfile::PiecewiseLinear(points.iter().map(|&[t, r]| (t, r)).collect()),
        },
        SourceSpec::Sinusoid {
            offset_hz,
            amplitude_hz,
            frequency_hz,
            phase_rad,
        } => SourceParams::InhomogeneousPoisson {
            profile: RateProfile::Sinusoid {
                offset_hz: *offset_hz,
                amplitude_hz: *amplitude_hz,
                frequency_hz: *frequency_hz,
                phase_rad: *phase_rad,
            },
        },
        SourceSpec::SpikeTrains { trains } => SourceParams::SpikeTrains {
            trains: trains.clone(),
        },
    }
}

/// A stimulus' model key (`window.start_ms`, `waveform.amplitude_pa`) as its spec key.
fn stimulus_key(path: &str, key: &str) -> String {
    let key = key.replace("window.", "").replace("waveform.", "action.");
    let in_action = ["compartment", "hold_mv", "current_pa", "g_ns", "e_k_mv"].contains(&key.as_str())
        || key.starts_with("compartments[");
    if in_action {
        format!("{path}.action.{key}")
    } else {
        format!("{path}.{key}")
    }
}

/// A key of the whole-network validation, as the spec's key (best effort: locating falls back
/// to the nearest enclosing table).
/// `stimuli[j]...` of the network as `stimuli[origin[j]]...` of the spec.
fn renumber_stimulus(key: &str, origin: &[usize]) -> String {
    if let Some(rest) = key.strip_prefix("stimuli[")
        && let Some(close) = rest.find(']')
        && let Ok(j) = rest[..close].parse::<usize>()
        && let Some(k) = origin.get(j)
    {
        return format!("stimuli[{k}]{}", &rest[close + 1..]);
    }
    key.to_string()
}

pub(crate) fn model_key_to_spec(key: &str) -> String {
    if let Some(rest) = key.strip_prefix("stimuli[")
        && let Some(close) = rest.find(']')
    {
        let path = format!("stimuli[{}]", &rest[..close]);
        let inner = rest[close + 1..].trim_start_matches('.');
        return stimulus_key(&path, &inner.replace("kind.", ""));
    }
    // Source parameters sit under `source` in the spec.
    if let Some(rest) = key.strip_prefix("populations[")
        && let Some(close) = rest.find(']')
        && !rest[close + 1..].starts_with(".template")
        && rest.len() > close + 1
    {
        return format!("populations[{}].source{}", &rest[..close], &rest[close + 1..]);
    }
    key.to_string()
}
