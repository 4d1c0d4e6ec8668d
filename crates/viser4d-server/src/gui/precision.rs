//! Decimal places and default steps of numeric inputs, by viser's rules.
//! The client limits both the digits it shows and those a user may type to
//! an input's `precision`, so precision must cover every value the input
//! starts with or may legally take, not only its step.

/// viser gives up looking for more digits after this many.
const MAX_DIGITS: usize = 7;

/// Decimal places needed to write `x` exactly (at most 7): `100` -> 0,
/// `12.1` -> 1, `0.007` -> 3.
pub(crate) fn precision_digits(x: f64) -> usize {
    if !x.is_finite() {
        return 0;
    }
    // `{:.N}` rounds correctly from the exact binary value, as Python's
    // `round(x, N)` does, so "x survives rounding to N places" means the
    // same thing here as in viser.
    (0..MAX_DIGITS)
        .find(|&digits| format!("{x:.digits$}").parse::<f64>() == Ok(x))
        .unwrap_or(MAX_DIGITS)
}

/// Decimal places covering every value given.
pub(crate) fn precision_covering(values: &[f64]) -> i64 {
    let digits = values.iter().map(|x| precision_digits(*x)).max();
    // At most MAX_DIGITS, so the conversion cannot fail.
    i64::try_from(digits.unwrap_or(0)).unwrap_or(0)
}

/// A step fitting `x`'s last decimal: `12` -> 1, `12.02` -> 0.01.
pub(crate) fn step_for(x: f64) -> f64 {
    let digits = precision_digits(x);
    // `digits` is at most MAX_DIGITS: 10^digits is exact, and one division
    // gives the correctly rounded 0.1, 0.01, ... that viser's `10 ** -d` does.
    1.0 / 10f64.powi(digits as i32)
}

/// The default step of an input: the finest step any of `values` needs.
pub(crate) fn default_step(values: &[f64]) -> f64 {
    values.iter().map(|x| step_for(*x)).fold(1.0, f64::min)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digits_match_viser() {
        for (x, digits) in [
            (100.0, 0),
            (12.0, 0),
            (12.1, 1),
            (10.2, 1),
            (0.007, 3),
            (12.02, 2),
            (-0.5, 1),
            (1.0 / 3.0, 7),
            (f64::NAN, 0),
        ] {
            assert_eq!(precision_digits(x), digits, "{x}");
        }
    }

    #[test]
    fn steps_match_viser() {
        assert_eq!(step_for(100.0), 1.0);
        assert_eq!(step_for(12.1), 0.1);
        assert_eq!(step_for(0.004), 0.001);
        assert_eq!(default_step(&[]), 1.0);
        assert_eq!(default_step(&[3.0, 0.25]), 0.01);
        assert_eq!(precision_covering(&[0.5, 1.0, 0.25]), 2);
    }
}
