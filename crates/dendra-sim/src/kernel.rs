//! The hot loops of the neuron update, written over fixed-width lane chunks so that the
//! compiler vectorises them, and compiled for several instruction sets with run-time dispatch.
//!
//! Every variant executes the same floating-point operations in the same order, each product
//! and its sum as one fused multiply-add (`f64::mul_add`, rounded once), so results are
//! bit-identical whichever variant the CPU selects. The AVX-512 and AVX2 variants need the
//! CPU's FMA instructions (every CPU with AVX2 since 2013 has them) and halve the vector
//! operations of the propagator; the portable variant computes the same fused operations (in
//! hardware on aarch64 and on x86-64 CPUs with FMA, through the C library's exact `fma`
//! elsewhere, slower but with the same bits).

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
    /// State, `x[k * stride + i]`, advanced in place.
    pub x: &'a mut [f64],
    /// Scratch of `n_state * CHUNK` values (used by the kernel for large templates).
    pub scratch: &'a mut [f64],
    /// External current per compartment, `u[c * stride + i]`, if any input is active.
    pub u: Option<&'a [f64]>,
    /// This step's arrivals, `ring[r * stride + i]` for receptor `r`; zeroed as they are read.
    /// Single precision: they are sums of `f32` weights, and half the bytes move.
    pub ring: &'a mut [f32],
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
        if has_fma() && std::arch::is_x86_feature_detected!("avx512f") {
            // SAFETY: the CPU supports AVX-512F and FMA, checked just above.
            return unsafe { dispatch!(args, avx512) };
        }
        if has_fma() && std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU supports AVX2 and FMA, checked just above.
            return unsafe { dispatch!(args, avx2) };
        }
    }
    dispatch!(args, portable)
}

/// Whether the CPU has fused multiply-add instructions (the vector variants need them).
#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn has_fma() -> bool {
    std::arch::is_x86_feature_detected!("fma")
}

/// Call the kernel for `$args`'s template: the register-resident dendritic kernel for 1 to 4
/// compartments (a point neuron is one) with 1 to 4 decaying receptors, the small one for up to
/// 8 state variables, else the sparse chunked one. Each (kernel, size, input) combination is a
/// function of its own, so the compiler allocates registers for one loop at a time (one
/// function holding all of them spilled loop constants to the stack, at up to 3x the time,
/// depending on unrelated code).
macro_rules! dispatch {
    ($args:expr, $isa:ident) => {{
        let args = $args;
        let has_u = args.u.is_some();
        macro_rules! pick {
            ($kernel:ident, $n:literal) => {
                if has_u {
                    $isa::$kernel::<$n, true>(args)
                } else {
                    $isa::$kernel::<$n, false>(args)
                }
            };
        }
        macro_rules! dendritic {
            ($nc:literal, $nr:literal) => {
                if has_u {
                    $isa::dendritic::<$nc, $nr, true>(args)
                } else {
                    $isa::dendritic::<$nc, $nr, false>(args)
                }
            };
        }
        let decaying = args.prop.decaying_receptors;
        match (args.prop.n_comp, decaying, args.prop.n_state) {
            (1, Some(1), _) => dendritic!(1, 1),
            (1, Some(2), _) => dendritic!(1, 2),
            (1, Some(3), _) => dendritic!(1, 3),
            (1, Some(4), _) => dendritic!(1, 4),
            (2, Some(1), _) => dendritic!(2, 1),
            (2, Some(2), _) => dendritic!(2, 2),
            (2, Some(3), _) => dendritic!(2, 3),
            (2, Some(4), _) => dendritic!(2, 4),
            (3, Some(1), _) => dendritic!(3, 1),
            (3, Some(2), _) => dendritic!(3, 2),
            (3, Some(3), _) => dendritic!(3, 3),
            (3, Some(4), _) => dendritic!(3, 4),
            (4, Some(1), _) => dendritic!(4, 1),
            (4, Some(2), _) => dendritic!(4, 2),
            (4, Some(3), _) => dendritic!(4, 3),
            (4, Some(4), _) => dendritic!(4, 4),
            (_, _, 1) => pick!(small, 1),
            (_, _, 2) => pick!(small, 2),
            (_, _, 3) => pick!(small, 3),
            (_, _, 4) => pick!(small, 4),
            (_, _, 5) => pick!(small, 5),
            (_, _, 6) => pick!(small, 6),
            (_, _, 7) => pick!(small, 7),
            (_, _, 8) => pick!(small, 8),
            _ => $isa::sparse(args),
        }
    }};
}
use dispatch;

