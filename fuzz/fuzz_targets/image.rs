//! PNG and JPEG bytes through the decode, resize and gray/RGB conversion a folder or a
//! single image gets. Input: a byte choosing the format (PNG, JPEG, or guessed, as the
//! extension would), a byte for the size and channels, then the file.
#![no_main]

use image::ImageFormat;
use libfuzzer_sys::fuzz_target;
use wgpu_ddpm::data::images;

fuzz_target!(|data: &[u8]| {
    let [format, shape, file @ ..] = data else {
        return;
    };
    let format = match format % 3 {
        0 => Some(ImageFormat::Png),
        1 => Some(ImageFormat::Jpeg),
        _ => None,
    };
    let size = 4 * (*shape as usize % 16 + 1);
    let channels = if shape & 0x80 != 0 { 3 } else { 1 };
    let _ = images::planes(file, format, size, channels);
});
