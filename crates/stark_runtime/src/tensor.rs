//! Tensors: `f32`, row-major, contiguous, with the buffer in the `tensor` zone (M8).
//!
//! The kernels here are plain functions over slices so they can be tested without a heap.
//! Large elementwise loops and reductions are split across the rayon pool; below
//! `PAR_MIN` elements the split costs more than it saves. Matrix products go to the `gemm`
//! crate (packed, SIMD micro-kernels, multi-threaded).

use crate::tensor_pool::TensorBuf;
use rayon::prelude::*;

/// Below this many elements a loop runs on the calling thread.
const PAR_MIN: usize = 1 << 18;
/// Elements per parallel task (a quarter MiB of f32s: large enough to amortise scheduling).
const PAR_CHUNK: usize = 1 << 16;

/// A tensor's shape and data. `buf.len()` is the product of `shape`.
pub struct TensorBody {
    pub shape: Vec<usize>,
    pub buf: TensorBuf,
}

impl TensorBody {
    pub fn numel(&self) -> usize {
        self.buf.len()
    }

    pub fn data(&self) -> &[f32] {
        self.buf.as_slice()
    }

    pub fn data_mut(&mut self) -> &mut [f32] {
        self.buf.as_mut_slice()
    }
}

/// The number of elements of `shape`, or `None` on overflow.
pub fn numel(shape: &[usize]) -> Option<usize> {
    shape.iter().try_fold(1usize, |acc, &d| acc.checked_mul(d))
}

/// `[2, 3]` — how error messages and printing show a shape.
pub fn shape_str(shape: &[usize]) -> String {
    let dims: Vec<String> = shape.iter().map(|d| d.to_string()).collect();
    format!("[{}]", dims.join(", "))
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ElemOp {
    Add,
    Sub,
    Mul,
    Div,
}

impl ElemOp {
    pub fn symbol(self) -> &'static str {
        match self {
            ElemOp::Add => "+",
            ElemOp::Sub => "-",
            ElemOp::Mul => "*",
            ElemOp::Div => "/",
        }
    }
}

#[inline(always)]
fn zip_op(op: ElemOp, out: &mut [f32], a: &[f32], b: &[f32]) {
    // One monomorphic loop per operator so each vectorises.
    match op {
        ElemOp::Add => out
            .iter_mut()
            .zip(a.iter().zip(b))
            .for_each(|(o, (x, y))| *o = x + y),
        ElemOp::Sub => out
            .iter_mut()
            .zip(a.iter().zip(b))
            .for_each(|(o, (x, y))| *o = x - y),
        ElemOp::Mul => out
            .iter_mut()
            .zip(a.iter().zip(b))
            .for_each(|(o, (x, y))| *o = x * y),
        ElemOp::Div => out
            .iter_mut()
            .zip(a.iter().zip(b))
            .for_each(|(o, (x, y))| *o = x / y),
    }
}

/// `out = a op b` elementwise; the three slices have one length.
pub fn elementwise(op: ElemOp, out: &mut [f32], a: &[f32], b: &[f32]) {
    debug_assert!(out.len() == a.len() && a.len() == b.len());
    if out.len() < PAR_MIN {
        zip_op(op, out, a, b);
        return;
    }
    out.par_chunks_mut(PAR_CHUNK)
        .zip(a.par_chunks(PAR_CHUNK).zip(b.par_chunks(PAR_CHUNK)))
        .for_each(|(o, (x, y))| zip_op(op, o, x, y));
}

#[inline(always)]
fn scalar_op_seq(op: ElemOp, out: &mut [f32], a: &[f32], s: f32, scalar_left: bool) {
    match (op, scalar_left) {
        (ElemOp::Add, _) => out.iter_mut().zip(a).for_each(|(o, x)| *o = x + s),
        (ElemOp::Mul, _) => out.iter_mut().zip(a).for_each(|(o, x)| *o = x * s),
        (ElemOp::Sub, false) => out.iter_mut().zip(a).for_each(|(o, x)| *o = x - s),
        (ElemOp::Sub, true) => out.iter_mut().zip(a).for_each(|(o, x)| *o = s - x),
        (ElemOp::Div, false) => out.iter_mut().zip(a).for_each(|(o, x)| *o = x / s),
        (ElemOp::Div, true) => out.iter_mut().zip(a).for_each(|(o, x)| *o = s / x),
    }
}