/// The kernels compiled for an instruction set (the same source, the same operations), or
/// for the portable baseline without an attribute.
macro_rules! isa_kernels {
    ($(#[$m:meta])* mod $isa:ident, lanes $w:literal, from_memory $mem:literal, $(#[$f:meta])*) => {
        $(#[$m])*
        mod $isa {
            use super::{Integrate, integrate_dendritic, integrate_small, integrate_sparse};

            $(#[$f])*
            pub(super) fn dendritic<const NC: usize, const NR: usize, const HAS_U: bool>(
                args: Integrate<'_>,
            ) {
                integrate_dendritic::<NC, NR, HAS_U, $w, $mem>(args)
            }

            $(#[$f])*
            pub(super) fn small<const NS: usize, const HAS_U: bool>(args: Integrate<'_>) {
                integrate_small::<NS, HAS_U>(args)
            }

            $(#[$f])*
            pub(super) fn sparse(args: Integrate<'_>) {
                integrate_sparse(args)
            }
        }
    };
}
isa_kernels!(#[cfg(target_arch = "x86_64")] mod avx512, lanes 8, from_memory true, #[target_feature(enable = "avx512f,fma")]);
isa_kernels!(#[cfg(target_arch = "x86_64")] mod avx2, lanes 4, from_memory false, #[target_feature(enable = "avx2,fma")]);
isa_kernels!(mod portable, lanes 8, from_memory false,);

/// The first `N` rows (of `stride` values each) of `buf` as lane chunks; rows beyond the
/// buffer's height are empty. A fixed-size array of views, so nothing is allocated per step.
#[inline(always)]
fn lane_rows_mut<T, const N: usize>(buf: &mut [T], stride: usize) -> [&mut [[T; LANES]]; N] {
    let mut rows = buf.chunks_exact_mut(stride);
    std::array::from_fn(|_| rows.next().map_or(&mut [][..], |r| r.as_chunks_mut().0))
}

/// `NC` compartments with `NR` decaying receptors: each compartment row of `Φ` taken whole
/// (`V_k' = c_k + Σ_j Φ_kj x_j (+ Σ_c Ψ_kc u_c)`, over every state `j`), each receptor row a
/// decay plus the arrivals, then spike detection on the soma; `W` neurons at a time, all in
/// registers, with every loop bound a constant, so that nothing is branched on per chunk;
/// with `FROM_MEMORY`, the coefficients of `Φ` are read from memory by each chunk.
/// The same operations in the same order as [`integrate_small`] (which skips the zeros of `Φ`;
/// a compartment row has none, the coupled potentials spreading every input).
#[inline(always)]
fn integrate_dendritic<
    const NC: usize,
    const NR: usize,
    const HAS_U: bool,
    const W: usize,
    const FROM_MEMORY: bool,
>(
    args: Integrate<'_>,
) {
    let Integrate {
        prop,
        x,
        u,
        ring,
        stride,
        spike,
        ..
    } = args;
    let (free_at, inhibit, rule, fired, spikes) = spike.into_parts();
    let ns = NC + NR;
    let chunks = stride / LANES;
    // Compartment rows of Φ (all NC + NR columns, flattened) and Ψ, the offsets, the decays.
    // Filled by plain loops: the nested `array::from_fn` was an out-of-line call per step.
    let mut phi = [[0.0; 8]; NC];
    let mut psi = [[0.0; NC]; NC];
    let mut off = [0.0; NC];
    for k in 0..NC {
        phi[k][..ns].copy_from_slice(&prop.phi_dense[k * ns..(k + 1) * ns]);
        psi[k].copy_from_slice(&prop.psi_dense[k * NC..(k + 1) * NC]);
        off[k] = prop.offset[k];
    }
    let mut psi_r = [[0.0; NC]; NR];
    let mut decay = [0.0; NR];
    for r in 0..NR {
        psi_r[r].copy_from_slice(&prop.psi_dense[(NC + r) * NC..(NC + r + 1) * NC]);
        decay[r] = prop.phi_dense[(NC + r) * ns + NC + r];
    }
    let (v_rows, r_rows) = x.split_at_mut(NC * stride);
    let vr: [&mut [[f64; LANES]]; NC] = lane_rows_mut(v_rows, stride);
    let ir: [&mut [[f64; LANES]]; NR] = lane_rows_mut(r_rows, stride);
    let rr: [&mut [[f32; LANES]]; NR] = lane_rows_mut(ring, stride);
    let mut u_rows = u.unwrap_or(&[]).chunks_exact(stride);
    let ur: [&[[f64; LANES]]; NC] =
        std::array::from_fn(|_| u_rows.next().map_or(&[][..], |r| r.as_chunks().0));
    let (free_at, _) = free_at.as_chunks_mut::<LANES>();
    let (inhibit, _) = inhibit.as_chunks::<LANES>();
    assert!(free_at.len() >= chunks && inhibit.len() >= chunks && fired.len() >= chunks);
    assert!(vr.iter().all(|r| r.len() == chunks) && ir.iter().all(|r| r.len() == chunks));
    assert!(rr.iter().all(|r| r.len() == chunks));
    assert!(!HAS_U || ur.iter().all(|r| r.len() == chunks));
    // Whether any lane spiked: most steps have no spike, and then nothing is scanned.
    let mut any = 0u8;
    for c in 0..chunks {
        // W lanes at a time: the states and accumulators of one sub-chunk fit the vector
        // registers together (on AVX2, 8 lanes were 14 registers of state and spilled).
        let mut mask = 0u8;
        // Where every FMA can take its coefficient from memory, broadcast on the fly (AVX-512),
        // the coefficients are read in the loop: hoisted, 28 broadcasts were spilled to the
        // stack on every call (a third of the kernel's time at 100 neurons). Opaque, they
        // cannot be hoisted; the values are the same.
        let phi = if FROM_MEMORY {
            std::hint::black_box(&phi)
        } else {
            &phi
        };
        for h in 0..LANES / W {
            let lanes = h * W..h * W + W;
            let vs: [[f64; W]; NC] = std::array::from_fn(|j| sub(&vr[j][c], h));
            let is: [[f64; W]; NR] = std::array::from_fn(|r| sub(&ir[r][c], h));
            let us: [[f64; W]; NC] =
                std::array::from_fn(|cc| if HAS_U { sub(&ur[cc][c], h) } else { [0.0; W] });
            for k in 0..NC {
                let mut acc = [off[k]; W];
                for j in 0..NC {
                    for l in 0..W {
                        acc[l] = phi[k][j].mul_add(vs[j][l], acc[l]);
                    }
                }
                for r in 0..NR {
                    for l in 0..W {
                        acc[l] = phi[k][NC + r].mul_add(is[r][l], acc[l]);
                    }
                }
                if HAS_U {
                    for cc in 0..NC {
                        for l in 0..W {
                            acc[l] = psi[k][cc].mul_add(us[cc][l], acc[l]);
                        }
                    }
                }
                if k == 0 {
                    let free: &mut [u64; W] = &mut free_at[c].as_chunks_mut().0[h];
                    let inh: &[u8; W] = &inhibit[c].as_chunks().0[h];
                    mask |= detect(&mut acc, free, inh, rule) << (h * W);
                }
                vr[k][c][lanes.clone()].copy_from_slice(&acc);
            }
            for r in 0..NR {
                let a: [f32; W] = sub(&rr[r][c], h);
                let mut out = [0.0f64; W];
                for l in 0..W {
                    out[l] = decay[r].mul_add(is[r][l], 0.0);
                }
                if HAS_U {
                    for cc in 0..NC {
                        for l in 0..W {
                            out[l] = psi_r[r][cc].mul_add(us[cc][l], out[l]);
                        }
                    }
                }
                for l in 0..W {
                    out[l] += f64::from(a[l]);
                }
                ir[r][c][lanes.clone()].copy_from_slice(&out);
                rr[r][c][lanes.clone()].fill(0.0);
            }
        }
        fired[c] = mask;
        any |= mask;
    }
    if any != 0 {
        push_fired(&fired[..chunks], spikes);
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
        u,
        ring,
        stride,
        spike,
        ..
    } = args;
    let (free_at, inhibit, rule, fired, spikes) = spike.into_parts();
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
    // A chunk's states are all loaded before any is written, so the update is in place.
    let xr: [&mut [[f64; LANES]]; NS] = lane_rows_mut(x, stride);
    let rr: [&mut [[f32; LANES]]; NS] = lane_rows_mut(ring, stride);
    let mut u_rows = u.unwrap_or(&[]).chunks_exact(stride);
    let ur: [&[[f64; LANES]]; NS] =
        std::array::from_fn(|_| u_rows.next().map_or(&[][..], |r| r.as_chunks().0));
    let (free_at, _) = free_at.as_chunks_mut::<LANES>();
    let (inhibit, _) = inhibit.as_chunks::<LANES>();
    assert!(free_at.len() >= chunks && inhibit.len() >= chunks && fired.len() >= chunks);
    assert!(xr.iter().all(|r| r.len() == chunks));
    assert!(ur[..if HAS_U { nc } else { 0 }].iter().all(|r| r.len() == chunks));
    assert!(rr[..NS - nc].iter().all(|r| r.len() == chunks));
    let mut any = 0u8;
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
                        acc[l] = p.mul_add(xs[j][l], acc[l]);
                    }
                }
            }
            if HAS_U {
                for (cc, uc) in ur[..nc].iter().enumerate() {
                    let psi = prop.psi_dense[k * nc + cc];
                    let uc = &uc[c];
                    for l in 0..LANES {
                        acc[l] = psi.mul_add(uc[l], acc[l]);
                    }
                }
            }
            if k >= nc {
                let lane = &mut rr[k - nc][c];
                for l in 0..LANES {
                    acc[l] += f64::from(lane[l]);
                }
                *lane = [0.0f32; LANES];
            }
            if k == 0 {
                fired[c] = detect(&mut acc, &mut free_at[c], &inhibit[c], rule);
                any |= fired[c];
            }
            xr[k][c] = acc;
        }
    }
    if any != 0 {
        push_fired(&fired[..chunks], spikes);
    }
}

/// Chunked sparse kernel for larger templates: each row of `Φ` is a pass over a chunk.
#[inline(always)]
fn integrate_sparse(args: Integrate<'_>) {
    let Integrate {
        prop,
        x,
        scratch,
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
            let out = &mut scratch[k * CHUNK..k * CHUNK + len];
            out.fill(prop.offset[k]);
            for &(j, c) in &prop.rows[k] {
                let xj = &x[j * stride + base..j * stride + base + len];
                for (o, &v) in out.iter_mut().zip(xj) {
                    *o = c.mul_add(v, *o);
                }
            }
            if let Some(u) = u {
                for &(cc, c) in &prop.input_rows[k] {
                    let uc = &u[cc * stride + base..cc * stride + base + len];
                    for (o, &v) in out.iter_mut().zip(uc) {
                        *o = c.mul_add(v, *o);
                    }
                }
            }
            if k >= nc {
                let lane = &mut ring[(k - nc) * stride + base..(k - nc) * stride + base + len];
                for (o, a) in out.iter_mut().zip(lane.iter_mut()) {
                    *o += f64::from(*a);
                    *a = 0.0;
                }
            }
        }
        for k in 0..ns {
            x[k * stride + base..k * stride + base + len]
                .copy_from_slice(&scratch[k * CHUNK..k * CHUNK + len]);
        }
        base += len;
    }
    threshold(&mut x[..stride], spike);
}

/// Somatic spike detection: hold refractory somata at reset; a resting soma at or above the
/// detection potential that is not inhibited spikes, is reset and becomes refractory.
pub struct Threshold<'a> {
    /// The step at which each neuron's refractory period ends (length: stride): the soma is
    /// refractory during steps `n < free_at`. Written only when the neuron spikes.
    pub free_at: &'a mut [u64],
    /// The step being taken.
    pub step: u64,
    /// Non-zero where spikes are impossible: blocked, voltage-clamped, or padding (length: stride).
    pub inhibit: &'a [u8],
    /// Reset potential (mV).
    pub v_reset_mv: f64,
    /// Spike detection potential (mV).
    pub v_detect_mv: f64,
    /// Refractory period (steps).
    pub t_ref_steps: u64,
    /// Scratch of one byte per lane chunk (length: stride / LANES): which lanes spiked. The
    /// kernels store masks here and append the spikes after their loop, so the loop makes no
    /// call (a call clobbers every vector register, and with one in the loop the compiler kept
    /// the loop's constants on the stack, at up to 3x the time).
    pub fired: &'a mut [u8],
    /// Local indices of spiking neurons are appended here, ascending.
    pub spikes: &'a mut Vec<u32>,
}

