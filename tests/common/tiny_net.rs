//! The tiny seed U-Net of the end-to-end tests (the CLI tests' `TINY` flags describe the same
//! network): 1x8x8 images, channels 4, 6, 8, a 6-wide time embedding.

use wgpu_ddpm::model::network::NetConfig;

pub fn tiny_net(num_classes: usize) -> NetConfig {
    NetConfig {
        image_channels: 1,
        image_size: 8,
        channels: vec![4, 6, 8],
        temb_dim: 6,
        num_classes,
        ..Default::default()
    }
}
