//! `[params]` of the `wright2025` built-in, with the paper's defaults.

use dendra_core::ParamError;
use dendra_core::error::{in_range, positive};

/// Which plasticity rule acts on which compartment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Preset {
    /// As Wright et al. (2025) found: apical `local_coactivity`, basal `bap_hebbian`.
    Paper,
    /// As the popular account has it: apical `reward_modulated` with consolidation, basal
    /// `dendritic_prediction`, distal branches `branch_specific`.
    Article,
    /// One rule (`uniform_rule`) on every compartment.
    Uniform,
    /// The paper's rules exchanged: apical `bap_hebbian`, basal `local_coactivity`.
    Swapped,
}

impl Preset {
    /// All presets, in a fixed order.
    pub const ALL: [Preset; 4] = [Preset::Paper, Preset::Article, Preset::Uniform, Preset::Swapped];

    /// Its name in specs.
    pub fn name(self) -> &'static str {
        match self {
            Preset::Paper => "paper",
            Preset::Article => "article",
            Preset::Uniform => "uniform",
            Preset::Swapped => "swapped",
        }
    }
}

/// A rule the `uniform` preset can put everywhere.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UniformRule {
    /// `bap_hebbian` everywhere (a classic Hebbian point-neuron rule).
    BapHebbian,
    /// `local_coactivity` everywhere.
    LocalCoactivity,
}

/// Parameters of the simulated imaging study. Group sizes default to the paper's analysis.
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Wright2025Params {
    /// Rule preset. Default `paper`.
    pub preset: Preset,
    /// The rule of the `uniform` preset. Default `bap_hebbian`.
    pub uniform_rule: UniformRule,
    /// Animals imaged on apical dendrites (control). Default 10.
    pub apical_animals: u32,
    /// Animals imaged on basal dendrites (control). Default 12.
    pub basal_animals: u32,
    /// Animals imaged on apical dendrites with Kir in the imaged neurons. Default 7.
    pub apical_kir_animals: u32,
    /// Animals imaged on basal dendrites with Kir. Default 5.
    pub basal_kir_animals: u32,
    /// Training sessions (one per day). Default 14.
    pub sessions: u32,
    /// Imaged sessions (1-based). Default 1, 2, 3, 6, 7, 8, 11, 12, 13 (early, middle, late).
    pub imaged_sessions: Vec<u32>,
    /// Trials per session. Default 12.
    pub trials_per_session: u32,
    /// Trial length (ms): inter-trial interval, cue window and outcome. Default 2000.
    pub trial_ms: f64,
    /// Cue onset within a trial (ms). Default 500.
    pub cue_onset_ms: f64,
    /// Response window after cue onset (ms); the cue stays on for it. Default 1000.
    pub response_ms: f64,
    /// Motor-population spikes in `press_window_ms` that make a lever press. Default 24.
    pub press_spikes: u32,
    /// Sliding window of press detection (ms). Default 50.
    pub press_window_ms: f64,
    /// Delay from press to reward (ms). Default 100.
    pub reward_delay_ms: f64,
    /// How long the cue stays on after the press (the movement) (ms). Default 300.
    pub movement_ms: f64,
    /// Learning rate of the cue -> motor reward-modulated synapses (pA per unit eligibility x
    /// dopamine x ms). Default 0.02.
    pub motor_eta: f64,
    /// Imaging frame rate (Hz). Default 60.
    pub frame_rate_hz: f64,
    /// Spine-size measurement noise (coefficient of variation). Default 0.1.
    pub size_noise_cv: f64,
    /// Kir conductance added to the imaged neurons' somata in Kir groups (nS). Default 30.
    pub kir_g_ns: f64,
    /// Multiplies every learning rate of the imaged neuron's spine rules (potentiation,
    /// depression, eta): 0 turns plasticity off (a null: spine sizes change only by measurement
    /// noise), 1 is the calibrated strength. Default 1.
    pub plasticity_scale: f64,
    /// Signal-to-noise ratio of the spine imaging: a mean glutamate transient over the shot
    /// noise's standard deviation at baseline. Every trace's shot noise and the motion
    /// artefacts scale with `4 / spine_snr` (dendritic calcium then has SNR `5.3 · spine_snr /
    /// 4`). Default 4.
    pub spine_snr: f64,
    /// How spines are placed on each imaged branch: `designed` (seven units evenly spaced,
    /// farther apart than 10 µm) or `random` (units at random positions). Default `designed`.
    pub spine_layout: super::layout::Arrangement,
    /// Imaged spines per µm of branch with `spine_layout = "random"` (the designed layout has
    /// 0.15). At most 0.5 (the motor population has 30 neurons to drive them). Default 0.15.
    pub spine_density_per_um: f64,
    /// The analysis of the simulated recordings (`[params.analysis]`, the keys of
    /// `dendra analyze --settings`, e.g. `profile = "paper"`); its `seed` is the run's.
    pub analysis: dendra_analysis::StudyParams,
}

