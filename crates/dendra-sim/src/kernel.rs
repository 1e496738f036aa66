//! The hot loops of the neuron update, written over fixed-width lane chunks so that the
//! compiler vectorises them, and compiled for several instruction sets with run-time dispatch.
//!
//! Every variant executes the same floating-point operations in the same order (Rust never
//! contracts `a * b + c` into a fused multiply-add), so results are bit-identical whichever
//! variant the CPU selects.

// Lane loops index several arrays in lock step; that is their point.
#![allow(clippy::needless_range_loop)]

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

/// All `NS` states of [`LANES`] neurons stay in registers through the step: `Φ` (skipping its
/// zeros, in the same order as the sparse kernel), then the external input, then the arrivals, then spike
/// detection on the soma.
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
    let chunks = stride / LANES;
    let mut phi = [[0.0f64; NS]; NS];
    let mut off = [0.0f64; NS];
    for k in 0..NS {
        phi[k].copy_from_slice(&prop.phi_dense[k * NS..(k + 1) * NS]);
        off[k] = prop.offset[k];
    }
    // Row views as lane chunks: xr[j][c] is chunk c of state j. Fixed-size arrays of views (rows
    // beyond a buffer's height are empty), so nothing is allocated per step.
    let mut x_rows = x.chunks_exact(stride);
    let xr: [&[[f64; LANES]]; NS] =
        std::array::from_fn(|_| x_rows.next().map_or(&[][..], |r| r.as_chunks().0));
    let mut next_rows = next.chunks_exact_mut(stride);
    let nr: [&mut [[f64; LANES]]; NS] =
        std::array::from_fn(|_| next_rows.next().map_or(&mut [][..], |r| r.as_chunks_mut().0));
    let mut ring_rows = ring.chunks_exact_mut(stride);
    let rr: [&mut [[f64; LANES]]; NS] =
        std::array::from_fn(|_| ring_rows.next().map_or(&mut [][..], |r| r.as_chunks_mut().0));
    let mut u_rows = u.unwrap_or(&[]).chunks_exact(stride);
    let ur: [&[[f64; LANES]]; NS] =
        std::array::from_fn(|_| u_rows.next().map_or(&[][..], |r| r.as_chunks().0));
    let (refr, _) = refr.as_chunks_mut::<LANES>();
    let (inhibit, _) = inhibit.as_chunks::<LANES>();
    assert!(refr.len() >= chunks && inhibit.len() >= chunks);
    assert!(
        xr.iter()
            .chain(&ur[..if HAS_U { nc } else { 0 }])
            .all(|r| r.len() == chunks)
    );
    assert!(nr.iter().all(|r| r.len() == chunks) && rr[..NS - nc].iter().all(|r| r.len() == chunks));
    let mut fired = [0u32; LANES];
    for c in 0..chunks {
        let xs: [[f64; LANES]; NS] = std::array::from_fn(|j| xr[j][c]);
        for k in 0..NS {
            let mut acc = [off[k]; LANES];
            for j in 0..NS {
                let p = phi[k][j];
                // Structural zeros (e.g. receptor rows) are skipped; the branch is the same for
                // every chunk, so it is always predicted.
                if p != 0.0 {
                    for l in 0..LANES {
                        acc[l] += p * xs[j][l];
                    }
                }
            }
            if HAS_U {
                for (cc, uc) in ur[..nc].iter().enumerate() {
                    let psi = prop.psi_dense[k * nc + cc];
                    let uc = &uc[c];
                    for l in 0..LANES {
                        acc[l] += psi * uc[l];
                    }
                }
            }
            if k >= nc {
                let lane = &mut rr[k - nc][c];
                for l in 0..LANES {
                    acc[l] += lane[l];
                }
                *lane = [0.0; LANES];
            }
            if k == 0
                && detect(
                    &mut acc,
                    &mut refr[c],
                    &inhibit[c],
                    v_reset_mv,
                    v_detect_mv,
                    t_ref_steps,
                    &mut fired,
                )
            {
                push_fired(&fired, c * LANES, spikes);
            }
            nr[k][c] = acc;
        }
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
    refr: &mut [u32; LANES],
    inhibit: &[u32; LANES],
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
        let chunk: &mut [f64; LANES] = (&mut v[base..base + LANES])
            .try_into()
            .expect("stride is whole lanes");
        let mut fired = [0u32; LANES];
        let r: &mut [u32; LANES] = (&mut refr[base..base + LANES]).try_into().expect("whole lanes");
        let inh: &[u32; LANES] = (&inhibit[base..base + LANES]).try_into().expect("whole lanes");
        if detect(chunk, r, inh, v_reset_mv, v_detect_mv, t_ref_steps, &mut fired) {
            push_fired(&fired, base, spikes);
        }
    }
}
