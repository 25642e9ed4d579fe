//! Elementary statistics. Every function returns `None` rather than a NaN or an infinity.

/// Two totals are the same score when they agree to this many decimal places (scores are sums of floats, so
/// two equal totals may differ in the last bits).
const SCALE: f64 = 1e6;

/// A total as a comparable level: rounded to six decimal places.
pub(crate) fn level(x: f64) -> i64 {
    (x * SCALE).round() as i64
}

pub(crate) fn mean(xs: &[f64]) -> Option<f64> {
    (!xs.is_empty()).then(|| xs.iter().sum::<f64>() / xs.len() as f64)
}

/// All values equal (to six decimal places): no spread, whatever the float noise.
pub(crate) fn constant(xs: &[f64]) -> bool {
    xs.windows(2).all(|w| level(w[0]) == level(w[1]))
}

/// The sample variance, Σ(x − x̄)² / (n − 1): `None` below two values, exactly 0 for constant values.
pub(crate) fn sample_variance(xs: &[f64]) -> Option<f64> {
    if xs.len() < 2 {
        return None;
    }
    if constant(xs) {
        return Some(0.0);
    }
    let m = mean(xs)?;
    Some(xs.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (xs.len() - 1) as f64)
}

/// Pearson's correlation of two paired samples: `None` below two pairs or when either sample is constant
/// (the correlation is undefined), otherwise clamped to [−1, 1] against rounding.
pub(crate) fn pearson(xs: &[f64], ys: &[f64]) -> Option<f64> {
    if xs.len() != ys.len() || xs.len() < 2 || constant(xs) || constant(ys) {
        return None;
    }
    let (mx, my) = (mean(xs)?, mean(ys)?);
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for (x, y) in xs.iter().zip(ys) {
        sxy += (x - mx) * (y - my);
        sxx += (x - mx).powi(2);
        syy += (y - my).powi(2);
    }
    let r = sxy / (sxx * syy).sqrt();
    r.is_finite().then(|| r.clamp(-1.0, 1.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn undefined_statistics_are_none_never_nan() {
        assert_eq!(mean(&[]), None);
        assert_eq!(sample_variance(&[3.0]), None);
        assert_eq!(sample_variance(&[0.1 + 0.2, 0.3]), Some(0.0));
        assert_eq!(pearson(&[1.0, 1.0, 1.0], &[1.0, 2.0, 3.0]), None);
        assert_eq!(pearson(&[1.0], &[2.0]), None);
        // Sample variance of 1, 2, 3, 6: mean 3, squares 4 + 1 + 0 + 9 = 14, / 3.
        assert_eq!(sample_variance(&[1.0, 2.0, 3.0, 6.0]), Some(14.0 / 3.0));
        // Perfectly (anti)correlated.
        assert_eq!(pearson(&[1.0, 2.0, 3.0], &[2.0, 4.0, 6.0]), Some(1.0));
        assert_eq!(pearson(&[1.0, 2.0, 3.0], &[3.0, 2.0, 1.0]), Some(-1.0));
    }
}