/// `out = a op s` (or `s op a` when `scalar_left`).
pub fn scalar_op(op: ElemOp, out: &mut [f32], a: &[f32], s: f32, scalar_left: bool) {
    if out.len() < PAR_MIN {
        scalar_op_seq(op, out, a, s, scalar_left);
        return;
    }
    out.par_chunks_mut(PAR_CHUNK)
        .zip(a.par_chunks(PAR_CHUNK))
        .for_each(|(o, x)| scalar_op_seq(op, o, x, s, scalar_left));
}

/// `a op= b` in place.
pub fn elementwise_inplace(op: ElemOp, a: &mut [f32], b: &[f32]) {
    let f = |a: &mut [f32], b: &[f32]| match op {
        ElemOp::Add => a.iter_mut().zip(b).for_each(|(x, y)| *x += y),
        ElemOp::Sub => a.iter_mut().zip(b).for_each(|(x, y)| *x -= y),
        ElemOp::Mul => a.iter_mut().zip(b).for_each(|(x, y)| *x *= y),
        ElemOp::Div => a.iter_mut().zip(b).for_each(|(x, y)| *x /= y),
    };
    if a.len() < PAR_MIN {
        f(a, b);
    } else {
        a.par_chunks_mut(PAR_CHUNK)
            .zip(b.par_chunks(PAR_CHUNK))
            .for_each(|(x, y)| f(x, y));
    }
}

/// `a op= s` in place.
pub fn scalar_inplace(op: ElemOp, a: &mut [f32], s: f32) {
    let f = |a: &mut [f32]| match op {
        ElemOp::Add => a.iter_mut().for_each(|x| *x += s),
        ElemOp::Sub => a.iter_mut().for_each(|x| *x -= s),
        ElemOp::Mul => a.iter_mut().for_each(|x| *x *= s),
        ElemOp::Div => a.iter_mut().for_each(|x| *x /= s),
    };
    if a.len() < PAR_MIN {
        f(a);
    } else {
        a.par_chunks_mut(PAR_CHUNK).for_each(f);
    }
}

/// Sum of a block: 16 independent f32 lanes (so the loop vectorises without reassociating
/// one accumulator), combined in f64.
fn block_sum(a: &[f32]) -> f64 {
    let mut total = 0.0f64;
    // Short blocks keep each lane's f32 rounding error small; the blocks add up in f64.
    for block in a.chunks(4096) {
        let mut lanes = [0.0f32; 16];
        let mut chunks = block.chunks_exact(16);
        for c in &mut chunks {
            for i in 0..16 {
                lanes[i] += c[i];
            }
        }
        let mut s: f64 = lanes.iter().map(|&x| x as f64).sum();
        s += chunks.remainder().iter().map(|&x| x as f64).sum::<f64>();
        total += s;
    }
    total
}

/// The sum of all elements, accumulated with f64 block totals.
pub fn sum(a: &[f32]) -> f64 {
    if a.len() < PAR_MIN {
        return block_sum(a);
    }
    a.par_chunks(PAR_CHUNK).map(block_sum).sum()
}

fn block_max(a: &[f32]) -> f32 {
    // NaN propagates, as NumPy's `max` does.
    let mut lanes = [f32::NEG_INFINITY; 16];
    let mut nan = false;
    let mut chunks = a.chunks_exact(16);
    for c in &mut chunks {
        for i in 0..16 {
            nan |= c[i].is_nan();
            lanes[i] = if c[i] > lanes[i] { c[i] } else { lanes[i] };
        }
    }
    let mut m = f32::NEG_INFINITY;
    for &x in lanes.iter().chain(chunks.remainder()) {
        nan |= x.is_nan();
        if x > m {
            m = x;
        }
    }
    if nan {
        f32::NAN
    } else {
        m
    }
}

