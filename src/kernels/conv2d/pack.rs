//! The textures the conv kernels read: activations (`shaders/conv2d_pack_input.wgsl`) and
//! weights (`shaders/conv2d_pack_weight.wgsl`).

use super::{groups_1d, Conv2dShape, CONV_CO};
use crate::gpu::{id, items_per_layer, rgba_texture, Bind, Dispatch, Gpu, GpuTensor};

/// Weight textures are rows of this many texels (`spread_*.wgsl`, `conv2d_pack_weight.wgsl`).
const WROW: usize = 1024;

/// An activation [n, c, h, w] packed for the conv kernels: rgba32float texels of 4 channels,
/// image n a row of ceil(c/4) tiles of (top + h + bottom) x (left + w + right) texels with a
/// zero border (1 on every side for the k = 3 / k = 1 kernels), `npl` images stacked per
/// array layer (see `shaders/conv2d_pack_input.wgsl`).
pub struct PackedInput {
    pub view: wgpu::TextureView,
    pub(super) params: PackParams,
    layers: u32,
}

crate::uniform! {
    pub(super) struct PackParams for conv2d_pack_input {
        pub(super) n: u32,
        c: u32,
        h: u32,
        w: u32,
        c4: u32,
        pub(super) npl: u32,
        tex_w: u32,
        layer_h: u32,
        ca: u32,
        pub(super) top: u32,
        pub(super) left: u32,
        pub(super) tile_h: u32,
        pub(super) tile_w: u32,
    }
}

/// Zero texels around each packed image: the padding a convolution's window reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Border {
    pub top: usize,
    pub left: usize,
    pub bottom: usize,
    pub right: usize,
}

impl Border {
    /// The same border on every side.
    pub fn even(b: usize) -> Border {
        Border {
            top: b,
            left: b,
            bottom: b,
            right: b,
        }
    }
}

impl PackedInput {
    /// The texture for an activation of shape [n, c, h, w] with a border of 1, within the
    /// adapter's limits.
    pub fn new(gpu: &Gpu, n: usize, c: usize, h: usize, w: usize) -> PackedInput {
        PackedInput::with_border(gpu, n, c, h, w, Border::even(1))
    }

    /// As `new`, with the border `b`.
    pub fn with_border(
        gpu: &Gpu,
        n: usize,
        c: usize,
        h: usize,
        w: usize,
        b: Border,
    ) -> PackedInput {
        let max = gpu.limits.max_texture_dimension_2d as usize;
        let max_layers = gpu.limits.max_texture_array_layers as usize;
        let c4 = c.div_ceil(4);
        let (tile_h, tile_w) = (b.top + h + b.bottom, b.left + w + b.right);
        let tex_w = c4 * tile_w;
        assert!(
            tex_w <= max && tile_h <= max,
            "conv2d: {c} channels of {h}x{w} pixels with border {b:?} need a texture {tex_w} texels wide and {tile_h} high, over this adapter's limit of {max}; use fewer channels or smaller images"
        );
        let npl = items_per_layer(max / tile_h, n);
        let layers = n.div_ceil(npl);
        assert!(
            layers <= max_layers,
            "conv2d: a batch of {n} images of {h}x{w} needs {layers} texture layers, over this adapter's limit of {max_layers}; use a batch of at most {}",
            npl * max_layers
        );
        let size = [tex_w, npl * tile_h, layers];
        let view = rgba_texture(gpu, "conv2d packed input", size, true);
        let params = PackParams {
            n: n as u32,
            c: c as u32,
            h: h as u32,
            w: w as u32,
            c4: c4 as u32,
            npl: npl as u32,
            tex_w: tex_w as u32,
            layer_h: (npl * tile_h) as u32,
            ca: 0,
            top: b.top as u32,
            left: b.left as u32,
            tile_h: tile_h as u32,
            tile_w: tile_w as u32,
        };
        PackedInput {
            view,
            params,
            layers: layers as u32,
        }
    }

    /// Fill the texture from the NCHW tensor `x`.
    pub fn pack(&self, gpu: &Gpu, x: &GpuTensor) -> Dispatch {
        self.pack_from(gpu, PackSource::Plain(x))
    }

    /// Fill the texture from `src` (a tensor, or the fused add / concat-and-add).
    pub fn pack_from(&self, gpu: &Gpu, src: PackSource) -> Dispatch {
        let mut p = self.params;
        let (n, c, hw) = (p.n as usize, p.c as usize, (p.h * p.w) as usize);
        let what = "conv2d_pack_input";
        let check = |name: &str, t: &GpuTensor, want: usize| {
            assert_eq!(
                t.len(),
                want,
                "{what}: {name} has {} elements, the packed shape [{n}, {c}, {}, {}] needs {want}",
                t.len(),
                p.h,
                p.w
            );
        };
        // Bindings an entry does not read get x (layouts come from the shader, which
        // declares them all).
        let (entry, x, v, b) = match src {
            PackSource::Plain(x) => {
                check("x", x, n * c * hw);
                ("main", x, x, x)
            }
            PackSource::Add { x, v } => {
                check("x", x, n * c * hw);
                check("v", v, n * c);
                ("add", x, v, x)
            }
            PackSource::CatAdd { a, b, v } => {
                let ca = a.len() / (n * hw).max(1);
                check("a", a, n * ca * hw);
                check("b", b, n * (c - ca.min(c)) * hw);
                check("v", v, n * c);
                assert!(
                    ca > 0 && ca < c,
                    "{what}: concat needs channels on both sides"
                );
                p.ca = ca as u32;
                ("cat_add", a, v, b)
            }
        };
        let groups = [p.tex_w.div_ceil(8), p.layer_h.div_ceil(8), self.layers];
        let binds = [
            Bind::Tensor(x),
            Bind::Texture(&self.view),
            Bind::Tensor(v),
            Bind::Tensor(b),
        ];
        gpu.dispatch_bound(what, id::conv2d_pack_input, entry, &p, &binds, groups)
    }
}