impl Default for Wright2025Params {
    fn default() -> Self {
        Wright2025Params {
            preset: Preset::Paper,
            uniform_rule: UniformRule::BapHebbian,
            apical_animals: 10,
            basal_animals: 12,
            apical_kir_animals: 7,
            basal_kir_animals: 5,
            sessions: 14,
            imaged_sessions: vec![1, 2, 3, 6, 7, 8, 11, 12, 13],
            trials_per_session: 12,
            trial_ms: 2000.0,
            cue_onset_ms: 500.0,
            response_ms: 1000.0,
            press_spikes: 24,
            press_window_ms: 50.0,
            reward_delay_ms: 100.0,
            movement_ms: 300.0,
            motor_eta: 0.0015,
            frame_rate_hz: 60.0,
            size_noise_cv: 0.1,
            kir_g_ns: 30.0,
            plasticity_scale: 1.0,
            spine_snr: 4.0,
            spine_layout: super::layout::Arrangement::Designed,
            spine_density_per_um: super::layout::DESIGNED_DENSITY_PER_UM,
            analysis: dendra_analysis::StudyParams::default(),
        }
    }
}

impl dendra_spec::BuiltinParams for Wright2025Params {
    fn validate(&self) -> Result<(), ParamError> {
        Wright2025Params::validate(self)
    }
}

impl Wright2025Params {
    /// Check the values; the error names the key.
    pub fn validate(&self) -> Result<(), ParamError> {
        let animals =
            self.apical_animals + self.basal_animals + self.apical_kir_animals + self.basal_kir_animals;
        if animals == 0 || animals > 10_000 {
            return Err(ParamError::new(
                "apical_animals",
                "between 1 and 10000 animals in all groups",
                animals,
            ));
        }
        in_range("sessions", f64::from(self.sessions), 1.0, 1000.0)?;
        in_range(
            "trials_per_session",
            f64::from(self.trials_per_session),
            1.0,
            10_000.0,
        )?;
        if let Some((k, &s)) = self
            .imaged_sessions
            .iter()
            .enumerate()
            .find(|&(k, &s)| s == 0 || s > self.sessions || (k > 0 && s <= self.imaged_sessions[k - 1]))
        {
            return Err(ParamError::new(
                format!("imaged_sessions[{k}]"),
                format!("increasing session numbers in 1..={}", self.sessions),
                s,
            ));
        }
        if self.imaged_sessions.is_empty() {
            return Err(ParamError::new(
                "imaged_sessions",
                "at least one imaged session",
                "none",
            ));
        }
        positive("trial_ms", self.trial_ms)?;
        in_range("cue_onset_ms", self.cue_onset_ms, 0.0, self.trial_ms)?;
        in_range(
            "response_ms",
            self.response_ms,
            1.0,
            self.trial_ms - self.cue_onset_ms,
        )?;
        in_range("press_spikes", f64::from(self.press_spikes), 1.0, 1e6)?;
        in_range("press_window_ms", self.press_window_ms, 1.0, self.response_ms)?;
        in_range("reward_delay_ms", self.reward_delay_ms, 0.0, 10_000.0)?;
        in_range("movement_ms", self.movement_ms, 0.0, self.response_ms)?;
        in_range("motor_eta", self.motor_eta, 0.0, 1e6)?;
        in_range("frame_rate_hz", self.frame_rate_hz, 1.0, 1000.0)?;
        in_range("size_noise_cv", self.size_noise_cv, 0.0, 1.0)?;
        in_range("kir_g_ns", self.kir_g_ns, 0.0, 1e4)?;
        in_range("plasticity_scale", self.plasticity_scale, 0.0, 100.0)?;
        in_range("spine_snr", self.spine_snr, 0.05, 1e4)?;
        in_range("spine_density_per_um", self.spine_density_per_um, 0.01, 0.5)?;
        self.analysis.validate().map_err(|e| e.within("analysis"))?;
        Ok(())
    }

    /// Simulated time per animal (ms).
    pub fn duration_ms(&self) -> f64 {
        f64::from(self.sessions) * f64::from(self.trials_per_session) * self.trial_ms
    }

    /// Session length (ms).
    pub fn session_ms(&self) -> f64 {
        f64::from(self.trials_per_session) * self.trial_ms
    }
}