/// The largest element (NaN if any is NaN); `None` for an empty tensor.
pub fn max(a: &[f32]) -> Option<f32> {
    if a.is_empty() {
        return None;
    }
    let m = if a.len() < PAR_MIN {
        block_max(a)
    } else {
        a.par_chunks(PAR_CHUNK).map(block_max).reduce(
            || f32::NEG_INFINITY,
            |x, y| {
                if x.is_nan() || y.is_nan() {
                    f32::NAN
                } else {
                    x.max(y)
                }
            },
        )
    };
    Some(m)
}

/// `out (m×n) = a (m×k) @ b (k×n)`, all row-major.
pub fn matmul(out: &mut [f32], a: &[f32], b: &[f32], m: usize, k: usize, n: usize) {
    assert!(
        a.len() == m * k && b.len() == k * n && out.len() == m * n,
        "matmul operand sizes"
    );
    if m == 0 || n == 0 {
        return;
    }
    if k == 0 {
        out.fill(0.0);
        return;
    }
    let threads = if m * n * k >= 64 * 64 * 64 {
        rayon::current_num_threads()
    } else {
        1
    };
    let par = if threads > 1 {
        gemm::Parallelism::Rayon(threads)
    } else {
        gemm::Parallelism::None
    };
    // SAFETY: the asserts above make every pointer valid for the strides given: row-major
    // (column stride 1, row stride = row length) m×k, k×n and m×n matrices; `out` does not
    // alias `a` or `b` (it is borrowed mutably); read_dst = false, so `out`'s old contents
    // are not read.
    unsafe {
        gemm::gemm(
            m,
            n,
            k,
            out.as_mut_ptr(),
            1,
            n as isize,
            false,
            a.as_ptr(),
            1,
            k as isize,
            b.as_ptr(),
            1,
            n as isize,
            0.0f32,
            1.0f32,
            false,
            false,
            false,
            par,
        );
    }
}

/// `out (c×r) = a (r×c)` transposed, in cache-sized tiles.
pub fn transpose(out: &mut [f32], a: &[f32], rows: usize, cols: usize) {
    const T: usize = 32;
    for i0 in (0..rows).step_by(T) {
        for j0 in (0..cols).step_by(T) {
            for i in i0..(i0 + T).min(rows) {
                for j in j0..(j0 + T).min(cols) {
                    out[j * rows + i] = a[i * cols + j];
                }
            }
        }
    }
}

/// SplitMix64: a tiny, well-mixed generator; `rand(shape, seed=s)` is reproducible
/// across runs and platforms.
pub struct SplitMix64(pub u64);

impl SplitMix64 {
    #[inline]
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1): the top 24 bits, exactly representable as f32.
    #[inline]
    pub fn next_f32(&mut self) -> f32 {
        (self.next_u64() >> 40) as f32 * (1.0 / (1u64 << 24) as f32)
    }
}

