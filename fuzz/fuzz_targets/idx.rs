//! IDX image and label files (raw or gzip) through the decode `--data FILE.idx` runs.
//! Input: a flags byte (bit 0: a label file follows, bit 1: resize), a size byte, a 2-byte
//! length of the image file, then the image file and the label file.
#![no_main]

use libfuzzer_sys::fuzz_target;
use wgpu_ddpm::data::idx;

fuzz_target!(|data: &[u8]| {
    let [flags, size, l0, l1, rest @ ..] = data else {
        return;
    };
    let split = (u16::from_le_bytes([*l0, *l1]) as usize).min(rest.len());
    let (images, labels) = rest.split_at(split);
    let labels = (flags & 1 != 0).then(|| ("fuzz-labels-idx1-ubyte", labels.to_vec()));
    let size = (flags & 2 != 0).then_some(4 * (*size as usize % 16 + 1));
    let _ = idx::decode("fuzz-images-idx3-ubyte", images.to_vec(), labels, size);
    let _ = idx::parse_labels("fuzz-labels-idx1-ubyte", rest);
});