impl<'a> Threshold<'a> {
    /// The refractory stamps, the inhibition mask, the scalar rule and the spike output.
    #[inline(always)]
    fn into_parts(self) -> (&'a mut [u64], &'a [u8], Detector, &'a mut [u8], &'a mut Vec<u32>) {
        let rule = Detector {
            step: self.step,
            v_reset_mv: self.v_reset_mv,
            v_detect_mv: self.v_detect_mv,
            t_ref_steps: self.t_ref_steps,
        };
        (self.free_at, self.inhibit, rule, self.fired, self.spikes)
    }
}

/// Threshold logic on `W` somata (at most 8); returns the lanes that spiked as a bit mask
/// (bit `l`: lane `l`). A mask, not an array of flags: the compiler keeps it in a mask
/// register, where an array of flags was at times spilled to the stack in the hot loop.
#[inline(always)]
fn detect<const W: usize>(v: &mut [f64; W], free_at: &mut [u64; W], inhibit: &[u8; W], rule: Detector) -> u8 {
    let Detector {
        step,
        v_reset_mv,
        v_detect_mv,
        t_ref_steps,
    } = rule;
    let mut flags = [0u64; W];
    for l in 0..W {
        let resting = step >= free_at[l];
        let spike = resting & (v[l] >= v_detect_mv) & (inhibit[l] == 0);
        v[l] = if spike | !resting { v_reset_mv } else { v[l] };
        flags[l] = spike as u64;
    }
    // (Lane flags folded, not a bit mask built lane by lane: the compiler vectorises this.)
    if flags.iter().fold(0, |a, &f| a | f) == 0 {
        return 0;
    }
    let mut fired = 0u8;
    for l in 0..W {
        if flags[l] != 0 {
            fired |= 1 << l;
            // Refractory during steps step+1 ..= step+t_ref.
            free_at[l] = step + 1 + t_ref_steps;
        }
    }
    fired
}