/// Fills `out` with uniform [0, 1) values from `seed`. Each 64 Ki-element chunk has its own
/// stream (seeded from `seed` and the chunk index), so the result does not depend on how many
/// threads fill it.
pub fn fill_rand(out: &mut [f32], seed: u64) {
    let f = |(ci, chunk): (usize, &mut [f32])| {
        let mut g = SplitMix64(seed ^ (ci as u64).wrapping_mul(0xD1B5_4A32_D192_ED03));
        g.next_u64();
        for x in chunk {
            *x = g.next_f32();
        }
    };
    if out.len() < PAR_MIN {
        out.chunks_mut(PAR_CHUNK).enumerate().for_each(f);
    } else {
        out.par_chunks_mut(PAR_CHUNK).enumerate().for_each(f);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn elementwise_and_scalar_ops() {
        let a = [1.0, 2.0, 3.0, 4.0];
        let b = [0.5, 0.5, 2.0, 8.0];
        let mut out = [0.0; 4];
        elementwise(ElemOp::Add, &mut out, &a, &b);
        assert_eq!(out, [1.5, 2.5, 5.0, 12.0]);
        elementwise(ElemOp::Div, &mut out, &a, &b);
        assert_eq!(out, [2.0, 4.0, 1.5, 0.5]);
        scalar_op(ElemOp::Sub, &mut out, &a, 1.0, true);
        assert_eq!(out, [0.0, -1.0, -2.0, -3.0]);
        scalar_op(ElemOp::Div, &mut out, &a, 2.0, false);
        assert_eq!(out, [0.5, 1.0, 1.5, 2.0]);
        let mut c = a;
        elementwise_inplace(ElemOp::Mul, &mut c, &b);
        assert_eq!(c, [0.5, 1.0, 6.0, 32.0]);
        scalar_inplace(ElemOp::Add, &mut c, 1.0);
        assert_eq!(c, [1.5, 2.0, 7.0, 33.0]);
    }

    #[test]
    fn large_parallel_paths_match_sequential() {
        let n = PAR_MIN * 2 + 17;
        let a: Vec<f32> = (0..n).map(|i| (i % 100) as f32).collect();
        let b: Vec<f32> = (0..n).map(|i| (i % 7) as f32).collect();
        let mut out = vec![0.0; n];
        elementwise(ElemOp::Add, &mut out, &a, &b);
        assert!(out
            .iter()
            .enumerate()
            .all(|(i, &x)| x == (i % 100 + i % 7) as f32));
        let expect: f64 = a.iter().map(|&x| x as f64).sum();
        assert_eq!(sum(&a), expect);
        assert_eq!(max(&a), Some(99.0));
    }

    #[test]
    fn reductions() {
        assert_eq!(sum(&[]), 0.0);
        assert_eq!(sum(&[1.0, 2.0, 3.5]), 6.5);
        let ones = vec![1.0f32; 10_000_001];
        assert_eq!(sum(&ones), 10_000_001.0);
        assert_eq!(max(&[]), None);
        assert_eq!(max(&[-3.0, -1.0, -2.0]), Some(-1.0));
        assert!(max(&[1.0, f32::NAN, 2.0]).unwrap().is_nan());
    }

    #[test]
    fn matmul_small_and_large() {
        // [[1, 2], [3, 4]] @ [[5, 6], [7, 8]] = [[19, 22], [43, 50]]
        let mut out = [0.0; 4];
        matmul(
            &mut out,
            &[1.0, 2.0, 3.0, 4.0],
            &[5.0, 6.0, 7.0, 8.0],
            2,
            2,
            2,
        );
        assert_eq!(out, [19.0, 22.0, 43.0, 50.0]);
        // 2×3 @ 3×1
        let mut out = [0.0; 2];
        matmul(
            &mut out,
            &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0],
            &[1.0, 0.0, -1.0],
            2,
            3,
            1,
        );
        assert_eq!(out, [-2.0, -2.0]);
        // Against a naive product on a size that takes the threaded path.
        let (m, k, n) = (70, 65, 90);
        let a: Vec<f32> = (0..m * k).map(|i| ((i * 7) % 11) as f32 - 5.0).collect();
        let b: Vec<f32> = (0..k * n).map(|i| ((i * 3) % 13) as f32 - 6.0).collect();
        let mut out = vec![0.0; m * n];
        matmul(&mut out, &a, &b, m, k, n);
        for i in 0..m {
            for j in 0..n {
                let expect: f32 = (0..k).map(|p| a[i * k + p] * b[p * n + j]).sum();
                assert_eq!(out[i * n + j], expect, "({i}, {j})");
            }
        }
    }

    #[test]
    fn transpose_rectangular() {
        let a = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0];
        let mut out = [0.0; 6];
        transpose(&mut out, &a, 2, 3);
        assert_eq!(out, [1.0, 4.0, 2.0, 5.0, 3.0, 6.0]);
    }

    #[test]
    fn rand_is_reproducible_and_in_range() {
        let mut a = vec![0.0; 1000];
        let mut b = vec![0.0; 1000];
        fill_rand(&mut a, 42);
        fill_rand(&mut b, 42);
        assert_eq!(a, b);
        assert!(a.iter().all(|&x| (0.0..1.0).contains(&x)));
        fill_rand(&mut b, 43);
        assert_ne!(a, b);
    }

    #[test]
    fn shapes() {
        assert_eq!(numel(&[2, 3, 4]), Some(24));
        assert_eq!(numel(&[]), Some(1));
        assert_eq!(numel(&[usize::MAX, 2]), None);
        assert_eq!(shape_str(&[2, 2]), "[2, 2]");
        assert_eq!(shape_str(&[]), "[]");
    }
}
