//! Built-in operations (`Instr::CallNative`). Operands arrive as a slice of the caller's
//! registers; those `Native::consumes` names are taken over (the VM clears their registers
//! afterwards), the rest are views. Results are owned.
//!
//! `call` dispatches each native to its module; those and `operands.rs` never name this
//! one. The natives that need the whole VM (`Native::needs_vm`, from their registry rows:
//! `Memory.collect`, `spawn`, `join`, `error`) are not here: the VM runs them
//! (`rare.rs`, `Vm::vm_native`).

pub(crate) mod byte_scan;
pub(crate) mod core;
pub(crate) mod dataset;
pub(crate) mod list;
pub(crate) mod map;
pub(crate) mod math;
pub(crate) mod memory;
pub(crate) mod numeric;
pub(crate) mod operands;
pub(crate) mod result;
pub(crate) mod stream;
pub(crate) mod string;
pub(crate) mod tensor;
pub(crate) mod tuple;

pub(crate) use operands::{map_key_of, NativeCx};

use crate::error::{fail, Fallible};
use stark_bytecode::Native;
use stark_runtime::tensor::Scalar;
use stark_runtime::Value;
use tensor::{Bin, Red, Unary};

// Out of the dispatch loop: inlined there it makes the loop itself slower (more state to
// keep across every instruction) for no gain on the natives, which are calls anyway.
#[inline(never)]
pub(crate) fn call(cx: &mut NativeCx<'_>, native: Native, a: &[Value]) -> Fallible<Value> {
    run(cx, native, a, None)
}