/// What a conv's input texture is packed from.
#[derive(Clone, Copy)]
pub enum PackSource<'a> {
    /// x itself, [n, c, h, w].
    Plain(&'a GpuTensor),
    /// x + v broadcast over h, w; v is [n, c].
    Add { x: &'a GpuTensor, v: &'a GpuTensor },
    /// cat(a, b) along channels + v; a [n, ca, h, w], b [n, c - ca, h, w], v [n, c].
    CatAdd {
        a: &'a GpuTensor,
        b: &'a GpuTensor,
        v: &'a GpuTensor,
    },
}

/// Conv weights packed for `conv2d.wgsl` and `conv2d_geom.wgsl` (see
/// `shaders/conv2d_pack_weight.wgsl`).
pub struct PackedWeights {
    pub view: wgpu::TextureView,
    params: WeightPackParams,
    mode: WeightMode,
}

/// How a weight tensor becomes the weights of the packed convolution (`cout` x `cin` of the
/// packed convolution; see `shaders/conv2d_pack_weight.wgsl`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WeightMode {
    /// The tensor is [cout, cin, k, k], used as it is.
    Forward,
    /// The tensor is [cin, cout, k, k] with the taps flipped (backward-input of a stride-1 conv).
    Transposed,
    /// The tensor is [cin, cout, k, k], taps as they are (the transposed-convolution gather).
    Swapped,
}

crate::uniform! {
    struct WeightPackParams for conv2d_pack_weight {
        cout: u32,
        cin: u32,
        k: u32,
        ci4: u32,
        texels: u32,
        kxp: u32,
        kyp: u32,
    }
}

crate::bindings! {
    for conv2d_pack_input { x: read, xt: texture_storage_2d_array, v: read, b: read }
    for conv2d_pack_weight { w: read, wt: texture_storage_2d }
}

impl PackedWeights {
    /// For the convolution `s` (forward), or for backward-input of `s` if `transposed`.
    pub fn new(gpu: &Gpu, s: &Conv2dShape, transposed: bool) -> PackedWeights {
        let t = if transposed { s.transposed() } else { *s };
        let mode = if transposed {
            WeightMode::Transposed
        } else {
            WeightMode::Forward
        };
        PackedWeights::with_mode(gpu, t.cout, t.cin, t.k, mode)
    }

    /// For a convolution from `cin` to `cout` channels with k x k taps, packed from a tensor
    /// laid out as `mode` says.
    pub fn with_mode(
        gpu: &Gpu,
        cout: usize,
        cin: usize,
        k: usize,
        mode: WeightMode,
    ) -> PackedWeights {
        PackedWeights::padded(gpu, cout, cin, k, [k, k], mode)
    }

    /// As `with_mode`, with the kernel padded with zero taps to `kyp` x `kxp` >= k x k.
    pub fn padded(
        gpu: &Gpu,
        cout: usize,
        cin: usize,
        k: usize,
        [kyp, kxp]: [usize; 2],
        mode: WeightMode,
    ) -> PackedWeights {
        assert!(
            kyp >= k && kxp >= k,
            "conv2d_pack_weight: a {kyp}x{kxp} grid of taps cannot hold {k}x{k}"
        );
        let ci4 = cin.div_ceil(4);
        let texels = cout.div_ceil(CONV_CO) * ci4 * kyp * kxp * 8;
        let rows = texels.div_ceil(WROW);
        let max = gpu.limits.max_texture_dimension_2d as usize;
        assert!(
            rows <= max,
            "conv2d: {} weights need {rows} texture rows, over this adapter's limit of {max}",
            cout * cin * k * k
        );
        let view = rgba_texture(gpu, "conv2d packed weights", [WROW, rows, 1], false);
        PackedWeights {
            view,
            params: WeightPackParams {
                cout: cout as u32,
                cin: cin as u32,
                k: k as u32,
                ci4: ci4 as u32,
                texels: texels as u32,
                kxp: kxp as u32,
                kyp: kyp as u32,
            },
            mode,
        }
    }

    /// Fill the texture from the weights `w`, laid out as the packing mode says.
    pub fn pack(&self, gpu: &Gpu, w: &GpuTensor) -> Dispatch {
        let p = &self.params;
        assert_eq!(
            w.len(),
            (p.cout * p.cin * p.k * p.k) as usize,
            "conv2d_pack_weight: weight tensor of {} elements does not match the packed shape",
            w.len()
        );
        let entry = match self.mode {
            WeightMode::Forward => "forward",
            WeightMode::Transposed => "transposed",
            WeightMode::Swapped => "swapped",
        };
        gpu.dispatch_bound(
            "conv2d_pack_weight",
            id::conv2d_pack_weight,
            entry,
            p,
            &[Bind::Tensor(w), Bind::Texture(&self.view)],
            groups_1d("conv2d_pack_weight", p.texels as usize, 64),
        )
    }
}
