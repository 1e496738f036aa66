//! Networks of pyramidal rate units whose compartments each learn by their own local rule.
//!
//! A hidden unit `i` of layer `l` has three compartments:
//!
//! - **basal**: feedforward input `h` (the layer below, plus a constant 1 for the bias),
//!   potential `v_i = Σ_j W_ij h_j`;
//! - **distal**: `K` segments, each with context synapses `U`; the best-matching segment
//!   `k* = argmax_k a_ik`, `a_ik = Σ_c U_ikc c_c`, gates the unit with
//!   `g_i = σ(gain (a_ik* - θ))` (active dendrites, Iyer et al. 2022);
//! - **apical**: top-down synapses `B` from the output units (direct feedback, as in the
//!   apical-dendrite models of Guerguiev et al. 2017), potential `p_i = Σ_o B_io y_o`.
//!
//! Its somatic rate is `r_i = relu(v_i + g_a Δp_i) · g_i`, where `Δp_i` is the change of the
//! apical potential since the unit's own free (unnudged) state, and only the `k` units with the
//! largest rates of a layer stay active (k-winners-take-all; all when `active_fraction = 1`).
//! Output units have a basal compartment and an apical one that receives the teacher; their
//! rates are `y = softmax(v)` (a population with divisive inhibition).
//!
//! One update presents a batch twice. In the *free* phase nothing nudges the units:
//! `r⁰`, `y⁰`. In the *nudged* phase the teacher pulls the output towards the target,
//! `y¹ = y⁰ + β (t - y⁰)`, which changes each hidden unit's apical potential by
//! `Δp = B (y¹ - y⁰)`, and so its rate to `r¹`. Then every synapse changes by its
//! compartment's rule in rate form ([`dendra_rules::rate`]), seeing only its own input and its
//! own compartment's signals `(post = r¹, prediction = r⁰, modulator = d)`, with
//! `d = R - R̄` the reward-prediction error (`R = 1` when the free output picked the right
//! class, `R̄` its running average). A distal segment senses the soma only when it is the
//! unit's winning segment (it alone is coupled).
//!
//! With the default assignment, basal `dendritic_prediction` gives
//! `ΔW ∝ (r¹ - r⁰) h ≈ relu'(v) g_a β (B (t - y⁰)) h`, the update of direct feedback
//! alignment (Nøkland 2016), computed from local signals; at the output it is the delta rule.
//! Apical `reward_modulated` learns `B` from reward; distal `branch_specific` makes each
//! winning segment select the contexts active with it.
//!
//! One update counts as `dt = 1 ms` of rule time (rates of change are per update). Weights
//! start He-normal, `B` normal with variance `2 / n`, `U` with sparse random context selectivity
//! (see `NetParams::open_fraction`), all from the
//! seed's streams; the training step allocates nothing. Per-sample work (segment matching,
//! gates, k-WTA, nudged rates) runs in parallel over the batch on the current rayon pool; the
//! matrix products and sums over samples do not, so results do not depend on the thread count.

use dendra_core::{ParamError, Purpose, StreamKey};
use dendra_rules::{AnyRule, RateCompartment, TermsOut, advance_post_sq_avg};
use ndarray::linalg::general_mat_mul;
use ndarray::{Array1, Array2, ArrayView2, ArrayViewMut2, Zip, s};
use rand::RngExt;
use rand_distr::{Distribution, Normal};

use crate::params::{NetParams, UnitKind};

/// One group of synapses: weights and the rule's one number of rate state per synapse.
#[derive(Debug, Clone, PartialEq)]
pub struct Synapses {
    /// Weights (post × pre).
    pub w: Array2<f32>,
    /// Rate state per synapse (e.g. the labile component of `reward_modulated`).
    pub aux: Array2<f32>,
    /// Per compartment (row of `w`): the running average of `post²` kept for a rule that reads
    /// one ([`dendra_rules::RateForm::post_sq_avg_ms`], BCM's sliding threshold); 0 for others.
    pub post_sq_avg: Vec<f32>,
}

