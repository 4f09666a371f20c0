//! The PyTorch golden of tests/golden.rs in the page: the same fixture bytes (fetched from
//! the server) through the same comparison, `wgpu_ddpm::model::golden`.

use wasm_bindgen::prelude::*;
use wgpu_ddpm::model::golden::{compare, Fixture};
use wgpu_ddpm::model::network::NetKind;

/// `net` is `seed-unet` (then `first` holds torch_unet_tiny.safetensors and `second`
/// torch_unet_golden.safetensors, at 8x8) or a seed network `seed00N` (`first` holds
/// golden_seed00N.safetensors, `second` is empty). Resolves to one line, "golden NAME: ...
/// worst relative error E bound B (tensor)", which ends ", K FAILED: ..." on a miss.
#[wasm_bindgen(js_name = goldenCheck)]
pub async fn golden_check(net: String, first: Vec<u8>, second: Vec<u8>) -> Result<String, JsValue> {
    let gpu = crate::gpu()?;
    let fx = if net == "seed-unet" {
        Fixture::seed_unet(&first, &second, 8)
    } else {
        NetKind::from_name(&net).and_then(|k| Fixture::seed(k, &first))
    }
    .map_err(crate::err)?;
    let report = compare(&gpu, &fx).await.map_err(crate::err)?;
    Ok(report.summary())
}
