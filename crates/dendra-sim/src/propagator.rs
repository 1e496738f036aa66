//! Exact integration of a neuron template's linear sub-threshold dynamics.
//!
//! Between events, the potentials of all compartments and the states of all receptors of one
//! neuron follow a linear system with constant coefficients,
//!
//! ```text
//! dx/dt = A x + b0 + B u
//! ```
//!
//! where `x = [V_0 .. V_{n_c-1}, s_0 .. s_{n_r-1}]` stacks the compartment potentials (mV; 0 is
//! the soma) and the receptor states (current `I` in pA or conductance `g` in nS), `b0` holds the
//! leak reversal terms and `u` is an external current per compartment (pA) held constant over
//! one step (current clamp, photocurrents, plateaus, the conductance-based synaptic currents and
//! the AdEx exponential term, all evaluated at the start of the step). Over a step of width `h`,
//!
//! ```text
//! x(t+h) = Φ x(t) + c + Ψ u,   with  exp([[A, b0, B], [0, 0, 0]] h) = [[Φ, c, Ψ], [0, I, 0]]
//! ```
//!
//! which is exact for the linear part (Rotter & Diesmann 1999, the scheme NEST uses for
//! `iaf_psc_exp`). The matrix exponential is computed once per template (nalgebra, Padé with
//! scaling and squaring); the step applies only the non-zero entries.

use dendra_model::{NeuronTemplate, ReceptorKind};
use nalgebra::DMatrix;

/// The per-step update of one template: sparse rows of `Φ`, the offsets `c` and the input
/// matrix `Ψ`.
#[derive(Debug, Clone)]
pub struct Propagator {
    /// Number of state variables (`n_c + n_r`).
    pub n_state: usize,
    /// Number of compartments (including the soma).
    pub n_comp: usize,
    /// For each state row `k`: the non-zero `(j, Φ_kj)`.
    pub rows: Vec<Vec<(usize, f64)>>,
    /// For each state row `k`: the constant `c_k`.
    pub offset: Vec<f64>,
    /// For each state row `k`: the non-zero `(compartment, Ψ_kc)` (mV per pA).
    pub input_rows: Vec<Vec<(usize, f64)>>,
    /// Dense `Ψ` column of each compartment, for voltage clamps: `psi_col[c][k]`.
    pub psi_col: Vec<Vec<f64>>,
    /// Dense `Φ`, row-major (`n_state × n_state`), for the small-template kernels.
    pub phi_dense: Vec<f64>,
    /// Dense `Ψ`, row-major (`n_state × n_comp`).
    pub psi_dense: Vec<f64>,
    /// The number of receptors if every receptor state only decays (`Φ` is zero off the
    /// diagonal in receptor rows, and their offsets are zero), else `None`: which kernel steps
    /// the template, found once here rather than at every step.
    pub decaying_receptors: Option<usize>,
}

impl Propagator {
    /// Build the propagator of `template` for a step of `dt_ms`.
    pub fn new(template: &NeuronTemplate, dt_ms: f64) -> Self {
        let a = system_matrix(template);
        let n_comp = template.n_compartments();
        let n_state = a.nrows();
        let m = n_state + 1 + n_comp;
        let mut aug = DMatrix::<f64>::zeros(m, m);
        aug.view_mut((0, 0), (n_state, n_state)).copy_from(&a);
        // Leak reversal column and per-compartment input columns.
        for c in 0..n_comp {
            let (c_m, g_l, e_l) = membrane(template, c);
            aug[(c, n_state)] = g_l * e_l / c_m;
            aug[(c, n_state + 1 + c)] = 1.0 / c_m;
        }
        let phi = (aug * dt_ms).exp();
        let rows = (0..n_state)
            .map(|k| {
                (0..n_state)
                    .filter_map(|j| {
                        let v = phi[(k, j)];
                        (v != 0.0).then_some((j, v))
                    })
                    .collect()
            })
            .collect();
        let offset: Vec<f64> = (0..n_state).map(|k| phi[(k, n_state)]).collect();
        let input_rows = (0..n_state)
            .map(|k| {
                (0..n_comp)
                    .filter_map(|c| {
                        let v = phi[(k, n_state + 1 + c)];
                        (v != 0.0).then_some((c, v))
                    })
                    .collect()
            })
            .collect();
        let psi_col = (0..n_comp)
            .map(|c| (0..n_state).map(|k| phi[(k, n_state + 1 + c)]).collect())
            .collect();
        let phi_dense: Vec<f64> = (0..n_state)
            .flat_map(|k| (0..n_state).map(move |j| (k, j)))
            .map(|(k, j)| phi[(k, j)])
            .collect();
        let psi_dense = (0..n_state)
            .flat_map(|k| (0..n_comp).map(move |c| (k, c)))
            .map(|(k, c)| phi[(k, n_state + 1 + c)])
            .collect();
        let decaying_receptors = decaying_receptors(n_state, n_comp, &phi_dense, &offset);
        Propagator {
            n_state,
            n_comp,
            rows,
            offset,
            input_rows,
            psi_col,
            phi_dense,
            psi_dense,
            decaying_receptors,
        }
    }
}