impl Synapses {
    fn new(w: Array2<f32>) -> Self {
        let aux = Array2::zeros(w.raw_dim());
        let post_sq_avg = vec![0.0; w.nrows()];
        Synapses { w, aux, post_sq_avg }
    }

    /// Advance the running averages of `post²` by one update (1 ms, as the rules' rate forms
    /// count an update) towards the mean of `post²` over the samples (rows of `post`, one column
    /// per compartment).
    fn advance_post_sq_avg(&mut self, tau_ms: f64, post: ArrayView2<'_, f32>) {
        let m = post.nrows() as f64;
        for (j, theta) in self.post_sq_avg.iter_mut().enumerate() {
            let mean_sq = post
                .column(j)
                .iter()
                .map(|&y| f64::from(y) * f64::from(y))
                .sum::<f64>()
                / m;
            *theta = advance_post_sq_avg(f64::from(*theta), mean_sq, 1.0, tau_ms) as f32;
        }
    }
}

/// A hidden layer's synapses, per compartment.
#[derive(Debug, Clone, PartialEq)]
pub struct HiddenLayer {
    /// Basal: `n × (inputs + 1)`; the last column is the bias.
    pub basal: Synapses,
    /// Apical: `n × outputs`.
    pub apical: Synapses,
    /// Distal: `(n · K) × contexts`; rows `i K .. (i + 1) K` are unit `i`'s segments.
    pub distal: Synapses,
}

/// Inputs cut off from a compartment (lesions), applied from the moment they are set.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Lesions {
    /// Apical (top-down) input removed: hidden units are no longer nudged.
    pub apical: bool,
    /// Distal (context) input removed: every segment sees a zero context.
    pub distal: bool,
}

/// A network of pyramidal rate units.
#[derive(Debug, Clone, PartialEq)]
pub struct PyramidalNet {
    params: NetParams,
    /// Hidden layers, input side first.
    pub hidden: Vec<HiddenLayer>,
    /// Output units' basal synapses: `outputs × (last hidden + 1)`.
    pub output: Synapses,
    /// Running average of reward `R̄`.
    pub reward_avg: f64,
    /// Current lesions.
    pub lesions: Lesions,
    inputs: usize,
    contexts: usize,
    segments: usize,
}

/// Buffers of one hidden layer for a batch.
#[derive(Debug, Clone)]
struct LayerBuffers {
    /// Somatic potential without apical input (`m × n`).
    v: Array2<f32>,
    /// Segment activations (`m × nK`).
    seg: Array2<f32>,
    /// Winning segment per unit (`m · n`).
    winner: Vec<u32>,
    /// Per-row scratch for k-WTA (`m × n`).
    scratch: Array2<f32>,
    /// Gate, 0 for units silenced by k-WTA (`m × n`).
    gate: Array2<f32>,
    /// Free rates with a constant 1 column (`m × (n + 1)`).
    r0: Array2<f32>,
    /// Nudged rates (`m × n`).
    r1: Array2<f32>,
    /// Apical potential change (`m × n`).
    dp: Array2<f32>,
    hebb: Array2<f32>,
    pre: Array2<f32>,
    /// Presynaptic factors of the apical synapses (`m × outputs`).
    pre_y: Array2<f32>,
    /// Presynaptic factors of the distal synapses (`m × contexts`).
    pre_ctx: Array2<f32>,
    grad_basal: Array2<f32>,
    grad_apical: Array2<f32>,
    grad_distal: Array2<f32>,
    sums: TermSums,
    sums_seg: TermSums,
}

/// Per-compartment sums of the `decay` and `offset` terms over a batch.
#[derive(Debug, Clone)]
struct TermSums {
    decay: Array1<f32>,
    offset: Array1<f32>,
}

impl TermSums {
    fn new(n: usize) -> Self {
        TermSums {
            decay: Array1::zeros(n),
            offset: Array1::zeros(n),
        }
    }