/// Lanes `h * W .. (h + 1) * W` of a lane chunk, copied.
#[inline(always)]
fn sub<T: Copy, const W: usize>(chunk: &[T; LANES], h: usize) -> [T; W] {
    chunk.as_chunks().0[h]
}

/// The scalar parameters of [`detect`].
#[derive(Clone, Copy)]
struct Detector {
    step: u64,
    v_reset_mv: f64,
    v_detect_mv: f64,
    t_ref_steps: u64,
}

/// Append the lanes set in each chunk's mask of `fired` to `spikes`, ascending. Masks are
/// read eight at a time: most are zero.
fn push_fired(fired: &[u8], spikes: &mut Vec<u32>) {
    let (words, rest) = fired.as_chunks::<8>();
    let push = |c: usize, mask: u8, spikes: &mut Vec<u32>| {
        if mask == 0 {
            return;
        }
        for l in 0..LANES {
            if mask >> l & 1 != 0 {
                spikes.push((c * LANES + l) as u32);
            }
        }
    };
    for (w, word) in words.iter().enumerate() {
        if u64::from_ne_bytes(*word) != 0 {
            for (b, &mask) in word.iter().enumerate() {
                push(8 * w + b, mask, spikes);
            }
        }
    }
    for (b, &mask) in rest.iter().enumerate() {
        push(8 * words.len() + b, mask, spikes);
    }
}

