//! The step loop allocates nothing once a simulation is built (recording buffers aside, which
//! this test leaves empty).

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::atomic::{AtomicUsize, Ordering};

use dendra_experiments_free::network;
use dendra_sim::{RunConfig, Simulation};

struct Counting;

static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);

thread_local! {
    /// Only the test's own thread is counted (the harness's threads allocate as they please).
    static TRACKED: Cell<bool> = const { Cell::new(false) };
}

// SAFETY: forwards to the system allocator, only counting calls.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if TRACKED.with(Cell::get) {
            ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        }
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

mod dendra_experiments_free {
    //! A small recurrent network with a Poisson drive, built without the experiments crate.
    use std::sync::Arc;

    use dendra_model::*;

    pub fn network() -> NetworkDesc {
        let mut t = NeuronTemplate::point(
            "lif",
            SomaParams::default(),
            vec![
                ReceptorParams::current("exc", 0, 5.0),
                ReceptorParams::conductance("inh", 0, 10.0, -80.0),
            ],
        );
        let mut d = CompartmentParams::new("apical", Role::at(Site::ApicalTuft), 0, 100.0);
        d.plateau = Some(PlateauParams::default());
        t.compartments.push(d);
        t.initial = InitialPotential::Uniform {
            lo_mv: -70.0,
            hi_mv: -50.0,
        };
        let proj = |name: &str, source, receptor, w| ProjectionDesc {
            name: name.into(),
            source,
            target: 0,
            receptor,
            connectivity: Connectivity::FixedIndegree { k: 50 },
            weight: WeightDist::Constant(w),
            delay_ms: 1.0,
            delay_max_ms: None,
            placement: Placement::Uniform,
            allow_autapses: false,
            delay_site: dendra_model::DelaySite::Axonal,
        };
        NetworkDesc {
            populations: vec![
                Population {
                    name: "n".into(),
                    size: 500,
                    kind: PopulationKind::Neurons(Arc::new(t)),
                },
                Population {
                    name: "drive".into(),
                    size: 500,
                    kind: PopulationKind::Source(SourceParams::Poisson { rate_hz: 20.0 }),
                },
            ],
            projections: vec![proj("drive", 1, 0, 40.0), proj("rec", 0, 1, 0.5)],
            ..NetworkDesc::default()
        }
    }
}

#[test]
fn step_loop_does_not_allocate() {
    let net = network();
    let mut sim = Simulation::new(&net, &RunConfig { seed: 1, threads: 1 }).unwrap();
    sim.run(50.0).unwrap();
    TRACKED.with(|t| t.set(true));
    let before = ALLOCATIONS.load(Ordering::Relaxed);
    sim.run(500.0).unwrap();
    let after = ALLOCATIONS.load(Ordering::Relaxed);
    TRACKED.with(|t| t.set(false));
    assert!(sim.stats().events > 10_000, "the network must be active");
    assert_eq!(after - before, 0, "allocations inside the step loop");
}