    fn clear(&mut self) {
        self.decay.fill(0.0);
        self.offset.fill(0.0);
    }

    fn any(&self) -> bool {
        self.decay.iter().chain(&self.offset).any(|&v| v != 0.0)
    }
}

/// Buffers of one training step for a given batch size.
#[derive(Debug, Clone)]
pub struct Workspace {
    rows: usize,
    /// Inputs with a constant 1 column (`m × (inputs + 1)`).
    x: Array2<f32>,
    /// One-hot contexts (`m × contexts`).
    ctx: Array2<f32>,
    labels: Vec<u8>,
    layers: Vec<LayerBuffers>,
    out_v: Array2<f32>,
    y0: Array2<f32>,
    y1: Array2<f32>,
    dy: Array2<f32>,
    hebb_out: Array2<f32>,
    pre_out: Array2<f32>,
    grad_out: Array2<f32>,
    sums_out: TermSums,
    modulator: Vec<f32>,
    reward: Vec<f32>,
}

impl Workspace {
    /// Rows per batch.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Load rows `idx` of `x` with labels from `y` and context `task` into the batch.
    pub fn load(&mut self, x: ArrayView2<f32>, y: &[u8], idx: &[usize], task: usize) {
        assert_eq!(idx.len(), self.rows, "a batch of the workspace's size");
        let inputs = self.x.ncols() - 1;
        for (r, &i) in idx.iter().enumerate() {
            self.x.slice_mut(s![r, ..inputs]).assign(&x.row(i));
            self.labels[r] = y[i];
        }
        self.set_task(task);
    }

    fn set_task(&mut self, task: usize) {
        self.ctx.fill(0.0);
        let contexts = self.ctx.ncols();
        for mut row in self.ctx.rows_mut() {
            row[task.min(contexts - 1)] = 1.0;
        }
    }
}

fn he_normal(rows: usize, cols: usize, fan_in: usize, key: StreamKey) -> Array2<f32> {
    let normal = Normal::new(0.0f32, (2.0 / fan_in as f32).sqrt()).expect("positive scale");
    let mut rng = key.rng();
    Array2::from_shape_fn((rows, cols), |_| normal.sample(&mut rng))
}

/// Distal synapses at the start: for each unit and context, with probability
/// `open_fraction`, one random segment starts above the gate threshold `θ` (uniform in
/// `[θ + (1 - θ)/4, θ + 3(1 - θ)/4)`) and the unit's other segments below it (uniform in
/// `[0, 0.6 θ)`); otherwise all start below it. With `open_fraction = 1` and `θ <= 0` every
/// gate starts open.
fn segments_init(n: usize, k: usize, contexts: usize, p: &NetParams, key: StreamKey) -> Array2<f32> {
    let theta = p.gate_threshold as f32;
    let mut rng = key.rng();
    let mut u = Array2::zeros((n * k, contexts));
    for i in 0..n {
        for c in 0..contexts {
            for s in 0..k {
                u[[i * k + s, c]] = 0.6 * theta.max(0.0) * rng.random::<f32>();
            }
            if rng.random::<f64>() < p.open_fraction {
                let s = rng.random_range(0..k);
                u[[i * k + s, c]] = theta + (1.0 - theta) * (0.25 + 0.5 * rng.random::<f32>());
            }
        }
    }
    u
}

fn sigmoid(x: f32) -> f32 {
    1.0 / (1.0 + (-x).exp())
}

/// Turn each row of `v` into probabilities in place.
pub(crate) fn softmax_rows(mut v: ArrayViewMut2<f32>) {
    for mut row in v.rows_mut() {
        let max = row.fold(f32::NEG_INFINITY, |a, &b| a.max(b));
        row.mapv_inplace(|z| (z - max).exp());
        let sum = row.sum();
        // Probabilities too small for a normal f32 are 0: subnormal values would slow every
        // later product with them by orders of magnitude.
        row.mapv_inplace(|p| {
            let p = p / sum;
            if p < f32::MIN_POSITIVE { 0.0 } else { p }
        });
    }
}

