//! Reading tensors back to the host. One async path serves both builds: natively it polls the
//! device until the map callback has run (so `read` can block on it with pollster); in the
//! browser nothing may block, so the future resolves when the browser's event loop delivers
//! the map callback.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};

use anyhow::{anyhow, Result};

use super::context::Gpu;
use super::tensor::GpuTensor;

/// A one-shot slot filled by a wgpu callback, awaited by the reader. (The callback must be
/// `Send` natively, hence the mutex; no crate needed for this much.)
struct Slot<T>(Arc<Mutex<(Option<T>, Option<Waker>)>>);

impl<T> Slot<T> {
    fn new() -> (Slot<T>, impl FnOnce(T)) {
        let shared = Arc::new(Mutex::new((None, None::<Waker>)));
        let tx = shared.clone();
        let fill = move |v: T| {
            let mut g = tx.lock().unwrap_or_else(|e| e.into_inner());
            g.0 = Some(v);
            if let Some(w) = g.1.take() {
                w.wake();
            }
        };
        (Slot(shared), fill)
    }
}

impl<T> Future for Slot<T> {
    type Output = T;
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T> {
        let mut g = self.0.lock().unwrap_or_else(|e| e.into_inner());
        match g.0.take() {
            Some(v) => Poll::Ready(v),
            None => {
                g.1 = Some(cx.waker().clone());
                Poll::Pending
            }
        }
    }
}

impl Gpu {
    pub async fn read_async(&self, t: &GpuTensor) -> Vec<f32> {
        bytemuck::cast_slice(&self.read_bytes(t).await).to_vec()
    }

    pub async fn read_u32_async(&self, t: &GpuTensor) -> Vec<u32> {
        bytemuck::cast_slice(&self.read_bytes(t).await).to_vec()
    }

    /// Blocking readback (never used inside a training step).
    #[cfg(not(target_arch = "wasm32"))]
    pub fn read(&self, t: &GpuTensor) -> Vec<f32> {
        pollster::block_on(self.read_async(t))
    }

    #[cfg(not(target_arch = "wasm32"))]
    pub fn read_u32(&self, t: &GpuTensor) -> Vec<u32> {
        pollster::block_on(self.read_u32_async(t))
    }

    async fn read_bytes(&self, t: &GpuTensor) -> Vec<u8> {
        let size = t.len() as u64 * 4;
        if size == 0 {
            return Vec::new();
        }
        // The staging buffer leaves its slot while mapped: a second read that starts meanwhile
        // (possible in the browser, where reads interleave) makes its own instead of waiting.
        let taken = self
            .staging
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take();
        let staging = match taken {
            Some(b) if b.size() >= size => b,
            _ => self.create_buffer(
                "readback",
                size.next_power_of_two(),
                wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
            ),
        };
        let mut enc = self.device.create_command_encoder(&Default::default());
        enc.copy_buffer_to_buffer(&t.buf, t.offset, &staging, 0, size);
        self.queue.submit([enc.finish()]);
        let (mapped, fill) = Slot::new();
        staging.map_async(wgpu::MapMode::Read, ..size, fill);
        #[cfg(not(target_arch = "wasm32"))]
        self.wait()
            .expect("device lost while reading a tensor back");
        mapped.await.expect("could not map the readback buffer");
        let out = staging
            .get_mapped_range(..size)
            .expect("mapped range")
            .to_vec();
        staging.unmap();
        *self.staging.lock().unwrap_or_else(|e| e.into_inner()) = Some(staging);
        out
    }

    /// Block until all submitted work is done. (In the browser a poll returns at once; there
    /// the next `read_async` is what waits.)
    pub fn wait(&self) -> Result<()> {
        self.device
            .poll(wgpu::PollType::wait_indefinitely())
            .map(|_| ())
            .map_err(|e| anyhow!("GPU wait failed: {e}"))
    }
}
