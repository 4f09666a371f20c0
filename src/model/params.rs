//! Parameters live in one big buffer (and gradients, Adam moments, EMA in buffers of the same
//! layout), so zeroing gradients is one clear and Adam is one dispatch. Each tensor starts at
//! the adapter's storage-offset alignment so it can be bound on its own.

use std::sync::Arc;

use crate::gpu::{context::storage_usage, Gpu, GpuTensor};

#[derive(Clone, Debug)]
pub struct Entry {
    pub name: String,
    pub shape: Vec<usize>,
    /// Offset in f32 elements.
    pub offset: usize,
}

impl Entry {
    pub fn len(&self) -> usize {
        self.shape.iter().product()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Names, shapes and offsets of a set of tensors packed into one buffer.
#[derive(Clone, Debug, Default)]
pub struct Layout {
    pub entries: Vec<Entry>,
    pub total: usize,
    align: usize,
}

impl Layout {
    pub fn new(gpu: &Gpu) -> Self {
        Self::with_align((gpu.limits.min_storage_buffer_offset_alignment as usize / 4).max(1))
    }

    /// Offsets aligned to `align` f32 elements; names and shapes do not depend on it, so
    /// checks made before a GPU exists use 1.
    pub fn with_align(align: usize) -> Self {
        Self {
            entries: Vec::new(),
            total: 0,
            align: align.max(1),
        }
    }

    pub fn add(&mut self, name: impl Into<String>, shape: &[usize]) {
        let offset = self.total.next_multiple_of(self.align);
        let e = Entry {
            name: name.into(),
            shape: shape.to_vec(),
            offset,
        };
        self.total = offset + e.len();
        self.entries.push(e);
    }

    pub fn get(&self, name: &str) -> &Entry {
        self.entries
            .iter()
            .find(|e| e.name == name)
            .unwrap_or_else(|| panic!("no tensor named {name} in the layout"))
    }

    /// Number of real (non-padding) elements.
    pub fn count(&self) -> usize {
        self.entries.iter().map(Entry::len).sum()
    }

    /// A buffer holding every tensor of this layout, zero-filled.
    pub fn alloc(&self, gpu: &Gpu, label: &str) -> Arc<wgpu::Buffer> {
        Arc::new(gpu.create_buffer(label, self.total.max(1) as u64 * 4, storage_usage()))
    }

    pub fn view(&self, buf: &Arc<wgpu::Buffer>, name: &str) -> GpuTensor {
        let e = self.get(name);
        GpuTensor::new(buf.clone(), e.offset as u64 * 4, &e.shape)
    }

    pub fn whole(&self, buf: &Arc<wgpu::Buffer>) -> GpuTensor {
        GpuTensor::new(buf.clone(), 0, &[self.total.max(1)])
    }

    /// Split a host copy of the whole buffer into named tensors.
    pub fn split(&self, flat: &[f32]) -> Vec<(String, Vec<usize>, Vec<f32>)> {
        self.entries
            .iter()
            .map(|e| {
                (
                    e.name.clone(),
                    e.shape.clone(),
                    flat[e.offset..e.offset + e.len()].to_vec(),
                )
            })
            .collect()
    }

    /// Build a host copy of the whole buffer from named tensors (padding stays zero).
    pub fn join(
        &self,
        mut get: impl FnMut(&Entry) -> anyhow::Result<Vec<f32>>,
    ) -> anyhow::Result<Vec<f32>> {
        let mut flat = vec![0.0; self.total.max(1)];
        for e in &self.entries {
            let data = get(e)?;
            flat[e.offset..e.offset + e.len()].copy_from_slice(&data);
        }
        Ok(flat)
    }
}