/// The index of a row's largest value (the first on ties).
pub fn argmax(row: ndarray::ArrayView1<f32>) -> usize {
    row.iter()
        .enumerate()
        .fold(
            (0, f32::NEG_INFINITY),
            |a, (i, &v)| if v > a.1 { (i, v) } else { a },
        )
        .0
}

/// What one compartment senses for every sample of a batch: the somatic rate as it arrives,
/// the compartment's own prediction of it (samples × compartments) and the modulator per sample.
#[derive(Clone, Copy)]
struct Sensed<'a> {
    post: ArrayView2<'a, f32>,
    prediction: ArrayView2<'a, f32>,
    modulator: &'a [f32],
}

/// The buffers of one group of synapses' update.
struct UpdateBuffers<'a> {
    /// `hebb` per (sample, compartment).
    hebb: &'a mut Array2<f32>,
    /// `decay` and `offset` summed over samples.
    sums: &'a mut TermSums,
    /// Presynaptic factors (samples × inputs).
    pre: &'a mut Array2<f32>,
    /// The summed change (compartments × inputs).
    grad: &'a mut Array2<f32>,
}

/// Compute a rule's terms for every (sample, compartment): `hebb` per entry, `decay` and
/// `offset` summed over samples.
fn terms_into(
    rule: &AnyRule,
    sensed: Sensed<'_>,
    post_sq_avg: &[f32],
    hebb: &mut Array2<f32>,
    sums: &mut TermSums,
) {
    let post_sq_avg = if rule.post_sq_avg_ms().is_some() {
        post_sq_avg
    } else {
        &[]
    };
    sums.clear();
    let decay = sums.decay.as_slice_mut().expect("contiguous");
    let offset = sums.offset.as_slice_mut().expect("contiguous");
    for (((mut h, p), q), &d) in hebb
        .rows_mut()
        .into_iter()
        .zip(sensed.post.rows())
        .zip(sensed.prediction.rows())
        .zip(sensed.modulator)
    {
        rule.rate_terms_row(
            (
                p.to_slice().expect("rows are contiguous"),
                q.to_slice().expect("rows are contiguous"),
                post_sq_avg,
            ),
            d,
            TermsOut {
                hebb: h.as_slice_mut().expect("rows are contiguous"),
                decay: &mut *decay,
                offset: &mut *offset,
            },
        );
    }
}

/// The rule's terms from what the compartment sensed, then
/// `grad = (hebbᵀ g(pre) + decay ⊙ w + offset) / m` and the rule's apply. A `static` rule
/// costs nothing.
fn learn(
    rule: &AnyRule,
    syn: &mut Synapses,
    sensed: Sensed<'_>,
    input: ArrayView2<f32>,
    b: UpdateBuffers<'_>,
) {
    if matches!(rule, AnyRule::Static(_)) {
        return;
    }
    terms_into(rule, sensed, &syn.post_sq_avg, b.hebb, b.sums);
    let m = b.hebb.nrows() as f32;
    ndarray::Zip::from(&mut *b.pre)
        .and(input)
        .for_each(|g, &x| *g = rule.rate_pre(f64::from(x)) as f32);
    general_mat_mul(1.0 / m, &b.hebb.t(), &*b.pre, 0.0, b.grad);
    apply(rule, syn, b.grad, b.sums, m);
    // The running average moves after the update, which read its value before this batch.
    if let Some(tau_ms) = rule.post_sq_avg_ms() {
        syn.advance_post_sq_avg(tau_ms, sensed.post);
    }
}

