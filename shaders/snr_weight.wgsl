// Min-SNR loss weight per image (Hang et al. 2023, "Efficient Diffusion Training via Min-SNR
// Weighting"), from the image's timestep t[i] and the schedule table (rows beta, alpha, abar,
// 1 - abar):
//   snr = abar_t / (1 - abar_t)
//   pred 0 (eps): w = min(snr, gamma) / snr
//   pred 1 (x0):  w = min(snr, gamma)
//   pred 2 (v):   w = min(snr, gamma) / (snr + 1)
// Computed on the GPU so a training step reads no timestep back.

// import grid_1d

struct Params {
    total: u32, // images
    pred: u32,
    gamma: f32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> table: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> t: array<u32>;
@group(0) @binding(3) var<storage, read_write> w: array<f32>;

fn item(i: u32) {
    let row = table[t[i]];
    let snr = row.z / row.w;
    let clipped = min(snr, p.gamma);
    var v = clipped;
    if (p.pred == 0u) {
        v = clipped / snr;
    } else if (p.pred == 2u) {
        v = clipped / (snr + 1.0);
    }
    w[i] = v;
}
