//! Built-in operations (`Instr::CallNative`). Operands arrive as a slice of the caller's
//! registers; those `Native::consumes` names are taken over (the VM clears their registers
//! afterwards), the rest are views. Results are owned.
//!
//! `call` dispatches each native to its module; those and `operands.rs` never name this
//! one. The natives that need the whole VM (`Native::needs_vm`, from their registry rows:
//! `Memory.collect`, `spawn`, `join`, `error`) are not here: the VM runs them
//! (`rare.rs`, `Vm::vm_native`).

pub(crate) mod core;
pub(crate) mod dataset;
pub(crate) mod list;
pub(crate) mod map;
pub(crate) mod memory;
pub(crate) mod operands;
pub(crate) mod stream;
pub(crate) mod string;
pub(crate) mod tensor;

pub(crate) use operands::{map_key_of, NativeCx};

use crate::error::{fail, Fallible};
use stark_bytecode::{DataOp, Native};
use stark_runtime::Value;

pub(crate) fn call(cx: &mut NativeCx<'_>, native: Native, a: &[Value]) -> Fallible<Value> {
    match native {
        Native::Print => core::print(cx, a),
        Native::ToStr => core::to_str(cx, a),
        Native::Format => core::format(cx, a),
        Native::PrintFormat => core::print_format(cx, a),
        Native::ParseInt => core::parse_int(a),
        Native::FloatToInt => core::float_to_int(a),
        Native::ParseFloat => core::parse_float(a),
        Native::Assert => core::assert(a),
        Native::Args => core::args(cx),
        Native::ArgsView => core::args_view(cx),
        Native::Exit => core::exit(cx, a),
        Native::RangeList => core::range_list(cx, a),

        Native::StrLen => string::len(a),
        Native::StrSplit => string::split(cx, a),
        Native::StrContains => string::contains(a),
        Native::StrUpper => string::map_text(cx, a, str::to_uppercase),
        Native::StrLower => string::map_text(cx, a, str::to_lowercase),
        Native::StrTrim => string::map_text(cx, a, |s| s.trim().to_string()),

        Native::ListPush => list::push(cx, a),
        Native::ListPop => list::pop(a),
        Native::ListLen => list::len(a),
        Native::ListGetOpt => list::get_opt(cx, a),
        Native::ListTake => list::take(cx, a),
        Native::ListInsert => list::insert(cx, a),
        Native::ListRemove => list::remove(a),
        Native::ListClear => list::clear(cx, a),
        Native::ListContains => list::contains(a),
        Native::ListSort => list::sort(a),

        Native::MapInsert | Native::MapSet => map::insert(cx, a),
        Native::MapGet => map::get(cx, a),
        Native::MapIndex => map::index(cx, a),
        Native::MapContains => map::contains(a),
        Native::MapRemove => map::remove(cx, a),
        Native::MapLen => map::len(a),
        Native::MapKeys => map::keys(cx, a),
        Native::MapValues => map::values(cx, a),
        Native::MapClear => map::clear(cx, a),

        Native::DeepCopy => memory::deep_copy(cx, a),
        Native::Refcount => memory::refcount(a),
        Native::WeakNew => memory::weak_new(cx, a),
        Native::WeakGet => memory::weak_get(cx, a),
        Native::WeakExists => memory::weak_exists(a),
        Native::MemProfile => memory::profile(cx),
        Native::GcConfig => memory::gc_config(cx, a),
        Native::MemUsageByType => memory::usage_by_type(cx),
        Native::MemTrace => memory::trace(cx, a),
        Native::Data(op) => match op {
            DataOp::DatasetLoad => dataset::load(cx, a),
            DataOp::DatasetLen => dataset::len(a),
            DataOp::DatasetColumns => dataset::columns(cx, a),
            DataOp::DatasetColumn => dataset::column(cx, a),
            DataOp::DatasetRow => dataset::row(cx, a),
            DataOp::FileOpen => stream::open(cx, a),
            DataOp::ReadLine => stream::read_line(cx, a),
            DataOp::ReadAll => stream::read_all(cx, a),
            DataOp::Write => stream::write(a),
            DataOp::Close => stream::close(cx, a),
            // Every other data operation is a tensor's.
            _ => tensor::call(cx, op, a),
        },
        Native::DataDims { op, rank } => tensor::call_dims(cx, op, rank as usize, a),
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
