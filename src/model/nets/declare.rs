//! How a network names, shapes and initialises its tensors: one call per PyTorch module,
//! adding that module's `state_dict` entries in PyTorch's order.

use crate::gpu::Gpu;
use crate::model::params::Layout;
use crate::util::host_rng::HostRng;

/// How PyTorch initialises a tensor.
#[derive(Clone, Copy, Debug)]
enum Init {
    /// U(-b, b): kaiming-uniform(a = sqrt(5)) weights and their biases (b = 1/sqrt(fan_in)),
    /// and xavier-uniform attention projections.
    Uniform(f32),
    /// N(0, 1): nn.Embedding.
    Normal,
    Const(f32),
}

/// The tensors of a network being declared: `params` (trained), `stats` (BatchNorm running
/// statistics) and how each is initialised.
pub struct Declare {
    pub params: Layout,
    pub stats: Layout,
    pub bn_layers: Vec<String>,
    param_init: Vec<Init>,
    stat_init: Vec<Init>,
}

impl Declare {
    pub fn new(gpu: &Gpu) -> Self {
        Self::with_layouts(Layout::new(gpu), Layout::new(gpu))
    }

    /// Names and shapes only (offsets unaligned), for the checks made before a GPU exists.
    pub fn unaligned() -> Self {
        Self::with_layouts(Layout::with_align(1), Layout::with_align(1))
    }

    fn with_layouts(params: Layout, stats: Layout) -> Self {
        Self {
            params,
            stats,
            bn_layers: Vec::new(),
            param_init: Vec::new(),
            stat_init: Vec::new(),
        }
    }

    fn param(&mut self, name: String, shape: &[usize], init: Init) {
        self.params.add(name, shape);
        self.param_init.push(init);
    }

    fn stat(&mut self, name: String, shape: &[usize], init: Init) {
        self.stats.add(name, shape);
        self.stat_init.push(init);
    }

    /// A weight and (optionally) its bias, both U(-1/sqrt(fan_in), 1/sqrt(fan_in)).
    fn weight_bias(&mut self, name: &str, shape: &[usize], fan_in: usize, bias: Option<usize>) {
        let b = 1.0 / (fan_in as f32).sqrt();
        self.param(format!("{name}.weight"), shape, Init::Uniform(b));
        if let Some(n) = bias {
            self.param(format!("{name}.bias"), &[n], Init::Uniform(b));
        }
    }

    /// nn.Conv2d(cin, cout, k, bias=bias): weight [cout, cin, k, k].
    pub fn conv(&mut self, name: &str, cin: usize, cout: usize, k: usize, bias: bool) {
        self.weight_bias(name, &[cout, cin, k, k], cin * k * k, bias.then_some(cout));
    }

    /// nn.ConvTranspose2d(cin, cout, k): weight [cin, cout, k, k]; PyTorch's fan-in is
    /// the weight's second dimension times the window, cout * k * k.
    pub fn conv_transpose(&mut self, name: &str, cin: usize, cout: usize, k: usize) {
        self.weight_bias(name, &[cin, cout, k, k], cout * k * k, Some(cout));
    }

    /// nn.Linear(fin, fout): weight [fout, fin], bias [fout].
    pub fn linear(&mut self, name: &str, fin: usize, fout: usize) {
        self.weight_bias(name, &[fout, fin], fin, Some(fout));
    }

    /// nn.BatchNorm2d(c): gamma 1, beta 0; running mean 0, running var 1.
    pub fn batchnorm(&mut self, name: &str, c: usize) {
        self.norm(name, c);
        self.stat(format!("{name}.running_mean"), &[c], Init::Const(0.0));
        self.stat(format!("{name}.running_var"), &[c], Init::Const(1.0));
        self.bn_layers.push(name.to_string());
    }

    /// The affine part of nn.GroupNorm / nn.LayerNorm (and BatchNorm): weight 1, bias 0.
    pub fn norm(&mut self, name: &str, c: usize) {
        self.param(format!("{name}.weight"), &[c], Init::Const(1.0));
        self.param(format!("{name}.bias"), &[c], Init::Const(0.0));
    }

    /// nn.Embedding(n, d): N(0, 1).
    pub fn embedding(&mut self, name: &str, n: usize, d: usize) {
        self.param(format!("{name}.weight"), &[n, d], Init::Normal);
    }

    /// nn.MultiheadAttention(c, heads): in_proj xavier-uniform with zero bias, out_proj a
    /// Linear whose bias PyTorch zeroes.
    pub fn attention(&mut self, name: &str, c: usize) {
        let xavier = (6.0 / (c + 3 * c) as f32).sqrt();
        self.param(
            format!("{name}.in_proj_weight"),
            &[3 * c, c],
            Init::Uniform(xavier),
        );
        self.param(format!("{name}.in_proj_bias"), &[3 * c], Init::Const(0.0));
        let b = 1.0 / (c as f32).sqrt();
        self.param(format!("{name}.out_proj.weight"), &[c, c], Init::Uniform(b));
        self.param(format!("{name}.out_proj.bias"), &[c], Init::Const(0.0));
    }

    /// The two layouts, the BatchNorm layer names, and how to initialise them.
    pub(crate) fn finish(self) -> (Layout, Layout, Vec<String>, Inits) {
        let inits = Inits {
            params: self.param_init,
            stats: self.stat_init,
        };
        (self.params, self.stats, self.bn_layers, inits)
    }
}

/// How each tensor of a declared network is initialised, in declaration order.
pub(crate) struct Inits {
    params: Vec<Init>,
    stats: Vec<Init>,
}

impl Inits {
    /// Host copies of both layouts, drawn from one generator in declaration order.
    pub(crate) fn draw(&self, params: &Layout, stats: &Layout, seed: u64) -> (Vec<f32>, Vec<f32>) {
        let mut rng = HostRng::new(seed);
        let mut fill = |layout: &Layout, inits: &[Init]| {
            let mut i = 0;
            layout
                .join(|e| {
                    let v = match inits[i] {
                        Init::Uniform(b) => rng.vec_uniform(e.len(), -b, b),
                        Init::Normal => rng.vec_normal(e.len()),
                        Init::Const(c) => vec![c; e.len()],
                    };
                    i += 1;
                    Ok(v)
                })
                .expect("initialisers cannot fail")
        };
        (fill(params, &self.params), fill(stats, &self.stats))
    }
}