/// `call`, where the elementwise tensor rows may write their result into `spare`, a
/// temporary operand the call consumed (`tensor::reuse`).
#[inline(always)]
fn run(
    cx: &mut NativeCx<'_>,
    native: Native,
    a: &[Value],
    spare: Option<tensor::Spare>,
) -> Fallible<Value> {
    match native {
        Native::Print => core::print(cx, a),
        Native::ToStr => core::to_str(cx, a),
        Native::Format => core::format(cx, a),
        Native::PrintFormat => core::print_format(cx, a),
        Native::ParseInt => core::parse_int(a),
        Native::TryParseInt => {
            let done = core::parse_int(a);
            result::attempt(cx, done)
        }
        Native::TryParseFloat => {
            let done = core::parse_float(a);
            result::attempt(cx, done)
        }
        Native::FloatToInt => core::float_to_int(a),
        Native::ParseFloat => core::parse_float(a),
        Native::Assert => core::assert(a),
        Native::Args => core::args(cx),
        Native::ArgsView => core::args_view(cx),
        Native::Exit => core::exit(cx, a),
        Native::Input => core::input(cx, a),
        Native::TryInput => {
            let done = core::input(cx, a);
            result::attempt(cx, done)
        }
        Native::RangeList => core::range_list(cx, a),

        Native::StrLen => string::len(a),
        Native::StrSplit => string::split(cx, a),
        Native::StrContains => string::contains(a),
        Native::StrUpper => string::map_text(cx, a, str::to_uppercase),
        Native::StrLower => string::map_text(cx, a, str::to_lowercase),
        Native::StrTrim => string::map_text(cx, a, |s| s.trim().to_string()),
        Native::StrReplace => string::replace(cx, a),
        Native::StrStartsWith => string::startswith(a),
        Native::StrEndsWith => string::endswith(a),
        Native::StrFind => string::find(a),
        Native::StrCount => string::count(a),
        Native::StrStrip => string::strip(cx, a, string::Ends::Both),
        Native::StrLstrip => string::strip(cx, a, string::Ends::Left),
        Native::StrRstrip => string::strip(cx, a, string::Ends::Right),
        Native::StrSplitlines => string::splitlines(cx, a),
        Native::StrJoin => string::join(cx, a),
        Native::StrLjust => string::justify(cx, a, stark_syntax::Align::Left),
        Native::StrRjust => string::justify(cx, a, stark_syntax::Align::Right),
        Native::StrCenter => string::justify(cx, a, stark_syntax::Align::Center),
        Native::StrIsDigit => string::all_chars(a, char::is_numeric),
        Native::StrIsAlpha => string::all_chars(a, char::is_alphabetic),
        Native::StrIsSpace => string::all_chars(a, string::py_space),
        Native::StrIndex => string::index(cx, a),
        Native::StrSlice => string::slice(cx, a),
        Native::ListSlice => list::slice(cx, a),
        Native::StrRepeat => string::repeat(cx, a),
        Native::StrNextByte => string::next_byte(a),
        Native::StrCharAtByte => string::char_at_byte(cx, a),
        Native::FormatSpecs { fmt } => core::format_specs(cx, fmt, a),
        Native::PrintFormatSpecs { fmt } => core::print_format_specs(cx, fmt, a),

        Native::ListPush => list::push(cx, a),
        Native::ListPop => list::pop(a),
        Native::ListLen => list::len(a),
        Native::ListGetOpt => list::get_opt(cx, a),
        Native::ListTake => list::take(cx, a),
        Native::ListInsert => list::insert(cx, a),
        Native::ListRemove => list::remove(cx, a),
        Native::ListClear => list::clear(cx, a),
        Native::ListContains => list::contains(a),
        Native::ListSort => list::sort(a),
        Native::SortByKeys => list::sort_by_keys(a),
        Native::KeyBest { max } => list::key_best(a, max),
        Native::ListExtend => list::extend(cx, a),
        Native::ListIndex => list::index(cx, a),
        Native::ListCount => list::count(a),
        Native::ListReverse => list::reverse(a),
        Native::ListConcat => list::concat(cx, a),
        Native::ListRepeat => list::repeat(cx, a),
        Native::Sorted => list::sorted(cx, a),

        Native::MapInsert | Native::MapSet => map::insert(cx, a),
        Native::MapGet => map::get(cx, a),
        Native::MapIndex => map::index(cx, a),
        Native::MapContains => map::contains(a),
        Native::MapRemove => map::remove(cx, a),
        Native::MapLen => map::len(a),
        Native::MapKeys => map::keys(cx, a),
        Native::MapValues => map::values(cx, a),
        Native::MapClear => map::clear(cx, a),
        Native::MapPop => map::pop(cx, a),

        Native::AbsInt => numeric::abs_int(a),
        Native::AbsFloat => numeric::abs_float(a),
        Native::Min => numeric::extreme(cx, a, false),
        Native::Max => numeric::extreme(cx, a, true),
        Native::MinDefault => numeric::extreme_or(cx, a, false),
        Native::MaxDefault => numeric::extreme_or(cx, a, true),
        Native::SumInt => numeric::sum_int(a),
        Native::SumFloat => numeric::sum_float(a),
        Native::Round => numeric::round(a),
        Native::RoundDigits => numeric::round_digits(a),
        Native::RoundIntDigits => numeric::round_int_digits(a),
        Native::Ord => numeric::ord(a),
        Native::Chr => numeric::chr(cx, a),
        Native::Hex => numeric::hex(cx, a),

        Native::MathSqrt => math::sqrt(a),
        Native::MathExp => math::exp(a),
        Native::MathLog => math::log(a),
        Native::MathLog2 => math::log2(a),
        Native::MathLog10 => math::log10(a),
        Native::MathSin => math::trig(a, f64::sin),
        Native::MathCos => math::trig(a, f64::cos),
        Native::MathTan => math::trig(a, f64::tan),
        Native::MathAtan2 => math::atan2(a),
        Native::MathFloor => math::to_int(a, f64::floor),
        Native::MathCeil => math::to_int(a, f64::ceil),
        Native::MathIsnan => math::isnan(a),
        Native::MathIsinf => math::isinf(a),
        Native::MathPow => math::pow(a),
        Native::MathHypot => math::hypot(a),

        Native::MapItems => tuple::items(cx, a),
        Native::Enumerate => tuple::enumerate(cx, a),
        Native::Zip => tuple::zip(cx, a),
        Native::DivMod => tuple::divmod(cx, a),

        Native::DeepCopy => memory::deep_copy(cx, a),
        Native::Refcount => memory::refcount(a),
        Native::WeakNew => memory::weak_new(cx, a),
        Native::WeakGet => memory::weak_get(cx, a),
        Native::WeakExists => memory::weak_exists(a),
        Native::ResultIsOk => result::is_ok(a, true),
        Native::ResultIsErr => result::is_ok(a, false),
        Native::ResultUnwrap => result::unwrap(cx, a),
        Native::ResultUnwrapOr => result::unwrap_or(cx, a),
        Native::ResultError => result::error(cx, a),
        Native::MemProfile => memory::profile(cx),
        Native::GcConfig => memory::gc_config(cx, a),
        Native::MemUsageByType => memory::usage_by_type(cx),
        Native::MemTrace => memory::trace(cx, a),
        Native::TensorZeros => tensor::filled(cx, a, Scalar::I(0)),
        Native::TensorOnes => tensor::filled(cx, a, Scalar::I(1)),
        Native::TensorFull => tensor::full(cx, a),
        Native::TensorRange => tensor::range(cx, a),
        Native::TensorArange => tensor::arange(cx, a),
        Native::TensorLinspace => tensor::linspace(cx, a),
        Native::TensorEye => tensor::eye(cx, a),
        Native::TensorRand => tensor::rand(cx, a, false),
        Native::TensorRandn => tensor::rand(cx, a, true),
        Native::TensorFromList => tensor::from_list(cx, a),
        Native::TensorNew => tensor::new(cx, a),
        Native::TensorMaximum => tensor::binary(cx, Bin::Max, a, spare),
        Native::TensorMinimum => tensor::binary(cx, Bin::Min, a, spare),
        Native::TensorWhere => tensor::where_(cx, a),
        Native::TensorConcat => tensor::join(cx, a, false),
        Native::TensorStack => tensor::join(cx, a, true),
        Native::TensorShape => tensor::shape(cx, a),
        Native::TensorLen => tensor::len(a),
        Native::TensorSize => tensor::size(a),
        Native::TensorDtype => tensor::dtype(cx, a),
        Native::TensorAstype => tensor::astype(cx, a),
        Native::TensorToList => tensor::to_list(cx, a, false),
        Native::TensorToIntList => tensor::to_list(cx, a, true),
        Native::TensorItem => tensor::item(a, false),
        Native::TensorIntItem => tensor::item(a, true),
        Native::TensorDunderBool => tensor::truth(a),
        Native::TensorDunderInt => tensor::dunder_int(a),
        Native::TensorSum => tensor::reduce(cx, Red::Sum, a),
        Native::TensorMean => tensor::reduce(cx, Red::Mean, a),
        Native::TensorMax => tensor::reduce(cx, Red::Max, a),
        Native::TensorMin => tensor::reduce(cx, Red::Min, a),
        Native::TensorProd => tensor::reduce(cx, Red::Prod, a),
        Native::TensorStd => tensor::reduce(cx, Red::Std, a),
        Native::TensorVar => tensor::reduce(cx, Red::Var, a),
        Native::TensorArgmax => tensor::reduce(cx, Red::Argmax, a),
        Native::TensorArgmin => tensor::reduce(cx, Red::Argmin, a),
        Native::TensorAny => tensor::reduce(cx, Red::Any, a),
        Native::TensorAll => tensor::reduce(cx, Red::All, a),
        Native::TensorExp => tensor::unary(cx, Unary::Exp, a, spare),
        Native::TensorLog => tensor::unary(cx, Unary::Log, a, spare),
        Native::TensorSqrt => tensor::unary(cx, Unary::Sqrt, a, spare),
        Native::TensorAbs => tensor::unary(cx, Unary::Abs, a, spare),
        Native::TensorSin => tensor::unary(cx, Unary::Sin, a, spare),
        Native::TensorCos => tensor::unary(cx, Unary::Cos, a, spare),
        Native::TensorTanh => tensor::unary(cx, Unary::Tanh, a, spare),
        Native::TensorSigmoid => tensor::unary(cx, Unary::Sigmoid, a, spare),
        Native::TensorRelu => tensor::unary(cx, Unary::Relu, a, spare),
        Native::TensorFloor => tensor::unary(cx, Unary::Floor, a, spare),
        Native::TensorRound => tensor::unary(cx, Unary::Round, a, spare),
        Native::TensorClip => tensor::clip(cx, a),
        Native::TensorReshape => tensor::reshape(cx, a),
        Native::TensorTranspose | Native::TensorT => tensor::transpose(cx, a),
        Native::TensorFlatten => tensor::flatten_(cx, a),
        Native::TensorSqueeze => tensor::squeeze(cx, a),
        Native::TensorUnsqueeze => tensor::unsqueeze(cx, a),
        Native::TensorGet => tensor::get(cx, a),
        Native::TensorGetFloat => tensor::get_scalar(a, false),
        Native::TensorGetInt => tensor::get_scalar(a, true),
        Native::TensorSet => tensor::set(cx, a),
        Native::TensorAdd => tensor::binary(cx, Bin::Add, a, spare),
        Native::TensorSub => tensor::binary(cx, Bin::Sub, a, spare),
        Native::TensorMul => tensor::binary(cx, Bin::Mul, a, spare),
        Native::TensorDiv => tensor::binary(cx, Bin::Div, a, spare),
        Native::TensorPow => tensor::binary(cx, Bin::Pow, a, spare),
        Native::TensorLt => tensor::binary(cx, Bin::Lt, a, spare),
        Native::TensorLe => tensor::binary(cx, Bin::Le, a, spare),
        Native::TensorGt => tensor::binary(cx, Bin::Gt, a, spare),
        Native::TensorGe => tensor::binary(cx, Bin::Ge, a, spare),
        Native::TensorEq => tensor::binary(cx, Bin::Eq, a, spare),
        Native::TensorNe => tensor::binary(cx, Bin::Ne, a, spare),
        Native::TensorNeg => tensor::unary(cx, Unary::Neg, a, spare),
        Native::TensorMatMul => tensor::matmul(cx, a),
        Native::TensorAddInPlace => tensor::in_place(cx, Bin::Add, a),
        Native::TensorSubInPlace => tensor::in_place(cx, Bin::Sub, a),
        Native::TensorMulInPlace => tensor::in_place(cx, Bin::Mul, a),
        Native::TensorFillInPlace => tensor::fill(cx, a),
        Native::TensorPin => tensor::pin(a),
        Native::DataDims { op, rank } => tensor::call_dims(cx, op, rank as usize, a),
        Native::TensorReuse { op, taken } => match Native::of_builtin(op) {
            Some(row) if op.tensor_elementwise() => {
                tensor::reuse(cx, taken as usize, a, |cx, spare| run(cx, row, a, spare))
            }
            _ => fail("internal error: no tensor row to reuse an operand for"),
        },
        Native::DatasetLoad => dataset::load(cx, a),
        Native::DatasetFromColumns => dataset::from_columns(cx, a),
        Native::DatasetLen => dataset::len(a),
        Native::DatasetColumns => dataset::columns(cx, a),
        Native::DatasetColumn => dataset::column(cx, a),
        Native::DatasetRow => dataset::row(cx, a),
        Native::DatasetDtypes => dataset::dtypes(cx, a),
        Native::DatasetGet => dataset::get(cx, a),
        Native::DatasetColumnView => dataset::column_view(a),
        Native::DatasetHead => dataset::head(cx, a),
        Native::DatasetDescribe => dataset::describe(cx, a),
        Native::DatasetFilter => dataset::filter(cx, a),
        Native::DatasetSelect => dataset::select(cx, a),
        Native::DatasetSortBy => dataset::sort_by(cx, a),
        Native::DatasetWithColumn => dataset::with_column(cx, a),
        Native::DatasetDropMissing => dataset::drop_missing(cx, a),
        Native::DatasetGroupBy => dataset::group_by(cx, a),
        Native::GroupByAgg => dataset::agg(cx, a),
        Native::DatasetJoin => dataset::join(cx, a),
        Native::DatasetSave => dataset::save(a),
        Native::DatasetTrySave => result::attempt(cx, dataset::save(a)),
        Native::ColumnDtype => dataset::dtype(cx, a),
        Native::ColumnLen => dataset::column_len(a),
        Native::ColumnToTensor => dataset::to_tensor(cx, a),
        Native::ColumnInts => dataset::ints(cx, a),
        Native::ColumnFloats => dataset::floats(cx, a),
        Native::ColumnStrings => dataset::strings(cx, a),
        Native::ColumnSum => dataset::aggregate(a, "sum"),
        Native::ColumnMean => dataset::aggregate(a, "mean"),
        Native::ColumnMin => dataset::aggregate(a, "min"),
        Native::ColumnMax => dataset::aggregate(a, "max"),
        Native::ColumnStd => dataset::aggregate(a, "std"),
        Native::ColumnCount => dataset::count(a),
        Native::ColumnUnique => dataset::unique(cx, a),
        Native::ColumnValueCounts => dataset::value_counts(cx, a),
        Native::ColumnLt => dataset::compare(cx, dataset::Cmp::Lt, a),
        Native::ColumnLe => dataset::compare(cx, dataset::Cmp::Le, a),
        Native::ColumnGt => dataset::compare(cx, dataset::Cmp::Gt, a),
        Native::ColumnGe => dataset::compare(cx, dataset::Cmp::Ge, a),
        Native::ColumnEq => dataset::compare(cx, dataset::Cmp::Eq, a),
        Native::ColumnNe => dataset::compare(cx, dataset::Cmp::Ne, a),
        Native::FileOpen => stream::open(cx, a),
        // The twins (SPEC §6): the same natives, their runtime errors turned into `Err`.
        Native::FileTryOpen => {
            let done = stream::open(cx, a);
            result::attempt(cx, done)
        }
        Native::StreamTryReadLine => {
            let done = stream::read_line(cx, a);
            result::attempt(cx, done)
        }
        Native::StreamTryReadAll => {
            let done = stream::read_all(cx, a);
            result::attempt(cx, done)
        }
        Native::StreamTryWrite => result::attempt(cx, stream::write(a)),
        Native::StreamTryClose => {
            let done = stream::close(cx, a);
            result::attempt(cx, done)
        }
        Native::ReadFile => {
            let done = stream::read_file(cx, a);
            result::attempt(cx, done)
        }
        Native::WriteFile => result::attempt(cx, stream::write_file(a)),
        Native::DatasetTryLoad => {
            let done = dataset::load(cx, a);
            result::attempt(cx, done)
        }
        Native::DatasetTryColumn => {
            let done = dataset::column(cx, a);
            result::attempt(cx, done)
        }
        Native::StreamReadLine => stream::read_line(cx, a),
        Native::StreamReadAll => stream::read_all(cx, a),
        Native::StreamWrite => stream::write(a),
        Native::StreamClose => stream::close(cx, a),
        // `Native::needs_vm`: the VM runs these (`Vm::vm_native`), so the interpreter never
        // calls this for them. (A test holds this arm to exactly those rows.)
        other => handled_by_the_vm(other),
    }
}

/// The refusal of a native the VM runs itself; out of line, so that its message does not
/// weigh on every native call.
#[cold]
#[inline(never)]
fn handled_by_the_vm(native: Native) -> Fallible<Value> {
    fail(format!(
        "internal error: `{}` is handled by the VM",
        native.name()
    ))
}