/// Add the `decay` and `offset` terms to `grad` (which holds the Hebbian part, already divided
/// by `m`) and apply the rule.
fn apply(rule: &AnyRule, syn: &mut Synapses, grad: &mut Array2<f32>, sums: &TermSums, m: f32) {
    if sums.any() {
        for ((mut g_row, w_row), (&d, &o)) in grad
            .rows_mut()
            .into_iter()
            .zip(syn.w.rows())
            .zip(sums.decay.iter().zip(&sums.offset))
        {
            for (g, &w) in g_row.iter_mut().zip(w_row) {
                *g += (d * w + o) / m;
            }
        }
    }
    if !(syn.w.is_standard_layout() && syn.aux.is_standard_layout()) {
        // Weights set from outside in another memory order: bring them into row-major once.
        syn.w = syn.w.as_standard_layout().into_owned();
        syn.aux = syn.aux.as_standard_layout().into_owned();
    }
    rule.rate_apply_all(
        syn.w.as_slice_mut().expect("standard layout"),
        syn.aux.as_slice_mut().expect("standard layout"),
        grad.as_slice().expect("standard layout"),
        1.0,
    );
}

impl PyramidalNet {
    /// A network with `inputs` inputs, `contexts` context inputs and `outputs` output units,
    /// initialised from `seed`.
    pub fn new(
        inputs: usize,
        contexts: usize,
        outputs: usize,
        params: &NetParams,
        seed: u64,
    ) -> Result<Self, ParamError> {
        params.validate()?;
        if inputs == 0 || contexts == 0 || outputs < 2 {
            return Err(ParamError::new(
                "network",
                "at least 1 input, 1 context and 2 outputs",
                format!("{inputs} inputs, {contexts} contexts, {outputs} outputs"),
            ));
        }
        let segments = match params.unit {
            UnitKind::Compartments => params.segments,
            UnitKind::Point => 1,
        };
        let key = |id: u32, layer: usize| StreamKey::new(seed, Purpose::Weight, id, layer as u64);
        let mut hidden = Vec::new();
        let mut fan_in = inputs;
        for (l, &n) in params.hidden.iter().enumerate() {
            let mut basal = he_normal(n, fan_in + 1, fan_in, key(0, l));
            basal.column_mut(fan_in).fill(0.0);
            let apical = he_normal(n, outputs, n, key(1, l));
            let distal = segments_init(n, segments, contexts, params, key(2, l));
            hidden.push(HiddenLayer {
                basal: Synapses::new(basal),
                apical: Synapses::new(apical),
                distal: Synapses::new(distal),
            });
            fan_in = n;
        }
        let mut out = he_normal(outputs, fan_in + 1, fan_in, key(0, params.hidden.len()));
        out.column_mut(fan_in).fill(0.0);
        Ok(PyramidalNet {
            params: params.clone(),
            hidden,
            output: Synapses::new(out),
            reward_avg: 0.0,
            lesions: Lesions::default(),
            inputs,
            contexts,
            segments,
        })
    }

    /// The parameters.
    pub fn params(&self) -> &NetParams {
        &self.params
    }

    /// Number of output units.
    pub fn outputs(&self) -> usize {
        self.output.w.nrows()
    }

    /// Buffers for batches of `rows`.
    pub fn workspace(&self, rows: usize) -> Workspace {
        let outputs = self.outputs();
        let mut fan_in = self.inputs;
        let mut layers = Vec::new();
        for layer in &self.hidden {
            let n = layer.basal.w.nrows();
            let nk = n * self.segments;
            let mut r0 = Array2::zeros((rows, n + 1));
            r0.column_mut(n).fill(1.0);
            layers.push(LayerBuffers {
                v: Array2::zeros((rows, n)),
                seg: Array2::zeros((rows, nk)),
                winner: vec![0; rows * n],
                scratch: Array2::zeros((rows, n)),
                gate: Array2::zeros((rows, n)),
                r0,
                r1: Array2::zeros((rows, n)),
                dp: Array2::zeros((rows, n)),
                hebb: Array2::zeros((rows, n)),
                pre: Array2::zeros((rows, fan_in + 1)),
                pre_y: Array2::zeros((rows, outputs)),
                pre_ctx: Array2::zeros((rows, self.contexts)),
                grad_basal: Array2::zeros((n, fan_in + 1)),
                grad_apical: Array2::zeros((n, outputs)),
                grad_distal: Array2::zeros((nk, self.contexts)),
                sums: TermSums::new(n),
                sums_seg: TermSums::new(nk),
            });
            fan_in = n;
        }
        let mut x = Array2::zeros((rows, self.inputs + 1));
        x.column_mut(self.inputs).fill(1.0);
        Workspace {
            rows,
            x,
            ctx: Array2::zeros((rows, self.contexts)),
            labels: vec![0; rows],
            layers,
            out_v: Array2::zeros((rows, outputs)),
            y0: Array2::zeros((rows, outputs)),
            y1: Array2::zeros((rows, outputs)),
            dy: Array2::zeros((rows, outputs)),
            hebb_out: Array2::zeros((rows, outputs)),
            pre_out: Array2::zeros((rows, fan_in + 1)),
            grad_out: Array2::zeros((outputs, fan_in + 1)),
            sums_out: TermSums::new(outputs),
            modulator: vec![0.0; rows],
            reward: vec![0.0; rows],
        }
    }

