//! The textures the attention products read and `shaders/attention_pack.wgsl`, which fills
//! them from strided buffers: [`Packed`] for an invocation's own operand
//! (`shaders/attention_texels.wgsl` describes the layout), [`Shared`] for the operand a
//! workgroup shares through `spread` (`shaders/attention_matmul.wgsl`).

use super::AttentionShape;
use crate::gpu::{id, items_per_layer, rgba_texture, Bind, Dispatch, Gpu, GpuTensor, WG};

/// Texels per row of a [`Shared`] texture (`spread_*.wgsl` address it so).
const SHARED_ROW: usize = 1024;

/// An operand [z, rows, k] packed along k: rgba32float texels of 4 consecutive k, each of the
/// z * rows rows ceil(k / 4) texels wide, `layer_h` rows (a whole number of z) per array layer.
pub(super) struct Packed {
    pub view: wgpu::TextureView,
    pub rows: usize,
    pub k: usize,
    pub layer_h: usize,
}

impl Packed {
    pub fn new(gpu: &Gpu, label: &str, z: usize, rows: usize, k: usize) -> Packed {
        let max = gpu.limits.max_texture_dimension_2d as usize;
        let max_layers = gpu.limits.max_texture_array_layers as usize;
        let k4 = k.div_ceil(4);
        assert!(
            k4 <= max,
            "attention: {label} rows of {k} values need {k4} texels, over this adapter's limit of {max}"
        );
        // Whole z per layer, so that the outer products step through one z's rows in a layer.
        assert!(
            rows <= max,
            "attention: {label} has {rows} rows per head, over this adapter's limit of {max}"
        );
        let per_layer = items_per_layer(max / rows, z);
        let layer_h = per_layer * rows;
        let layers = z.div_ceil(per_layer);
        assert!(
            layers <= max_layers && z * rows < 1 << 24,
            "attention: {label} needs {layers} texture layers of {layer_h} rows, over this adapter's limit of {max_layers}; use a smaller batch"
        );
        let view = rgba_texture(gpu, label, [k4, layer_h, layers], true);
        Packed {
            view,
            rows,
            k,
            layer_h,
        }
    }

    pub fn k4(&self) -> usize {
        self.k.div_ceil(4)
    }
}

crate::uniform! {
    /// Where element (z, r, t) of a strided operand lives: off + image * img + head * head +
    /// r * row + t * col, for z = image * heads + head.
    /// (The matmul's output operand names its fields `o_off`, `o_img`, ...)
    pub(super) struct Operand {
        pub off | o_off: u32,
        pub img | o_img: u32,
        pub head | head_stride | o_head: u32,
        pub row | o_row: u32,
        pub col | o_col: u32,
    }
}

impl Operand {
    /// Head h's block of one third (`part` 0, 1, 2: q, k, v) of qkv [n, L, 3C], as [L, d].
    pub fn qkv(s: &AttentionShape, part: usize) -> Operand {
        let c3 = 3 * s.c;
        Self::new(part * s.c, s.l * c3, s.d(), c3, 1)
    }

    /// Head h's block of [n, L, C] (o, dO), as [L, d].
    pub fn tokens(s: &AttentionShape) -> Operand {
        Self::new(0, s.l * s.c, s.d(), s.c, 1)
    }

    fn new(off: usize, img: usize, head: usize, row: usize, col: usize) -> Operand {
        Operand {
            off: off as u32,
            img: img as u32,
            head: head as u32,
            row: row as u32,
            col: col as u32,
        }
    }

    /// The same elements with the two matrix indices swapped.
    pub fn t(self) -> Operand {
        Operand {
            row: self.col,
            col: self.row,
            ..self
        }
    }
}

/// How a shared operand b is read: `Inner` for b[z, c, t] (summed with an own operand packed
/// along t), `Outer` for b[z, t, c] (summed with one packed along its output rows).
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Form {
    Inner = 0,
    Outer = 1,
}

