//! Synapse positions along a compartment, stored as 16-bit codes: code `q` stands for
//! `q · L / 65535` µm on a compartment of length `L`, so the resolution is `L / 65535` (1.5 nm
//! on a 100 µm branch, 15 nm on a 1 mm one), far below the optical resolution of the spine
//! imaging such positions come from, at half the bytes of an `f32`. Positions that are whole
//! multiples of that step (the ends, and `L / 5`, `L / 3` and such) are exact.

/// The largest code: the far end of the compartment.
const TOP: f64 = 65_535.0;

/// The coding of positions (µm) along one compartment.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PositionScale {
    length_um: f64,
}

impl PositionScale {
    /// The scale of a compartment `length_um` long (0 for one without length: every position
    /// codes to 0).
    pub fn new(length_um: f64) -> Self {
        PositionScale {
            length_um: if length_um.is_finite() && length_um > 0.0 {
                length_um
            } else {
                0.0
            },
        }
    }

    /// The scale of a compartment 65535 µm long, whose codes are whole µm (for tests and
    /// examples).
    pub const fn unit() -> Self {
        PositionScale { length_um: TOP }
    }

    /// The compartment's length (µm).
    pub fn length_um(&self) -> f64 {
        self.length_um
    }

    /// The distance (µm) between neighbouring codes.
    pub fn step_um(&self) -> f64 {
        self.length_um / TOP
    }

    /// The code nearest to `x_um`, clamped to the compartment (NaN codes to 0).
    pub fn encode(&self, x_um: f64) -> u16 {
        if self.length_um == 0.0 {
            return 0;
        }
        // `as` saturates, and maps NaN to 0.
        (x_um / self.length_um * TOP).round().clamp(0.0, TOP) as u16
    }

    /// The position (µm) code `code` stands for.
    pub fn decode(&self, code: u16) -> f32 {
        (f64::from(code) * self.length_um / TOP) as f32
    }

    /// The largest difference of codes whose positions lie at most `radius_um` apart (all of
    /// them for an infinite radius, none for a negative or NaN one).
    pub fn reach(&self, radius_um: f64) -> u32 {
        if radius_um.is_nan() || radius_um < 0.0 {
            return 0;
        }
        if self.length_um == 0.0 {
            return u32::from(u16::MAX);
        }
        snap_whole(radius_um / self.length_um * TOP).floor().min(TOP) as u32
    }
}

/// `x`, or the whole number nearest to it when within 10^-9 of it (relative to `x`, at least
/// absolute), so that a ratio such as 0.3 / 0.1 = 2.9999999999999996 counts as 3 before it is
/// rounded up or down.
pub(crate) fn snap_whole(x: f64) -> f64 {
    let nearest = x.round();
    if (x - nearest).abs() <= 1e-9 * x.abs().max(1.0) {
        nearest
    } else {
        x
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_within_half_a_step() {
        let scale = PositionScale::new(120.0);
        for i in 0..=1200 {
            let x = f64::from(i) * 0.1;
            let back = f64::from(scale.decode(scale.encode(x)));
            assert!((back - x).abs() <= 0.5 * scale.step_um() + 1e-5, "{x} -> {back}");
        }
        assert_eq!(scale.decode(scale.encode(24.0)), 24.0, "L / 5 is exact");
        assert_eq!(
            (scale.encode(-3.0), scale.encode(500.0), scale.encode(f64::NAN)),
            (0, 65_535, 0)
        );
        assert_eq!(scale.decode(65_535), 120.0);
    }

    #[test]
    fn reach_holds_the_codes_within_the_radius() {
        let scale = PositionScale::new(100.0);
        let r = scale.reach(10.0);
        assert_eq!(r, 6553, "10 µm = 6553.5 steps");
        assert!(f64::from(r) * scale.step_um() <= 10.0);
        assert!(f64::from(r + 1) * scale.step_um() > 10.0);
        assert_eq!(scale.reach(20.0), 13_107, "a whole number of steps");
        assert_eq!(scale.reach(0.0), 0);
        assert_eq!(scale.reach(f64::INFINITY), 65_535);
        assert_eq!(scale.reach(-1.0), 0);
        assert_eq!(scale.reach(f64::NAN), 0);
        assert_eq!(PositionScale::new(0.0).reach(1.0), 65_535);
        assert_eq!(PositionScale::new(0.0).encode(7.0), 0);
    }
}
