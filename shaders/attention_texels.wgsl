// Library: where the attention kernels keep their packed operands (src/kernels/attention/
// packed.rs). An operand [z, rows, K] is a texture_2d_array of rgba32float texels: row
// z * rows + r holds ceil(K / 4) texels of 4 consecutive t (zero past K), and the rows are
// stacked `layer_h` (a whole number of z) per array layer.

// import common

// (y, layer) of texture row `row`.
fn texel_row(row: u32, layer_h: u32) -> vec2<u32> {
    let layer = udiv(row, layer_h);
    return vec2<u32>(row - layer * layer_h, layer);
}
