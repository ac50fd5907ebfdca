//! Tensors (SPEC §8): dtypes, shapes and strides, and the kernels, with the buffer in the
//! `tensor` zone (M8). The body (`data.rs`, `TensorBody`) is a dtype, a shape, strides and
//! an offset over a buffer that is its own or its base's (a view).
//!
//! The kernels here are plain functions over slices so they can be tested without a heap.
//! Large elementwise loops and reductions are split across the rayon pool; below
//! `PAR_MIN` elements the split costs more than it saves. Matrix products go to the `gemm`
//! crate (packed, SIMD micro-kernels, multi-threaded).

use rayon::prelude::*;

/// A tensor's element type. `Bool` is stored one byte per element, 0 or 1.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DType {
    Bool,
    I64,
    F32,
    F64,
}

impl DType {
    pub const ALL: [DType; 4] = [DType::F32, DType::F64, DType::I64, DType::Bool];

    /// The name a program writes (`dtype="int64"`) and printing shows.
    pub fn name(self) -> &'static str {
        match self {
            DType::F32 => "float32",
            DType::F64 => "float64",
            DType::I64 => "int64",
            DType::Bool => "bool",
        }
    }

    pub fn parse(name: &str) -> Option<DType> {
        DType::ALL.into_iter().find(|d| d.name() == name)
    }

    /// Bytes per element.
    pub fn size(self) -> usize {
        match self {
            DType::F32 => 4,
            DType::F64 | DType::I64 => 8,
            DType::Bool => 1,
        }
    }

    pub fn is_float(self) -> bool {
        matches!(self, DType::F32 | DType::F64)
    }

    /// NumPy 2's promotion of two arrays (NEP 50): bool < int64 < float; int64 with
    /// float32 gives float64 (float32 cannot hold every int64 NumPy would mix in).
    pub fn promote(a: DType, b: DType) -> DType {
        use DType::*;
        match (a, b) {
            (x, y) if x == y => x,
            (Bool, x) | (x, Bool) => x,
            (I64, F32) | (F32, I64) => F64,
            (F64, _) | (_, F64) => F64,
            _ => F64,
        }
    }

    /// NEP 50 with a Python scalar (STARK's Int or Float) as the other operand: the
    /// scalar is "weak" and takes the array's dtype unless its kind is higher (a Float
    /// with an integer or bool array gives float64, an Int with a bool array int64).
    pub fn promote_scalar(a: DType, scalar_is_float: bool) -> DType {
        match (a, scalar_is_float) {
            (DType::Bool, false) => DType::I64,
            (DType::Bool | DType::I64, true) => DType::F64,
            (d, _) => d,
        }
    }
}

/// One element as a value, for conversions between dtypes and for scalar results.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Scalar {
    F(f64),
    I(i64),
    B(bool),
}

impl Scalar {
    pub fn as_f64(self) -> f64 {
        match self {
            Scalar::F(x) => x,
            Scalar::I(i) => i as f64,
            Scalar::B(b) => b as i64 as f64,
        }
    }

    /// NumPy's cast to an integer: floats truncate toward zero (NaN and out-of-range values
    /// saturate, where NumPy leaves them undefined).
    pub fn as_i64(self) -> i64 {
        match self {
            Scalar::F(x) => x as i64,
            Scalar::I(i) => i,
            Scalar::B(b) => b as i64,
        }
    }

    pub fn as_bool(self) -> bool {
        match self {
            Scalar::F(x) => x != 0.0,
            Scalar::I(i) => i != 0,
            Scalar::B(b) => b,
        }
    }
}

/// The element types of the four dtypes, with conversions through [`Scalar`].
pub trait Num: crate::tensor_pool::Elem + PartialOrd + Default {
    const DTYPE: DType;
    fn to_scalar(self) -> Scalar;
    fn from_scalar(s: Scalar) -> Self;
}

impl Num for f32 {
    const DTYPE: DType = DType::F32;
    fn to_scalar(self) -> Scalar {
        Scalar::F(self as f64)
    }
    fn from_scalar(s: Scalar) -> f32 {
        match s {
            // int64 → float32 rounds once, as NumPy's cast does (not through f64).
            Scalar::I(i) => i as f32,
            s => s.as_f64() as f32,
        }
    }
}

