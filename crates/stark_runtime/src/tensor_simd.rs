//! Elementwise kernels written so the compiler vectorises them, and compiled twice: for the
//! x86-64 baseline (SSE2, what the binary targets) and for AVX2, picked once per call by
//! the CPU the program runs on (`is_x86_feature_detected!`, cached by the standard
//! library). NumPy dispatches the same way; without it a portable build uses 2 of the 8
//! float32 lanes an AVX2 machine has.
//!
//! Both versions run the same operations in the same order (no fused multiply-add: Rust
//! never contracts `a * b + c`), so a result does not depend on the machine.

use rayon::prelude::*;

/// Below this many elements a loop runs on the calling thread (as `tensor::map_par`).
const PAR_MIN: usize = 1 << 18;
/// Elements per parallel task.
const PAR_CHUNK: usize = 1 << 16;

/// Runs `f`, compiled for AVX2 when the CPU has it: `f` (with whatever it inlines: the
/// kernels mark their loops `#[inline(always)]`) is inlined into a `target_feature`
/// function. Every elementwise and reduction kernel of `tensor` runs through here.
#[inline(always)]
pub fn fast<R>(f: impl FnOnce() -> R) -> R {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU has AVX2, checked just above: the only requirement of a
        // `target_feature` function.
        return unsafe { avx2(f) };
    }
    f()
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn avx2<R>(f: impl FnOnce() -> R) -> R {
    f()
}

/// `out[i] = e^src[i]` for float32, correctly rounded in all but vanishingly rare cases
/// (see [`exp_f32`]); `src` and `out` have the same length, or `out` is `src` itself when
/// `src` is `None` (a temporary lending its buffer).
pub fn exp_f32_into(src: Option<&[f32]>, out: &mut [f32]) {
    if out.len() < PAR_MIN {
        dispatch(src, out);
        return;
    }
    match src {
        Some(s) => out
            .par_chunks_mut(PAR_CHUNK)
            .zip(s.par_chunks(PAR_CHUNK))
            .for_each(|(o, s)| dispatch(Some(s), o)),
        None => out
            .par_chunks_mut(PAR_CHUNK)
            .for_each(|o| dispatch(None, o)),
    }
}

fn dispatch(src: Option<&[f32]>, out: &mut [f32]) {
    fast(|| exp_loop(src, out));
}

#[inline(always)]
fn exp_loop(src: Option<&[f32]>, out: &mut [f32]) {
    match src {
        Some(s) => out.iter_mut().zip(s).for_each(|(o, &x)| *o = exp_f32(x)),
        None => out.iter_mut().for_each(|o| *o = exp_f32(*o)),
    }
}

const LOG2E: f64 = std::f64::consts::LOG2_E;
// ln 2 split so that `n * LN2_HI` is exact for the |n| ≤ 151 used here (Cody and Waite).
const LN2_HI: f64 = 6.931_471_803_691_238e-1;
const LN2_LO: f64 = 1.908_214_929_270_587_7e-10;
// Adding 1.5 * 2^52 rounds an f64 below 2^51 in magnitude to an integer (to even) and puts
// that integer in the low bits of the sum's representation.
const ROUNDER: f64 = 6_755_399_441_055_744.0;

/// e^x for a float32, without a libm call so that loops of it vectorise. Computed in f64:
/// x = n ln 2 + r with |r| ≤ ln 2 / 2, e^r by its Taylor series to degree 12 (truncation
/// below 2^-52 relative), times 2^n built from the exponent bits. The f64 result is within
/// a few f64 ulps of e^x, so its one rounding to f32 is the correctly rounded result unless
/// e^x lies within ~1e-15 (relative) of a midpoint between two float32s.
#[inline(always)]
pub fn exp_f32(x: f32) -> f32 {
    // Outside [-104, 89] e^x is 0 or infinite as a float32, and 2^n stays a normal f64.
    // `clamp` keeps a NaN, which gives NaN.
    let x = (x as f64).clamp(-104.0, 89.0);
    let k = x * LOG2E + ROUNDER;
    let n = k - ROUNDER;
    let r = (x - n * LN2_HI) - n * LN2_LO;
    // Horner, highest term first: 1 + r + r²/2! + … + r¹²/12!.
    let mut p = 1.0 / 479_001_600.0;
    p = p * r + 1.0 / 39_916_800.0;
    p = p * r + 1.0 / 3_628_800.0;
    p = p * r + 1.0 / 362_880.0;
    p = p * r + 1.0 / 40_320.0;
    p = p * r + 1.0 / 5_040.0;
    p = p * r + 1.0 / 720.0;
    p = p * r + 1.0 / 120.0;
    p = p * r + 1.0 / 24.0;
    p = p * r + 1.0 / 6.0;
    p = p * r + 0.5;
    p = p * r + 1.0;
    p = p * r + 1.0;
    // 2^n: n sits in the low bits of k's representation (two's complement under the 2^51
    // bit); adding the bias and shifting into the exponent field drops everything above.
    let scale = f64::from_bits(k.to_bits().wrapping_add(1023) << 52);
    (p * scale) as f32
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The correctly rounded value, through libm's f64 `exp` (itself within an ulp of f64).
    fn reference(x: f32) -> f32 {
        (x as f64).exp() as f32
    }

    #[test]
    fn exp_f32_agrees_with_the_f64_exp_rounded_once() {
        let mut mismatches = 0;
        let mut count = 0;
        // Every 97th float32 bit pattern between -110 and 95, both signs: about 22 million.
        let mut bits = 0u32;
        while bits < 0x8000_0000 {
            for x in [f32::from_bits(bits), -f32::from_bits(bits)] {
                if x.abs() <= 110.0 {
                    count += 1;
                    let (got, want) = (exp_f32(x), reference(x));
                    if got.to_bits() != want.to_bits() {
                        mismatches += 1;
                    }
                }
            }
            bits += 97;
        }
        assert!(count > 10_000_000, "{count}");
        assert_eq!(mismatches, 0, "of {count}");
    }

    #[test]
    fn exp_f32_edges() {
        assert!(exp_f32(f32::NAN).is_nan());
        assert_eq!(exp_f32(f32::INFINITY), f32::INFINITY);
        assert_eq!(exp_f32(f32::NEG_INFINITY), 0.0);
        assert_eq!(exp_f32(0.0), 1.0);
        assert_eq!(exp_f32(-0.0), 1.0);
        assert_eq!(exp_f32(88.8), f32::INFINITY);
        assert_eq!(exp_f32(88.7), reference(88.7));
        assert_eq!(exp_f32(-103.9), reference(-103.9));
        assert_eq!(exp_f32(-200.0), 0.0);
        assert_eq!(exp_f32(1e-30), 1.0);
    }

    #[test]
    fn exp_f32_into_in_place_and_from_a_source_agree() {
        let src: Vec<f32> = (0..300_000).map(|i| (i as f32) * 1e-4 - 15.0).collect();
        let mut out = vec![0.0f32; src.len()];
        exp_f32_into(Some(&src), &mut out);
        let mut inplace = src.clone();
        exp_f32_into(None, &mut inplace);
        assert_eq!(out, inplace);
        assert!(src.iter().zip(&out).all(|(&x, &e)| e == reference(x)));
    }
}