/// Spike detection over somatic potentials `v` (length: stride), for the sparse kernel.
fn threshold(v: &mut [f64], spike: Threshold<'_>) {
    let (free_at, inhibit, rule, fired, spikes) = spike.into_parts();
    for base in (0..v.len()).step_by(LANES) {
        let chunk: &mut [f64; LANES] = (&mut v[base..base + LANES])
            .try_into()
            .expect("stride is whole lanes");
        let f: &mut [u64; LANES] = (&mut free_at[base..base + LANES])
            .try_into()
            .expect("whole lanes");
        let inh: &[u8; LANES] = (&inhibit[base..base + LANES]).try_into().expect("whole lanes");
        fired[base / LANES] = detect(chunk, f, inh, rule);
    }
    push_fired(&fired[..v.len() / LANES], spikes);
}

#[cfg(test)]
mod tests {
    use super::*;
    use dendra_model::{CompartmentParams, NeuronTemplate, ReceptorParams, Role, Site, SomaParams};

    /// A template with `dendrites` dendritic compartments in a chain and `receptors` current
    /// receptors spread over the compartments.
    fn template(dendrites: usize, receptors: usize) -> NeuronTemplate {
        let mut t = NeuronTemplate::point(
            "t",
            SomaParams::default(),
            (0..receptors)
                .map(|r| ReceptorParams::current("r", r % (dendrites + 1), 2.0 + r as f64))
                .collect(),
        );
        t.compartments = (0..dendrites)
            .map(|d| CompartmentParams::new("d", Role::at(Site::Basal), d, 100.0))
            .collect();
        t
    }