    /// The free phase: rates `r⁰` of every hidden layer and output probabilities `y⁰`.
    fn free(&self, ws: &mut Workspace) {
        let k_active = |n: usize| ((self.params.active_fraction * n as f64).ceil() as usize).clamp(1, n);
        let (gain, theta) = (self.params.gate_gain as f32, self.params.gate_threshold as f32);
        let kseg = self.segments;
        for l in 0..self.hidden.len() {
            let (below, rest) = ws.layers.split_at_mut(l);
            let buf = &mut rest[0];
            let input = if l == 0 {
                ws.x.view()
            } else {
                below[l - 1].r0.view()
            };
            let layer = &self.hidden[l];
            general_mat_mul(1.0, &input, &layer.basal.w.t(), 0.0, &mut buf.v);
            if self.lesions.distal {
                buf.seg.fill(0.0);
            } else {
                general_mat_mul(1.0, &ws.ctx, &layer.distal.w.t(), 0.0, &mut buf.seg);
            }
            let n = buf.v.ncols();
            let point = self.params.unit == UnitKind::Point;
            let k = k_active(n);
            let mut winners =
                ArrayViewMut2::from_shape((ws.rows, n), &mut buf.winner[..]).expect("m × n winners");
            // Each sample's row is independent: parallel over the batch, the same result for
            // any thread count.
            Zip::from(buf.v.rows_mut())
                .and(buf.seg.rows())
                .and(buf.gate.rows_mut())
                .and(buf.r0.rows_mut())
                .and(winners.rows_mut())
                .and(buf.scratch.rows_mut())
                .par_for_each(|mut v, seg, mut gate, mut r0, mut winner, mut scratch| {
                    let seg = seg.to_slice().expect("standard layout");
                    for j in 0..n {
                        let (mut best, mut a) = (0usize, f32::NEG_INFINITY);
                        for (kk, &value) in seg[j * kseg..(j + 1) * kseg].iter().enumerate() {
                            if value > a {
                                (best, a) = (kk, value);
                            }
                        }
                        winner[j] = best as u32;
                        if point {
                            v[j] += a;
                            gate[j] = 1.0;
                        } else {
                            gate[j] = sigmoid(gain * (a - theta));
                        }
                        r0[j] = v[j].max(0.0) * gate[j];
                    }
                    if k < n {
                        let scratch = scratch.as_slice_mut().expect("standard layout");
                        for (s, &r) in scratch.iter_mut().zip(r0.iter()) {
                            *s = r;
                        }
                        scratch.select_nth_unstable_by(k - 1, |a, b| b.total_cmp(a));
                        let threshold = scratch[k - 1];
                        // Keep all above the k-th largest rate, and ties with it in index order.
                        let mut kept = r0.iter().take(n).filter(|&&r| r > threshold).count();
                        for j in 0..n {
                            let r = r0[j];
                            let tie_kept = r == threshold && kept < k;
                            if tie_kept {
                                kept += 1;
                            }
                            if r < threshold || (r == threshold && !tie_kept) {
                                r0[j] = 0.0;
                                gate[j] = 0.0;
                            }
                        }
                    }
                });
        }
        let top = ws.layers.last().expect("at least one hidden layer").r0.view();
        general_mat_mul(1.0, &top, &self.output.w.t(), 0.0, &mut ws.out_v);
        ws.y0.assign(&ws.out_v);
        softmax_rows(ws.y0.view_mut());
    }