impl Num for f64 {
    const DTYPE: DType = DType::F64;
    fn to_scalar(self) -> Scalar {
        Scalar::F(self)
    }
    fn from_scalar(s: Scalar) -> f64 {
        s.as_f64()
    }
}

impl Num for i64 {
    const DTYPE: DType = DType::I64;
    fn to_scalar(self) -> Scalar {
        Scalar::I(self)
    }
    fn from_scalar(s: Scalar) -> i64 {
        s.as_i64()
    }
}

impl Num for u8 {
    const DTYPE: DType = DType::Bool;
    fn to_scalar(self) -> Scalar {
        Scalar::B(self != 0)
    }
    fn from_scalar(s: Scalar) -> u8 {
        s.as_bool() as u8
    }
}

/// Runs `$body` with `$t` the element type of dtype `$d`.
#[macro_export]
macro_rules! with_dtype {
    ($d:expr, $t:ident => $body:expr) => {
        match $d {
            $crate::tensor::DType::F32 => {
                type $t = f32;
                $body
            }
            $crate::tensor::DType::F64 => {
                type $t = f64;
                $body
            }
            $crate::tensor::DType::I64 => {
                type $t = i64;
                $body
            }
            $crate::tensor::DType::Bool => {
                type $t = u8;
                $body
            }
        }
    };
}

/// Row-major strides (in elements) of `shape`.
pub fn contiguous_strides(shape: &[usize]) -> Vec<isize> {
    let mut strides = vec![0isize; shape.len()];
    let mut acc = 1isize;
    for (s, &d) in strides.iter_mut().zip(shape).rev() {
        *s = acc;
        acc = acc.saturating_mul(d.max(1) as isize);
    }
    strides
}

/// Calls `f` with the buffer offset of each element of a strided layout, in row-major
/// order. The last axis runs in an inner loop; the others advance like an odometer.
pub fn for_each_offset(
    shape: &[usize],
    strides: &[isize],
    offset: usize,
    mut f: impl FnMut(usize),
) {
    if shape.contains(&0) {
        return;
    }
    let Some((&inner, outer)) = shape.split_last() else {
        f(offset);
        return;
    };
    let s_in = strides[outer.len()];
    let mut idx = vec![0usize; outer.len()];
    let mut base = offset as isize;
    loop {
        let mut p = base;
        for _ in 0..inner {
            f(p as usize);
            p += s_in;
        }
        // Advance the odometer over the outer axes.
        let mut axis = outer.len();
        loop {
            if axis == 0 {
                return;
            }
            axis -= 1;
            idx[axis] += 1;
            base += strides[axis];
            if idx[axis] < outer[axis] {
                break;
            }
            base -= strides[axis] * outer[axis] as isize;
            idx[axis] = 0;
        }
    }
}

/// The elements of a strided layout over `src`, in row-major order, converted to `D`.
pub fn gather<S: Num, D: Num>(
    src: &[S],
    shape: &[usize],
    strides: &[isize],
    offset: usize,
    out: &mut Vec<D>,
) {
    for_each_offset(shape, strides, offset, |o| {
        out.push(D::from_scalar(src[o].to_scalar()))
    });
}

/// NumPy's broadcast of two shapes, or `None` if they do not broadcast.
pub fn broadcast_shapes(a: &[usize], b: &[usize]) -> Option<Vec<usize>> {
    let n = a.len().max(b.len());
    let mut out = vec![0; n];
    for i in 0..n {
        let da = if i + a.len() >= n {
            a[i + a.len() - n]
        } else {
            1
        };
        let db = if i + b.len() >= n {
            b[i + b.len() - n]
        } else {
            1
        };
        out[i] = match (da, db) {
            (x, y) if x == y => x,
            (1, y) => y,
            (x, 1) => x,
            _ => return None,
        };
    }
    Some(out)
}