    /// The state after `steps` steps of `isa`'s kernels from a fixed, varied start (some
    /// neurons above threshold, some refractory, some inhibited; with and without input).
    fn run(isa: &str, t: &NeuronTemplate, with_u: bool) -> (Vec<f64>, Vec<f32>, Vec<u64>, Vec<u32>) {
        let prop = Propagator::new(t, 0.1);
        let n = 37;
        let stride = padded(n);
        let ns = prop.n_state;
        let wave = |k: usize, a: f64| (k as f64 * 0.618_034).fract() * a;
        let mut x: Vec<f64> = (0..ns * stride)
            .map(|k| {
                if k < stride {
                    -70.0 + wave(k, 25.0)
                } else {
                    wave(k, 50.0)
                }
            })
            .collect();
        let mut ring: Vec<f32> = (0..(ns - prop.n_comp) * stride)
            .map(|k| wave(k, 30.0) as f32)
            .collect();
        let u: Vec<f64> = (0..prop.n_comp * stride).map(|k| wave(k, 200.0)).collect();
        let mut free_at: Vec<u64> = (0..stride).map(|i| if i % 5 == 0 { 2 } else { 0 }).collect();
        let inhibit: Vec<u8> = (0..stride).map(|i| u8::from(i % 7 == 0 || i >= n)).collect();
        let mut scratch = vec![0.0; ns * CHUNK];
        let mut fired = vec![0u8; stride / LANES];
        let mut spikes = Vec::new();
        for step in 0..4u64 {
            let args = Integrate {
                prop: &prop,
                x: &mut x,
                scratch: &mut scratch,
                u: with_u.then_some(&u[..]),
                ring: &mut ring,
                stride,
                spike: Threshold {
                    free_at: &mut free_at,
                    step,
                    inhibit: &inhibit,
                    v_reset_mv: -65.0,
                    v_detect_mv: -52.0,
                    t_ref_steps: 3,
                    fired: &mut fired,
                    spikes: &mut spikes,
                },
            };
            match isa {
                #[cfg(target_arch = "x86_64")]
                // SAFETY: called only where the CPU has the feature (checked by the caller).
                "avx512" => unsafe { dispatch!(args, avx512) },
                #[cfg(target_arch = "x86_64")]
                // SAFETY: as above.
                "avx2" => unsafe { dispatch!(args, avx2) },
                // The general small kernel, whatever the template.
                "small" => {
                    let has_u = args.u.is_some();
                    macro_rules! small {
                        ($($n:literal)*) => {
                            match ns {
                                $($n if has_u => portable::small::<$n, true>(args),
                                  $n => portable::small::<$n, false>(args),)*
                                _ => unreachable!("small templates only"),
                            }
                        };
                    }
                    small!(1 2 3 4 5 6 7 8)
                }
                _ => dispatch!(args, portable),
            }
            spikes.push(u32::MAX); // step separator
        }
        (x, ring, free_at, spikes)
    }

