//! Izhikevich 2007, the distal reward problem: dopamine released 1-3 s after the chosen
//! synapse's pairings makes that synapse, and not the others, grow. Sized for CI (300 s of
//! the paper's hour); the full reproduction's figures are in the module documentation.

use dendra_experiments::RunOptions;
use dendra_experiments::izhikevich2007::{Izhikevich2007Params, run_with};

#[test]
fn the_rewarded_synapse_grows_from_zero_and_the_others_do_not() {
    let p = Izhikevich2007Params {
        duration_ms: 300_000.0,
        ..Izhikevich2007Params::default()
    };
    // Seed 4 crosses 0.9 of the maximum at 336 s of its hour; the others of seeds 1-4 take
    // 404-1900 s (module documentation), too long for CI.
    let options = RunOptions {
        seed: 4,
        ..RunOptions::default()
    };
    let s = run_with(&p, &options).unwrap().summary;
    let chosen = s.number("chosen_w_over_max").unwrap();
    let others = s.number("others_mean_w_over_max").unwrap();
    let rewards = s.number("rewards").unwrap();
    assert!(rewards >= 10.0, "{rewards} rewards");
    assert!(chosen >= 0.3, "chosen synapse at {chosen} of the maximum");
    // The others start at 0.25 of the maximum and drift down under the tonic dopamine.
    assert!(others <= 0.25, "others at {others}");
    assert!(chosen > 1.5 * others, "chosen {chosen}, others {others}");
    let rate = s.number("rate_exc_hz").unwrap();
    assert!((0.5..5.0).contains(&rate), "excitatory rate {rate} Hz");

    // Control: the same run without dopamine from the rewards. The chosen synapse, which
    // starts at 0, only sees the tonic level and stays near 0.
    let control = Izhikevich2007Params { reward: 0.0, ..p };
    let c = run_with(&control, &options).unwrap().summary;
    let chosen_control = c.number("chosen_w_over_max").unwrap();
    assert!(
        chosen_control < 0.1,
        "without rewards the chosen synapse reached {chosen_control}"
    );
}