/// The strides that read a tensor of `shape`/`strides` as if it had shape `to` (which it
/// broadcasts to): 0 along the axes it is stretched over, so nothing is materialised.
pub fn broadcast_strides(shape: &[usize], strides: &[isize], to: &[usize]) -> Vec<isize> {
    let lead = to.len() - shape.len();
    (0..to.len())
        .map(|i| {
            if i < lead || shape[i - lead] == 1 && to[i] != 1 {
                0
            } else {
                strides[i - lead]
            }
        })
        .collect()
}

/// `out[k] = f(a[..], b[..])` over `shape`, each operand read through its own (broadcast)
/// strides and offset; `out` is contiguous. Contiguous and scalar operands take loops the
/// compiler vectorises.
#[allow(clippy::too_many_arguments)]
pub fn zip_strided<A: Copy, B: Copy, O>(
    shape: &[usize],
    a: &[A],
    sa: &[isize],
    oa: usize,
    b: &[B],
    sb: &[isize],
    ob: usize,
    out: &mut [O],
    f: impl Fn(A, B) -> O,
) {
    crate::tensor_simd::fast(|| zip_rows(shape, a, sa, oa, b, sb, ob, out, f));
}

#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn zip_rows<A: Copy, B: Copy, O>(
    shape: &[usize],
    a: &[A],
    sa: &[isize],
    oa: usize,
    b: &[B],
    sb: &[isize],
    ob: usize,
    out: &mut [O],
    f: impl Fn(A, B) -> O,
) {
    if shape.contains(&0) {
        return;
    }
    let Some((&inner, outer)) = shape.split_last() else {
        out[0] = f(a[oa], b[ob]);
        return;
    };
    let (ia, ib) = (sa[outer.len()], sb[outer.len()]);
    let mut idx = vec![0usize; outer.len()];
    let (mut pa, mut pb) = (oa as isize, ob as isize);
    let mut o = 0usize;
    loop {
        let dst = &mut out[o..o + inner];
        match (ia, ib) {
            (1, 1) => {
                let (x, y) = (
                    &a[pa as usize..pa as usize + inner],
                    &b[pb as usize..pb as usize + inner],
                );
                dst.iter_mut()
                    .zip(x.iter().zip(y))
                    .for_each(|(d, (&x, &y))| *d = f(x, y));
            }
            (1, 0) => {
                let (x, y) = (&a[pa as usize..pa as usize + inner], b[pb as usize]);
                dst.iter_mut().zip(x).for_each(|(d, &x)| *d = f(x, y));
            }
            (0, 1) => {
                let (x, y) = (a[pa as usize], &b[pb as usize..pb as usize + inner]);
                dst.iter_mut().zip(y).for_each(|(d, &y)| *d = f(x, y));
            }
            _ => {
                let (mut p, mut q) = (pa, pb);
                for d in dst.iter_mut() {
                    *d = f(a[p as usize], b[q as usize]);
                    p += ia;
                    q += ib;
                }
            }
        }
        o += inner;
        let mut axis = outer.len();
        loop {
            if axis == 0 {
                return;
            }
            axis -= 1;
            idx[axis] += 1;
            pa += sa[axis];
            pb += sb[axis];
            if idx[axis] < outer[axis] {
                break;
            }
            pa -= sa[axis] * outer[axis] as isize;
            pb -= sb[axis] * outer[axis] as isize;
            idx[axis] = 0;
        }
    }
}

/// Below this many elements a loop runs on the calling thread.
const PAR_MIN: usize = 1 << 18;
/// Elements per parallel task (a quarter MiB of f32s: large enough to amortise scheduling).
const PAR_CHUNK: usize = 1 << 16;

/// `zip_strided` split over the first axis on the rayon pool.
#[allow(clippy::too_many_arguments)]
pub fn zip_par<A: Copy + Sync, B: Copy + Sync, O: Send>(
    shape: &[usize],
    a: &[A],
    sa: &[isize],
    oa: usize,
    b: &[B],
    sb: &[isize],
    ob: usize,
    out: &mut [O],
    f: impl Fn(A, B) -> O + Sync + Send + Copy,
) {
    let rows = shape[0];
    let inner: usize = shape[1..].iter().product();
    if rows < 2 || inner == 0 {
        zip_strided(shape, a, sa, oa, b, sb, ob, out, f);
        return;
    }
    // Chunks of whole rows, about 64 Ki elements each.
    let per = (65536 / inner).max(1);
    out.par_chunks_mut(per * inner)
        .enumerate()
        .for_each(|(c, chunk)| {
            let r0 = c * per;
            let rows_here = chunk.len() / inner;
            let mut sub = shape.to_vec();
            sub[0] = rows_here;
            let pa = (oa as isize + sa[0] * r0 as isize) as usize;
            let pb = (ob as isize + sb[0] * r0 as isize) as usize;
            zip_strided(&sub, a, sa, pa, b, sb, pb, chunk, f);
        });
}

