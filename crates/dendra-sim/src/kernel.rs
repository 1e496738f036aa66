//! The hot loops of the neuron update, written over fixed-width lane chunks so that the
//! compiler vectorises them, and compiled for several instruction sets with run-time dispatch.
//!
//! Every variant executes the same floating-point operations in the same order (Rust never
//! contracts `a * b + c` into a fused multiply-add), so results are bit-identical whichever
//! variant the CPU selects.

use crate::propagator::Propagator;

/// Lanes of the widest vector (f64 x 8 = 512 bit); state arrays are padded to a multiple of it.
pub const LANES: usize = 8;

/// Neurons per chunk of [`integrate`]: a chunk's state stays in L1 while each row is a long,
/// dependency-free loop. A multiple of [`LANES`].
pub const CHUNK: usize = 256;

/// Round `n` up to a whole number of lanes.
pub fn padded(n: usize) -> usize {
    n.div_ceil(LANES) * LANES
}

/// Arguments of [`integrate`].
pub struct Integrate<'a> {
    /// The template's propagator.
    pub prop: &'a Propagator,
    /// State at the start of the step, `x[k * stride + i]`.
    pub x: &'a [f64],
    /// State at the end of the step (written; same layout).
    pub next: &'a mut [f64],
    /// External current per compartment, `u[c * stride + i]`, if any input is active.
    pub u: Option<&'a [f64]>,
    /// This step's arrivals, `ring[r * stride + i]` for receptor `r`; zeroed as they are read.
    pub ring: &'a mut [f64],
    /// Array stride (a multiple of [`LANES`]).
    pub stride: usize,
    /// Somatic spike detection, applied to the new potentials.
    pub spike: Threshold<'a>,
}

/// Advance every neuron by one step with the exact propagator, add the synaptic input arriving
/// at the end of the step to the receptor states, and detect somatic spikes.
pub fn integrate(args: Integrate<'_>) {
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx512f") {
            // SAFETY: the CPU supports AVX-512F, checked just above.
            return unsafe { integrate_avx512(args) };
        }
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU supports AVX2, checked just above.
            return unsafe { integrate_avx2(args) };
        }
    }
    integrate_generic(args)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
