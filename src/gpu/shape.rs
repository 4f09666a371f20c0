//! Shape checks for kernel launchers. A wrong shape would make a kernel read or write past
//! what the caller meant, silently, so launchers check every binding before recording it.
//! Each check panics at the caller's line with one message form: the op, the tensor, what it
//! has, and what the op wants.

use super::tensor::GpuTensor;

/// `t` holds `want` elements; `layout` says how the op reads them (`"[n, c, hw]"`, `"[c]"`).
#[track_caller]
pub fn expect_len(op: &str, name: &str, t: &GpuTensor, want: usize, layout: &str) {
    assert!(
        t.len() == want,
        "{op}: {name} has {} elements, want {want} ({layout})",
        t.len()
    );
}

/// `t` holds as many elements as `like` (elementwise ops, whatever the shapes' rank).
#[track_caller]
pub fn expect_len_of(op: &str, name: &str, t: &GpuTensor, like: &GpuTensor) {
    assert!(
        t.len() == like.len(),
        "{op}: {name} has shape {:?}, want {} elements as {:?}",
        t.shape,
        like.len(),
        like.shape
    );
}

/// `t` has exactly the shape `want`.
#[track_caller]
pub fn expect_shape(op: &str, name: &str, t: &GpuTensor, want: &[usize]) {
    assert!(
        t.shape == want,
        "{op}: {name} has shape {:?}, want {want:?}",
        t.shape
    );
}

/// The dimensions of `t`, which must have rank `R`; `layout` names them (`"[n, c, h, w]"`).
#[track_caller]
pub fn dims<const R: usize>(op: &str, name: &str, t: &GpuTensor, layout: &str) -> [usize; R] {
    match t.shape.as_slice().try_into() {
        Ok(d) => d,
        Err(_) => panic!("{op}: {name} has shape {:?}, want {layout}", t.shape),
    }
}

/// `len` elements can be indexed with the u32 of WGSL.
#[track_caller]
pub fn expect_u32(op: &str, len: usize) {
    assert!(
        len <= u32::MAX as usize,
        "{op}: {len} elements, more than 2^32"
    );
}

/// `a` and `b` do not overlap: one kernel must not write memory through one binding that it
/// reads or writes through another.
#[track_caller]
pub fn expect_disjoint(op: &str, (a_name, a): (&str, &GpuTensor), (b_name, b): (&str, &GpuTensor)) {
    assert!(!a.overlaps(b), "{op}: {a_name} and {b_name} overlap");
}