    #[test]
    fn the_dendritic_kernel_gives_the_same_bits_as_the_small_one() {
        for (dendrites, receptors) in [(0, 1), (0, 4), (1, 1), (1, 4), (2, 3), (3, 1), (3, 4)] {
            let t = template(dendrites, receptors);
            let prop = Propagator::new(&t, 0.1);
            assert_eq!(
                prop.decaying_receptors,
                Some(receptors),
                "dispatched to the dendritic kernel"
            );
            for with_u in [false, true] {
                let (small, dendritic) = (run("small", &t, with_u), run("portable", &t, with_u));
                assert!(small.3.len() > 4, "some neurons spike");
                assert_eq!(
                    dendritic, small,
                    "{dendrites} dendrites, {receptors} receptors, input {with_u}"
                );
            }
        }
    }

    #[test]
    fn every_instruction_set_gives_the_same_bits_as_the_portable_kernels() {
        let mut isas = vec![];
        #[cfg(target_arch = "x86_64")]
        {
            if has_fma() && std::arch::is_x86_feature_detected!("avx512f") {
                isas.push("avx512");
            }
            if has_fma() && std::arch::is_x86_feature_detected!("avx2") {
                isas.push("avx2");
            }
        }
        // Dendritic (1 to 4 compartments, 1 to 4 receptors) and sparse (6 compartments, 4
        // receptors: 10 states) kernels.
        for (dendrites, receptors) in [(0, 1), (0, 3), (1, 1), (2, 3), (3, 4), (5, 4)] {
            let t = template(dendrites, receptors);
            for with_u in [false, true] {
                let reference = run("portable", &t, with_u);
                assert!(
                    reference.3.len() > 4,
                    "some neurons spike ({dendrites}, {receptors})"
                );
                for isa in &isas {
                    assert_eq!(
                        run(isa, &t, with_u),
                        reference,
                        "{isa}, {dendrites} dendrites, {receptors} receptors, input {with_u}"
                    );
                }
            }
        }
    }
}
