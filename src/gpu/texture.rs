//! The rgba32float textures the conv and attention kernels pack their operands into and read
//! as read-only storage textures: a texture read is a branch-free gather on lavapipe, unlike
//! a storage-buffer load (shaders/conv2d.wgsl).

use super::Gpu;

/// Why array textures have two layers or more: wgpu's GL backend (and WebGPU's compatibility
/// mode) fixes a texture's kind when it is created, from its layer count alone. One layer
/// makes a plain 2-D texture, which a `texture_2d_array` / `texture_storage_2d_array`
/// binding then reads as garbage and writes nowhere, with no validation error.
pub const MIN_ARRAY_LAYERS: usize = 2;

/// How many of `count` items (images, heads) to put in each layer of an array texture when
/// `fit` of them fit in one: as many as fit, but no more than an even split over
/// [`MIN_ARRAY_LAYERS`] layers, so that the array never needs an empty padding layer unless
/// there are fewer items than that.
pub fn items_per_layer(fit: usize, count: usize) -> usize {
    fit.min(count.div_ceil(MIN_ARRAY_LAYERS)).max(1)
}

/// A texture of rgba32float texels, `[width, height, layers]`, that kernels fill (storage)
/// and read (sampled), and its view: a 2-D array view if `array` (then at least
/// [`MIN_ARRAY_LAYERS`] layers, the ones past `layers` unused), else a 2-D one.
pub fn rgba_texture(
    gpu: &Gpu,
    label: &str,
    [width, height, layers]: [usize; 3],
    array: bool,
) -> wgpu::TextureView {
    let layers = if array {
        layers.max(MIN_ARRAY_LAYERS)
    } else {
        layers
    };
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn items_split_over_two_layers_when_they_would_fit_in_one() {
        assert_eq!(items_per_layer(273, 128), 64);
        assert_eq!(items_per_layer(273, 3), 2);
        assert_eq!(items_per_layer(273, 1), 1);
        // Too many for two layers: as many as fit.
        assert_eq!(items_per_layer(50, 128), 50);
        for fit in 1..12 {
            for count in 1..40 {
                let per = items_per_layer(fit, count);
                let layers = count.div_ceil(per);
                assert!(per <= fit && per >= 1, "fit {fit} count {count}");
                assert!(count < 2 || layers >= 2, "fit {fit} count {count}");
            }
        }
    }
}
