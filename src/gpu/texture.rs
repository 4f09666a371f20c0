//! The rgba32float textures the conv and attention kernels pack their operands into: a
//! texture read is branch-free and zero outside on lavapipe, unlike a storage-buffer load.

use super::Gpu;

/// A texture of rgba32float texels, `[width, height, layers]`, that kernels fill (storage)
/// and read (sampled), and its view: a 2-D array view if `array`, else a 2-D one.
pub fn rgba_texture(
    gpu: &Gpu,
    label: &str,
    [width, height, layers]: [usize; 3],
    array: bool,
) -> wgpu::TextureView {
    let tex = gpu.create_texture(&wgpu::TextureDescriptor {
        label: Some(label),
        size: wgpu::Extent3d {
            width: width as u32,
            height: height as u32,
            depth_or_array_layers: layers as u32,
        },
        mip_level_count: 1,
        sample_count: 1,
        dimension: wgpu::TextureDimension::D2,
        format: wgpu::TextureFormat::Rgba32Float,
        usage: wgpu::TextureUsages::TEXTURE_BINDING | wgpu::TextureUsages::STORAGE_BINDING,
        view_formats: &[],
    });
    tex.create_view(&wgpu::TextureViewDescriptor {
        dimension: Some(if array {
            wgpu::TextureViewDimension::D2Array
        } else {
            wgpu::TextureViewDimension::D2
        }),
        ..Default::default()
    })
}