/// A shared operand of `cols` columns summed over `k`: columns in blocks of 8, 4 summed
/// values per step, the 8 texels of a step consecutive in rows of 1024 texels (the layout
/// `spread` reads; `shaders/attention_pack.wgsl` gives the details).
pub(super) struct Shared {
    pub view: wgpu::TextureView,
    pub cols: usize,
    pub k: usize,
    form: Form,
}

impl Shared {
    pub fn new(gpu: &Gpu, label: &str, z: usize, cols: usize, k: usize, form: Form) -> Shared {
        let texels = z * cols.div_ceil(8) * k.div_ceil(4) * 8;
        let height = texels.div_ceil(SHARED_ROW);
        let max = gpu.limits.max_texture_dimension_2d as usize;
        assert!(
            height <= max && SHARED_ROW <= max,
            "attention: {label} needs a texture of {SHARED_ROW}x{height} texels, over this adapter's limit of {max}; use a smaller batch"
        );
        let view = rgba_texture(gpu, label, [SHARED_ROW, height, 1], false);
        Shared {
            view,
            cols,
            k,
            form,
        }
    }

    pub fn cblocks(&self) -> usize {
        self.cols.div_ceil(8)
    }

    pub fn steps(&self) -> usize {
        self.k.div_ceil(4)
    }

    pub fn form(&self) -> Form {
        self.form
    }
}

crate::uniform! {
    struct PackParams for attention_pack {
        rows: u32,
        k: u32,
        k4: u32,
        heads: u32,
        layer_h: u32,
        src: Operand,
        cblocks: u32,
        form: u32,
    }
}

crate::bindings! {
    for attention_pack {
        main => { src: read, dst: texture_storage_2d_array }
        pack_shared => { src: read, shared_dst: texture_storage_2d }
    }
}

/// Fill `dst` from the strided operand `op` of `src` (every head of every image).
pub(super) fn pack(
    gpu: &Gpu,
    s: &AttentionShape,
    src: &GpuTensor,
    op: Operand,
    dst: &Packed,
) -> Dispatch {
    let texels = dst.rows * dst.k4();
    let p = PackParams {
        rows: dst.rows as u32,
        k: dst.k as u32,
        k4: dst.k4() as u32,
        heads: s.heads as u32,
        layer_h: dst.layer_h as u32,
        src: op,
        cblocks: 0,
        form: 0,
    };
    dispatch(gpu, s, "main", &p, src, &dst.view, texels)
}

/// Fill `dst` from `src`, where `op` addresses (z, column, summed index) whatever the form.
pub(super) fn pack_shared(
    gpu: &Gpu,
    s: &AttentionShape,
    src: &GpuTensor,
    op: Operand,
    dst: &Shared,
) -> Dispatch {
    let p = PackParams {
        rows: dst.cols as u32,
        k: dst.k as u32,
        k4: dst.steps() as u32,
        heads: s.heads as u32,
        layer_h: 0,
        src: op,
        cblocks: dst.cblocks() as u32,
        form: dst.form as u32,
    };
    let texels = dst.cblocks() * dst.steps() * 8;
    dispatch(gpu, s, "pack_shared", &p, src, &dst.view, texels)
}

fn dispatch(
    gpu: &Gpu,
    s: &AttentionShape,
    entry: &str,
    p: &PackParams,
    src: &GpuTensor,
    dst: &wgpu::TextureView,
    texels: usize,
) -> Dispatch {
    let groups = texels.div_ceil(WG as usize);
    assert!(
        groups <= 65535,
        "attention_pack: {texels} texels per head exceed the grid"
    );
    gpu.dispatch_bound(
        "attention_pack",
        id::attention_pack,
        entry,
        p,
        &[Bind::Tensor(src), Bind::Texture(dst)],
        [groups as u32, (s.n * s.heads) as u32, 1],
    )
}