/// `out[i] = f(src[i])`, split across the rayon pool above `PAR_MIN` elements.
pub fn map_par<A: Copy + Sync, O: Send>(
    src: &[A],
    out: &mut [O],
    f: impl Fn(A) -> O + Sync + Send,
) {
    let run = |o: &mut [O], s: &[A]| {
        crate::tensor_simd::fast(|| o.iter_mut().zip(s).for_each(|(o, &x)| *o = f(x)))
    };
    if out.len() < PAR_MIN {
        run(out, src);
        return;
    }
    out.par_chunks_mut(PAR_CHUNK)
        .zip(src.par_chunks(PAR_CHUNK))
        .for_each(|(o, s)| run(o, s));
}

/// `out[i] = f(out[i])`: [`map_par`] over a buffer that is both operand and result (a
/// temporary lending its buffer to the result).
pub fn map_in_place<O: Copy + Send>(out: &mut [O], f: impl Fn(O) -> O + Sync + Send) {
    let run = |c: &mut [O]| crate::tensor_simd::fast(|| c.iter_mut().for_each(|x| *x = f(*x)));
    if out.len() < PAR_MIN {
        run(out);
        return;
    }
    out.par_chunks_mut(PAR_CHUNK).for_each(run);
}

/// `out = f(out, b)` elementwise over `shape`, `b` broadcast by its strides `sb` from `ob`:
/// [`zip_strided`] whose first operand is the contiguous output itself (a temporary lending
/// its buffer to the result), split by rows over the rayon pool above `PAR_MIN` elements.
pub fn zip_into<O: Copy + Send, B: Copy + Sync>(
    shape: &[usize],
    out: &mut [O],
    b: &[B],
    sb: &[isize],
    ob: usize,
    f: impl Fn(O, B) -> O + Sync + Send + Copy,
) {
    let Some((&inner, outer)) = shape.split_last() else {
        if let Some(o) = out.first_mut() {
            *o = f(*o, b[ob]);
        }
        return;
    };
    if inner == 0 || out.is_empty() {
        return;
    }
    let ib = sb[outer.len()];
    let row = |r: usize, dst: &mut [O]| {
        crate::tensor_simd::fast(|| {
            // Row `r`'s start in `b`: its index along each outer axis times that stride.
            let (mut p, mut rest) = (ob as isize, r);
            for (&d, &s) in outer.iter().zip(sb).rev() {
                p += (rest % d) as isize * s;
                rest /= d;
            }
            match ib {
                1 => {
                    let y = &b[p as usize..p as usize + inner];
                    dst.iter_mut().zip(y).for_each(|(d, &y)| *d = f(*d, y));
                }
                0 => {
                    let y = b[p as usize];
                    dst.iter_mut().for_each(|d| *d = f(*d, y));
                }
                _ => {
                    for d in dst.iter_mut() {
                        *d = f(*d, b[p as usize]);
                        p += ib;
                    }
                }
            }
        })
    };
    if out.len() < PAR_MIN {
        out.chunks_mut(inner)
            .enumerate()
            .for_each(|(r, d)| row(r, d));
    } else {
        out.par_chunks_mut(inner)
            .with_min_len((PAR_CHUNK / inner).max(1))
            .enumerate()
            .for_each(|(r, d)| row(r, d));
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
    crate::tensor_simd::fast(|| block_sum_lanes(a))
}

#[inline(always)]
fn block_sum_lanes(a: &[f32]) -> f64 {
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

/// How many bytes are non-zero (a bool tensor's `sum`): per block a u32 count the compiler
/// vectorises, the blocks added in i64, in parallel above `PAR_MIN` bytes.
pub fn count_true(a: &[u8]) -> i64 {
    let block = |c: &[u8]| {
        crate::tensor_simd::fast(|| c.iter().map(|&b| (b != 0) as u32).sum::<u32>()) as i64
    };
    if a.len() < PAR_MIN {
        a.chunks(PAR_CHUNK).map(block).sum()
    } else {
        a.par_chunks(PAR_CHUNK).map(block).sum()
    }
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
/// The float element types `gemm` multiplies (`matmul`).
pub trait GemmFloat: Copy + 'static + Send + Sync {
    const ZERO: Self;
    const ONE: Self;
}

impl GemmFloat for f32 {
    const ZERO: f32 = 0.0;
    const ONE: f32 = 1.0;
}

impl GemmFloat for f64 {
    const ZERO: f64 = 0.0;
    const ONE: f64 = 1.0;
}

pub fn matmul<F: GemmFloat>(out: &mut [F], a: &[F], b: &[F], m: usize, k: usize, n: usize) {
    let a = Mat {
        data: a,
        offset: 0,
        rs: k as isize,
        cs: 1,
    };
    let b = Mat {
        data: b,
        offset: 0,
        rs: n as isize,
        cs: 1,
    };
    assert!(matmul_strided(out, a, b, m, k, n), "matmul operand sizes");
}

/// A matrix read in place through its strides (in elements): element (i, j) is
/// `data[offset + i * rs + j * cs]` (a transposed view is `rs = 1`).
#[derive(Clone, Copy)]
pub struct Mat<'a, F> {
    pub data: &'a [F],
    pub offset: usize,
    pub rs: isize,
    pub cs: isize,
}

impl<F> Mat<'_, F> {
    /// Whether every element of a `rows × cols` matrix lies inside `data` (strides must
    /// not be negative).
    fn covers(&self, rows: usize, cols: usize) -> bool {
        if rows == 0 || cols == 0 {
            return true;
        }
        let (Ok(rs), Ok(cs)) = (usize::try_from(self.rs), usize::try_from(self.cs)) else {
            return false;
        };
        (rows - 1)
            .checked_mul(rs)
            .zip((cols - 1).checked_mul(cs))
            .and_then(|(x, y)| x.checked_add(y)?.checked_add(self.offset))
            .is_some_and(|last| last < self.data.len())
    }
}