    /// One update on the batch loaded into `ws`; returns the batch's mean cross-entropy and
    /// the number of samples the free output classified right, both before the update.
    pub fn step(&mut self, ws: &mut Workspace) -> (f64, usize) {
        self.free(ws);
        let beta = self.params.nudging as f32;
        let (mut loss, mut right) = (0.0f64, 0usize);
        for i in 0..ws.rows {
            let label = ws.labels[i] as usize;
            let y0 = ws.y0.row(i);
            loss -= f64::from(y0[label].max(1e-12)).ln();
            let r = f32::from(u8::from(argmax(y0) == label));
            right += r as usize;
            ws.reward[i] = r;
            ws.modulator[i] = r - self.reward_avg as f32;
            for o in 0..ws.y0.ncols() {
                let target = f32::from(u8::from(o == label));
                let (y0, y1) = (ws.y0[[i, o]], ws.y0[[i, o]] + beta * (target - ws.y0[[i, o]]));
                ws.y1[[i, o]] = y1;
                ws.dy[[i, o]] = y1 - y0;
            }
        }
        // Output units: the teacher at the apical compartment nudges them.
        let rules = self.params.rules;
        let top = ws.layers.last().expect("at least one hidden layer").r0.view();
        learn(
            &rules.output,
            &mut self.output,
            Sensed {
                post: ws.y1.view(),
                prediction: ws.y0.view(),
                modulator: &ws.modulator,
            },
            top,
            UpdateBuffers {
                hebb: &mut ws.hebb_out,
                sums: &mut ws.sums_out,
                pre: &mut ws.pre_out,
                grad: &mut ws.grad_out,
            },
        );
        // Hidden units: top-down feedback changes the apical potential, which nudges the soma.
        let (g_a, kseg) = (self.params.apical_gain as f32, self.segments);
        for l in 0..self.hidden.len() {
            let (below, rest) = ws.layers.split_at_mut(l);
            let buf = &mut rest[0];
            let layer = &mut self.hidden[l];
            let n = buf.v.ncols();
            if self.lesions.apical {
                buf.dp.fill(0.0);
            } else {
                general_mat_mul(g_a, &ws.dy, &layer.apical.w.t(), 0.0, &mut buf.dp);
            }
            Zip::from(&mut buf.r1)
                .and(&buf.v)
                .and(&buf.dp)
                .and(&buf.gate)
                .par_for_each(|r1, &v, &dp, &g| *r1 = (v + dp).max(0.0) * g);
            let r0 = buf.r0.slice(s![.., ..n]);
            let input = if l == 0 {
                ws.x.view()
            } else {
                below[l - 1].r0.view()
            };
            let sensed = Sensed {
                post: buf.r1.view(),
                prediction: r0,
                modulator: &ws.modulator,
            };
            learn(
                &rules.basal,
                &mut layer.basal,
                sensed,
                input,
                UpdateBuffers {
                    hebb: &mut buf.hebb,
                    sums: &mut buf.sums,
                    pre: &mut buf.pre,
                    grad: &mut buf.grad_basal,
                },
            );
            learn(
                &rules.apical,
                &mut layer.apical,
                sensed,
                ws.y0.view(),
                UpdateBuffers {
                    hebb: &mut buf.hebb,
                    sums: &mut buf.sums,
                    pre: &mut buf.pre_y,
                    grad: &mut buf.grad_apical,
                },
            );
            // Distal: only each unit's winning segment senses the soma, so only its synapses
            // change; the sum over samples is accumulated row by row (a dense product would
            // multiply mostly zeros).
            if !matches!(rules.distal, AnyRule::Static(_)) {
                let rule = &rules.distal;
                let m = ws.rows as f32;
                let contexts = ws.ctx.ncols();
                ndarray::Zip::from(&mut buf.pre_ctx)
                    .and(&ws.ctx)
                    .for_each(|g, &x| *g = rule.rate_pre(f64::from(x)) as f32);
                buf.grad_distal.fill(0.0);
                buf.sums_seg.clear();
                let pre = buf.pre_ctx.as_slice().expect("standard layout");
                let grad = buf.grad_distal.as_slice_mut().expect("standard layout");
                let theta = &layer.distal.post_sq_avg;
                let reads_theta = rule.post_sq_avg_ms().is_some();
                for i in 0..ws.rows {
                    let pre_row = &pre[i * contexts..(i + 1) * contexts];
                    for j in 0..n {
                        let k = buf.winner[i * n + j] as usize;
                        let c = j * kseg + k;
                        let t = rule.rate_terms(&RateCompartment {
                            post: f64::from(buf.r1[[i, j]]),
                            prediction: f64::from(buf.r0[[i, j]]),
                            post_sq_avg: if reads_theta { f64::from(theta[c]) } else { 0.0 },
                            modulator: f64::from(ws.modulator[i]),
                        });
                        let h = t.hebb as f32 / m;
                        if h != 0.0 {
                            for (g, &x) in grad[c * contexts..(c + 1) * contexts].iter_mut().zip(pre_row) {
                                *g += h * x;
                            }
                        }
                        buf.sums_seg.decay[c] += t.decay as f32;
                        buf.sums_seg.offset[c] += t.offset as f32;
                    }
                }
                apply(rule, &mut layer.distal, &mut buf.grad_distal, &buf.sums_seg, m);
                // A segment senses the soma only in the samples it wins (else its post is 0).
                if let Some(tau_ms) = rule.post_sq_avg_ms() {
                    let keep = (-1.0 / tau_ms).exp();
                    for theta in &mut layer.distal.post_sq_avg {
                        *theta = (f64::from(*theta) * keep) as f32;
                    }
                    for i in 0..ws.rows {
                        for j in 0..n {
                            let c = j * kseg + buf.winner[i * n + j] as usize;
                            let y = f64::from(buf.r1[[i, j]]);
                            layer.distal.post_sq_avg[c] += ((1.0 - keep) * y * y / f64::from(m)) as f32;
                        }
                    }
                }
            }
        }
        let mean_reward = ws.reward.iter().map(|&r| f64::from(r)).sum::<f64>() / ws.rows as f64;
        self.reward_avg += (mean_reward - self.reward_avg) / self.params.reward_tau_updates;
        (loss / ws.rows as f64, right)
    }

    /// The first hidden layer's free rates for the first row of the batch in `ws`.
    pub fn free_rates(&self, ws: &mut Workspace) -> Vec<f32> {
        self.free(ws);
        let n = ws.layers[0].v.ncols();
        ws.layers[0].r0.slice(s![0, ..n]).to_vec()
    }

    /// Predicted classes of rows `x` in context `task` (free phase; allocates, for evaluation).
    pub fn predict(&self, x: ArrayView2<f32>, task: usize) -> Vec<u8> {
        let chunk = 256.min(x.nrows().max(1));
        let mut ws = self.workspace(chunk);
        let mut out = Vec::with_capacity(x.nrows());
        let mut start = 0;
        while start < x.nrows() {
            let end = (start + chunk).min(x.nrows());
            if end - start != ws.rows {
                ws = self.workspace(end - start);
            }
            ws.x.slice_mut(s![.., ..self.inputs])
                .assign(&x.slice(s![start..end, ..]));
            ws.set_task(task);
            self.free(&mut ws);
            out.extend(ws.y0.rows().into_iter().map(|r| argmax(r) as u8));
            start = end;
        }
        out
    }
}