/// See [`Propagator::decaying_receptors`].
fn decaying_receptors(ns: usize, nc: usize, phi_dense: &[f64], offset: &[f64]) -> Option<usize> {
    if ns <= nc {
        return None;
    }
    let pure_decay = (nc..ns).all(|k| (0..ns).all(|j| j == k || phi_dense[k * ns + j] == 0.0));
    let no_offset = (nc..ns).all(|k| offset[k] == 0.0);
    (pure_decay && no_offset).then_some(ns - nc)
}

/// `(C_m in pF, g_leak in nS, E_leak in mV)` of compartment `c` (0 = soma).
pub fn membrane(template: &NeuronTemplate, c: usize) -> (f64, f64, f64) {
    if c == 0 {
        let s = &template.soma;
        (s.c_m_pf, s.g_leak_ns, s.e_leak_mv)
    } else {
        let d = &template.compartments[c - 1];
        (d.c_m_pf, d.g_leak_ns, d.e_leak_mv)
    }
}

/// The matrix `A` of the linear system (ms⁻¹ and mV/(ms·pA) entries).
pub fn system_matrix(template: &NeuronTemplate) -> DMatrix<f64> {
    let n_comp = template.n_compartments();
    let n = n_comp + template.receptors.len();
    let mut a = DMatrix::<f64>::zeros(n, n);
    for c in 0..n_comp {
        let (c_m, g_l, _) = membrane(template, c);
        a[(c, c)] -= g_l / c_m;
    }
    for (k, d) in template.compartments.iter().enumerate() {
        let (child, parent) = (k + 1, d.parent);
        let g = d.g_couple_ns;
        let c_child = membrane(template, child).0;
        let c_parent = membrane(template, parent).0;
        a[(child, child)] -= g / c_child;
        a[(child, parent)] += g / c_child;
        a[(parent, parent)] -= g / c_parent;
        a[(parent, child)] += g / c_parent;
    }
    for (r, rec) in template.receptors.iter().enumerate() {
        let s = n_comp + r;
        a[(s, s)] = -1.0 / rec.tau_ms;
        if rec.kind == ReceptorKind::Current {
            let c_m = membrane(template, rec.compartment).0;
            a[(rec.compartment, s)] = 1.0 / c_m;
        }
    }
    a
}

#[cfg(test)]
mod tests {
    use super::*;
    use dendra_model::{CompartmentParams, ReceptorParams, Role, Site, SomaParams};

    #[test]
    fn point_neuron_matches_nest_closed_form() {
        // Rotter & Diesmann propagator for iaf_psc_exp: P22 = e^{-h/τm}, P11 = e^{-h/τs},
        // P21 = τs τm / (C (τm - τs)) (e^{-h/τm} - e^{-h/τs}) ... with the sign of the
        // (P11 - P22) convention: V picks up I via (τm τs)/(C (τs - τm)) (P11 - P22).
        let soma = SomaParams::default();
        let t = NeuronTemplate::point("p", soma.clone(), vec![ReceptorParams::current("e", 0, 5.0)]);
        let h = 0.1;
        let p = Propagator::new(&t, h);
        let tau_m = soma.tau_m_ms();
        let tau_s = 5.0;
        let p22 = (-h / tau_m).exp();
        let p11 = (-h / tau_s).exp();
        let p21 = tau_m * tau_s / (soma.c_m_pf * (tau_s - tau_m)) * (p11 - p22);
        let get = |k: usize, j: usize| p.rows[k].iter().find(|e| e.0 == j).map_or(0.0, |e| e.1);
        assert!((get(0, 0) - p22).abs() < 1e-14);
        assert!((get(1, 1) - p11).abs() < 1e-14);
        assert!((get(0, 1) - p21).abs() < 1e-14, "{} vs {p21}", get(0, 1));
        assert_eq!(get(1, 0), 0.0, "receptor state does not depend on V");
        // Offset relaxes towards E_L: c = E_L (1 - P22).
        assert!((p.offset[0] - soma.e_leak_mv * (1.0 - p22)).abs() < 1e-12);
        // Input column: R (1 - P22) with R = 1/g_L (mV per pA).
        assert!((p.psi_col[0][0] - (1.0 - p22) / soma.g_leak_ns).abs() < 1e-14);
    }

    #[test]
    fn coupling_is_symmetric_in_current() {
        let mut t = NeuronTemplate::point("p", SomaParams::default(), vec![]);
        t.compartments
            .push(CompartmentParams::new("d", Role::at(Site::Basal), 0, 100.0));
        let a = system_matrix(&t);
        // C_s A[s][d] == C_d A[d][s] == g_c.
        assert!((200.0 * a[(0, 1)] - 100.0 * a[(1, 0)]).abs() < 1e-12);
        assert!((200.0 * a[(0, 1)] - 10.0).abs() < 1e-12);
    }
}