fn integrate_avx512(args: Integrate<'_>) {
    integrate_generic(args)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn integrate_avx2(args: Integrate<'_>) {
    integrate_generic(args)
}

/// Pick the register-resident kernel for templates of up to 8 state variables, else the
/// sparse chunked one.
#[inline(always)]
fn integrate_generic(args: Integrate<'_>) {
    macro_rules! small {
        ($ns:literal) => {
            if args.u.is_some() {
                integrate_small::<$ns, true>(args)
            } else {
                integrate_small::<$ns, false>(args)
            }
        };
    }
    match args.prop.n_state {
        1 => small!(1),
        2 => small!(2),
        3 => small!(3),
        4 => small!(4),
        5 => small!(5),
        6 => small!(6),
        7 => small!(7),
        8 => small!(8),
        _ => integrate_sparse(args),
    }
}

/// All `NS` states of [`LANES`] neurons stay in registers through the step: dense `Φ` (its
/// structural zeros add exact zeros), then the external input, then the arrivals.
#[inline(always)]
fn integrate_small<const NS: usize, const HAS_U: bool>(args: Integrate<'_>) {
    let Integrate {
        prop,
        x,
        next,
        u,
        ring,
        stride,
        spike,
    } = args;
    let Threshold {
        refr,
        inhibit,
        v_reset_mv,
        v_detect_mv,
        t_ref_steps,
        spikes,
    } = spike;
    let nc = prop.n_comp;
    let mut phi = [[0.0f64; NS]; NS];
    let mut off = [0.0f64; NS];
    for k in 0..NS {
        phi[k].copy_from_slice(&prop.phi_dense[k * NS..(k + 1) * NS]);
        off[k] = prop.offset[k];
    }
    let mut fired = [0u32; LANES];
    let mut base = 0;
    while base < stride {
        let mut xs = [[0.0f64; LANES]; NS];
        for j in 0..NS {
            xs[j].copy_from_slice(&x[j * stride + base..j * stride + base + LANES]);
        }
        for k in 0..NS {
            let mut acc = [off[k]; LANES];
            for j in 0..NS {
                let c = phi[k][j];
                for l in 0..LANES {
                    acc[l] += c * xs[j][l];
                }
            }
            if HAS_U && let Some(u) = u {
                for c in 0..nc {
                    let psi = prop.psi_dense[k * nc + c];
                    let uc = &u[c * stride + base..c * stride + base + LANES];
                    for l in 0..LANES {
                        acc[l] += psi * uc[l];
                    }
                }
            }
            if k >= nc {
                let lane = &mut ring[(k - nc) * stride + base..(k - nc) * stride + base + LANES];
                for l in 0..LANES {
                    acc[l] += lane[l];
                    lane[l] = 0.0;
                }
            }
            if k == 0 {
                let r = &mut refr[base..base + LANES];
                let inh = &inhibit[base..base + LANES];
                if detect(&mut acc, r, inh, v_reset_mv, v_detect_mv, t_ref_steps, &mut fired) {
                    push_fired(&fired, base, spikes);
                }
            }
            next[k * stride + base..k * stride + base + LANES].copy_from_slice(&acc);
        }
        base += LANES;
    }
}

/// Chunked sparse kernel for larger templates: each row of `Φ` is a pass over a chunk.
#[inline(always)]
fn integrate_sparse(args: Integrate<'_>) {
    let Integrate {
        prop,
        x,
        next,
        u,
        ring,
        stride,
        spike,
    } = args;
    let ns = prop.n_state;
    let nc = prop.n_comp;
    let mut base = 0;
    while base < stride {
        let len = CHUNK.min(stride - base);
        for k in 0..ns {
            let out = &mut next[k * stride + base..k * stride + base + len];
            out.fill(prop.offset[k]);
            for &(j, c) in &prop.rows[k] {
                let xj = &x[j * stride + base..j * stride + base + len];
                for (o, &v) in out.iter_mut().zip(xj) {
                    *o += c * v;
                }
            }
            if let Some(u) = u {
                for &(cc, c) in &prop.input_rows[k] {
                    let uc = &u[cc * stride + base..cc * stride + base + len];
                    for (o, &v) in out.iter_mut().zip(uc) {
                        *o += c * v;
                    }
                }
            }
            if k >= nc {
                let lane = &mut ring[(k - nc) * stride + base..(k - nc) * stride + base + len];
                for (o, a) in out.iter_mut().zip(lane.iter_mut()) {
                    *o += *a;
                    *a = 0.0;
                }
            }
        }
        base += len;
    }
    threshold(&mut next[..stride], spike);
}

/// Somatic spike detection: hold refractory somata at reset; a resting soma at or above the
/// detection potential that is not inhibited spikes, is reset and becomes refractory.
pub struct Threshold<'a> {
    /// Refractory steps left per neuron (length: stride).
    pub refr: &'a mut [u32],
    /// Non-zero where spikes are impossible: blocked, voltage-clamped, or padding (length: stride).
    pub inhibit: &'a [u32],
    /// Reset potential (mV).
    pub v_reset_mv: f64,
    /// Spike detection potential (mV).
    pub v_detect_mv: f64,
    /// Refractory period (steps).
    pub t_ref_steps: u32,
    /// Local indices of spiking neurons are appended here, ascending.
    pub spikes: &'a mut Vec<u32>,
}

/// Threshold logic on one chunk of [`LANES`] somata; `fired[l]` is 1 where lane `l` spiked.
/// Returns whether any lane spiked.
#[inline(always)]
fn detect(
    v: &mut [f64; LANES],
    refr: &mut [u32],
    inhibit: &[u32],
    v_reset: f64,
    v_detect: f64,
    t_ref: u32,
    fired: &mut [u32; LANES],
) -> bool {
    for l in 0..LANES {
        let r = refr[l];
        let resting = r == 0;
        let spike = resting & (v[l] >= v_detect) & (inhibit[l] == 0);
        v[l] = if spike | !resting { v_reset } else { v[l] };
        refr[l] = if spike { t_ref } else { r - (!resting) as u32 };
        fired[l] = spike as u32;
    }
    fired.iter().fold(0, |a, &f| a | f) != 0
}

#[inline(always)]
fn push_fired(fired: &[u32; LANES], base: usize, spikes: &mut Vec<u32>) {
    for (l, &f) in fired.iter().enumerate() {
        if f != 0 {
            spikes.push((base + l) as u32);
        }
    }
}

/// Spike detection over somatic potentials `v` (length: stride), for the sparse kernel.
fn threshold(v: &mut [f64], spike: Threshold<'_>) {
    let Threshold {
        refr,
        inhibit,
        v_reset_mv,
        v_detect_mv,
        t_ref_steps,
        spikes,
    } = spike;
    for base in (0..v.len()).step_by(LANES) {
        let chunk: &mut [f64; LANES] = (&mut v[base..base + LANES]).try_into().expect("stride is whole lanes");
        let mut fired = [0u32; LANES];
        if detect(
            chunk,
            &mut refr[base..base + LANES],
            &inhibit[base..base + LANES],
            v_reset_mv,
            v_detect_mv,
            t_ref_steps,
            &mut fired,
        ) {
            push_fired(&fired, base, spikes);
        }
    }
}
