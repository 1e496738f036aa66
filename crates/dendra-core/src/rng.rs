//! Counter-based random streams.
//!
//! Every random number in dendra comes from a stream named by a [`StreamKey`]: the run's seed,
//! the purpose of the draw (connectivity, weights, initial state, a Poisson source, ...), a group
//! (a population or projection index) and an index inside the group (a neuron, a source, a
//! synapse). The key is turned into a ChaCha8 key (from seed, purpose and group, mixed with
//! SplitMix64) and a 64-bit ChaCha stream number (the index). ChaCha is a counter-mode cipher,
//! so each stream is independent and can be created anywhere, in any order, on any thread:
//! results never depend on how work is split between threads.
//!
//! There is no automatic seeding anywhere in dendra.

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// What a stream of random numbers is used for. Distinct purposes never share a stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u32)]
pub enum Purpose {
    /// Drawing the presynaptic partners of a neuron.
    Connectivity = 1,
    /// Drawing synaptic weights.
    Weight = 2,
    /// Drawing synaptic delays.
    Delay = 3,
    /// Placing synapses along dendritic branches.
    Placement = 4,
    /// Initial state (membrane potentials).
    InitialState = 5,
    /// Spike times of a Poisson generator.
    Poisson = 6,
    /// Which neurons of a population express an opsin.
    Opsin = 7,
    /// Noise injected during the run.
    Noise = 8,
    /// Plasticity rules' own randomness.
    Plasticity = 9,
    /// Experiments and tasks (stimulus choice, behaviour).
    Task = 10,
    /// Measurement noise of simulated recordings.
    Measurement = 11,
    /// Analysis resampling: circular shifts, cross-validation folds, shuffled labels.
    Analysis = 12,
    /// Noise currents of stimuli (group: the stimulus, index: the neuron).
    NoiseCurrent = 13,
}

/// The full name of a random stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct StreamKey {
    /// The run's seed.
    pub seed: u64,
    /// What the numbers are for.
    pub purpose: Purpose,
    /// A population, projection or generator index.
    pub group: u32,
    /// A neuron, source or synapse index inside the group.
    pub index: u64,
}

impl StreamKey {
    /// Name a stream.
    pub fn new(seed: u64, purpose: Purpose, group: u32, index: u64) -> Self {
        StreamKey {
            seed,
            purpose,
            group,
            index,
        }
    }

    /// Open the stream: a fresh generator positioned at its start.
    pub fn rng(&self) -> ChaCha8Rng {
        let mut state = self.seed ^ 0x6a09_e667_f3bc_c908;
        state = splitmix64(&mut state) ^ ((self.purpose as u64) << 32 | self.group as u64);
        let mut key = [0u8; 32];
        for chunk in key.chunks_exact_mut(8) {
            chunk.copy_from_slice(&splitmix64(&mut state).to_le_bytes());
        }
        let mut rng = ChaCha8Rng::from_seed(key);
        rng.set_stream(self.index);
        rng
    }
}

/// One step of SplitMix64 (Steele, Lea & Flood 2014): advances `state` and returns a well-mixed
/// 64-bit value.
fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::RngExt;

    fn first(key: StreamKey) -> u64 {
        key.rng().random()
    }

    #[test]
    fn same_key_same_numbers() {
        let k = StreamKey::new(7, Purpose::Weight, 3, 11);
        let a: Vec<u64> = (0..5).map(|_| 0).scan(k.rng(), |r, _| Some(r.random())).collect();
        let b: Vec<u64> = (0..5).map(|_| 0).scan(k.rng(), |r, _| Some(r.random())).collect();
        assert_eq!(a, b);
    }

    #[test]
    fn every_field_of_the_key_matters() {
        let base = StreamKey::new(7, Purpose::Weight, 3, 11);
        let x = first(base);
        assert_ne!(x, first(StreamKey { seed: 8, ..base }));
        assert_ne!(
            x,
            first(StreamKey {
                purpose: Purpose::Delay,
                ..base
            })
        );
        assert_ne!(x, first(StreamKey { group: 4, ..base }));
        assert_ne!(x, first(StreamKey { index: 12, ..base }));
    }

    #[test]
    fn streams_look_uniform() {
        // Mean of U(0,1) over many streams: 1/2 within 5 standard errors.
        let n = 20_000;
        let mean: f64 = (0..n)
            .map(|i| StreamKey::new(1, Purpose::Poisson, 0, i).rng().random::<f64>())
            .sum::<f64>()
            / n as f64;
        let se = (1.0f64 / 12.0 / n as f64).sqrt();
        assert!((mean - 0.5).abs() < 5.0 * se, "mean {mean}");
    }
}