/// `out (m×n, row-major) = a (m×k) @ b (k×n)`, the operands read through their strides (so
/// `x.T @ e` multiplies the transposed view in place, as NumPy hands BLAS a transpose flag).
/// `false`, and nothing written, when an operand's strides reach outside its data or
/// `out` is not m×n.
pub fn matmul_strided<F: GemmFloat>(
    out: &mut [F],
    a: Mat<'_, F>,
    b: Mat<'_, F>,
    m: usize,
    k: usize,
    n: usize,
) -> bool {
    if out.len() != m * n || !a.covers(m, k) || !b.covers(k, n) {
        return false;
    }
    if m == 0 || n == 0 {
        return true;
    }
    if k == 0 {
        out.fill(F::ZERO);
        return true;
    }
    // Inside a rayon task (one product of a batch run in parallel) the product itself
    // runs on that thread.
    let threads = if m * n * k >= 64 * 64 * 64 && rayon::current_thread_index().is_none() {
        rayon::current_num_threads()
    } else {
        1
    };
    let par = if threads > 1 {
        gemm::Parallelism::Rayon(threads)
    } else {
        gemm::Parallelism::None
    };
    // SAFETY: `covers` checked that every element gemm reads, offset + i * rs + j * cs for
    // i, j inside the shapes, lies in its operand's slice; `out` is a row-major m×n
    // (column stride 1, row stride n) slice of exactly that size that does not alias `a`
    // or `b` (it is borrowed mutably); read_dst = false, so `out`'s old contents are not
    // read.
    unsafe {
        gemm::gemm(
            m,
            n,
            k,
            out.as_mut_ptr(),
            1,
            n as isize,
            false,
            a.data.as_ptr().add(a.offset),
            a.cs,
            a.rs,
            b.data.as_ptr().add(b.offset),
            b.cs,
            b.rs,
            F::ZERO,
            F::ONE,
            false,
            false,
            false,
            par,
        );
    }
    true
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
    fn nep50_promotion() {
        use DType::*;
        assert_eq!(DType::promote(F32, F64), F64);
        assert_eq!(DType::promote(I64, F32), F64);
        assert_eq!(DType::promote(Bool, I64), I64);
        assert_eq!(DType::promote(Bool, F32), F32);
        assert_eq!(DType::promote(F32, F32), F32);
        assert_eq!(DType::promote_scalar(F32, true), F32);
        assert_eq!(DType::promote_scalar(I64, true), F64);
        assert_eq!(DType::promote_scalar(I64, false), I64);
        assert_eq!(DType::promote_scalar(Bool, false), I64);
        for d in DType::ALL {
            assert_eq!(DType::parse(d.name()), Some(d));
        }
        assert_eq!(DType::parse("int32"), None);
    }

    #[test]
    fn strided_walks_and_broadcasting() {
        // A 2×3 transposed view of a 3×2 buffer: strides (1, 2).
        let mut seen = Vec::new();
        for_each_offset(&[2, 3], &[1, 2], 0, |o| seen.push(o));
        assert_eq!(seen, [0, 2, 4, 1, 3, 5]);
        // Negative strides from an offset: a reversed row.
        seen.clear();
        for_each_offset(&[3], &[-1], 2, |o| seen.push(o));
        assert_eq!(seen, [2, 1, 0]);
        // 0-d and empty.
        seen.clear();
        for_each_offset(&[], &[], 7, |o| seen.push(o));
        assert_eq!(seen, [7]);
        seen.clear();
        for_each_offset(&[2, 0], &[0, 1], 0, |o| seen.push(o));
        assert!(seen.is_empty());
        assert_eq!(broadcast_shapes(&[2, 1, 3], &[4, 1]), Some(vec![2, 4, 3]));
        assert_eq!(broadcast_shapes(&[2, 3], &[2]), None);
        assert_eq!(broadcast_shapes(&[], &[5]), Some(vec![5]));
        assert_eq!(broadcast_strides(&[3], &[1], &[2, 3]), vec![0, 1]);
        assert_eq!(broadcast_strides(&[2, 1], &[1, 1], &[2, 3]), vec![1, 0]);
        // [[1], [2]] + [10, 20, 30] without materialising either operand.
        let (a, b) = ([1.0f32, 2.0], [10.0f32, 20.0, 30.0]);
        let mut out = [0.0f32; 6];
        let sa = broadcast_strides(&[2, 1], &[1, 1], &[2, 3]);
        let sb = broadcast_strides(&[3], &[1], &[2, 3]);
        zip_strided(&[2, 3], &a, &sa, 0, &b, &sb, 0, &mut out, |x, y| x + y);
        assert_eq!(out, [11.0, 21.0, 31.0, 12.0, 22.0, 32.0]);
        // The parallel split agrees with the sequential loop.
        let n = 1 << 19;
        let big: Vec<f32> = (0..n).map(|i| i as f32).collect();
        let mut seq = vec![0.0f32; n];
        let mut par = vec![0.0f32; n];
        let s = contiguous_strides(&[512, 1024]);
        zip_strided(
            &[512, 1024],
            &big,
            &s,
            0,
            &[2.0f32],
            &[0, 0],
            0,
            &mut seq,
            |x, y| x * y,
        );
        zip_par(
            &[512, 1024],
            &big,
            &s,
            0,
            &[2.0f32],
            &[0, 0],
            0,
            &mut par,
            |x, y| x * y,
        );
        assert_eq!(seq, par);
    }

    #[test]
    fn scalar_casts_follow_numpy() {
        assert_eq!(<i64 as Num>::from_scalar(Scalar::F(-1.7)), -1);
        assert_eq!(<u8 as Num>::from_scalar(Scalar::F(0.5)), 1);
        assert_eq!(
            <f32 as Num>::from_scalar(Scalar::I(16_777_217)),
            16_777_216.0
        );
        assert_eq!(<f64 as Num>::from_scalar(Scalar::B(true)), 1.0);
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
