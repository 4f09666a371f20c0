//! A tensor is a view (offset + shape) into a storage buffer; many can share one buffer.

use std::sync::Arc;

#[derive(Clone, Debug)]
pub struct GpuTensor {
    pub buf: Arc<wgpu::Buffer>,
    /// Byte offset into `buf`; a multiple of the adapter's storage offset alignment.
    pub offset: u64,
    pub shape: Vec<usize>,
}

impl GpuTensor {
    pub fn new(buf: Arc<wgpu::Buffer>, offset: u64, shape: &[usize]) -> Self {
        Self {
            buf,
            offset,
            shape: shape.to_vec(),
        }
    }

    pub fn len(&self) -> usize {
        self.shape.iter().product()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn bytes(&self) -> u64 {
        self.len() as u64 * 4
    }

    /// The same memory seen with another shape of equal size.
    pub fn reshape(&self, shape: &[usize]) -> GpuTensor {
        assert_eq!(
            shape.iter().product::<usize>(),
            self.len(),
            "reshape changes the element count"
        );
        Self::new(self.buf.clone(), self.offset, shape)
    }

    pub fn binding(&self) -> wgpu::BindingResource<'_> {
        wgpu::BindingResource::Buffer(wgpu::BufferBinding {
            buffer: &self.buf,
            offset: self.offset,
            size: std::num::NonZeroU64::new(self.bytes().max(4)),
        })
    }

    /// Whether `other` views the same bytes of the same buffer.
    pub fn same_view(&self, other: &GpuTensor) -> bool {
        Arc::ptr_eq(&self.buf, &other.buf)
            && self.offset == other.offset
            && self.bytes() == other.bytes()
    }

    /// Whether two views overlap in memory (a kernel must not read and write the same bytes
    /// through two different bindings).
    pub fn overlaps(&self, other: &GpuTensor) -> bool {
        Arc::ptr_eq(&self.buf, &other.buf)
            && self.offset < other.offset + other.bytes()
            && other.offset < self.offset + self.bytes()
    }
}
