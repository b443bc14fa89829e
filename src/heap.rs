//! The shipped wasm's allocator: blocks in power-of-two sizes, one free list per size, carved
//! from memory the allocator grows itself. A quarter of dlmalloc's code, with O(1) allocation
//! and release. The price is up to twice the asked size per block and no merging of free
//! blocks; the SDK's memory is a steady set of the same few sizes (parts' pieces, requests,
//! answers), so freed blocks are reused.

use core::alloc::Layout;
use core::ptr;

/// WebAssembly's page: memory grows by whole pages.
const PAGE: usize = 65_536;

/// Blocks are at least a free-list link; at most a quarter of the 32-bit address space.
const MIN_CLASS: u32 = size_of::<usize>().trailing_zeros();
const MAX_CLASS: u32 = 30;

pub struct Heap {
    /// The first free block of each size (`1 << class`), 0 when none; a free block's first
    /// word holds the next one.
    free: [usize; MAX_CLASS as usize + 1],
    /// Where uncarved memory starts and ends.
    next: usize,
    end: usize,
}

/// The size class of a layout: the smallest power of two that fits its size and alignment.
fn class(layout: Layout) -> Option<u32> {
    let size = layout.size().max(layout.align()).max(1 << MIN_CLASS);
    let class = size.checked_next_power_of_two()?.trailing_zeros();
    // Blocks are aligned to their size up to a page; larger alignments are refused.
    (class <= MAX_CLASS && layout.align() <= PAGE).then_some(class)
}

impl Heap {
    pub const fn new() -> Heap {
        Heap {
            free: [0; MAX_CLASS as usize + 1],
            next: 0,
            end: 0,
        }
    }

    /// A block for `layout`, or null. `grow(pages)` adds pages at the end of memory and
    /// returns how many pages there were before, or `None`.
    ///
    /// # Safety
    /// The free lists must hold only blocks this heap handed out and took back, and `grow`
    /// must hand out memory nobody else uses.
    pub unsafe fn alloc(
        &mut self,
        layout: Layout,
        grow: &mut dyn FnMut(usize) -> Option<usize>,
    ) -> *mut u8 {
        let Some(class) = class(layout) else {
            return ptr::null_mut();
        };
        let head = &mut self.free[class as usize];
        if *head != 0 {
            let block = *head as *mut usize;
            *head = block.read();
            return block.cast();
        }
        let size = 1usize << class;
        if let Some(block) = self.carve(size) {
            return block;
        }
        let pages = size.div_ceil(PAGE);
        let grown = grow(pages).and_then(|before| {
            let start = before.checked_mul(PAGE)?;
            Some((start, start.checked_add(pages * PAGE)?))
        });
        let Some((start, end)) = grown else {
            return ptr::null_mut();
        };
        if start != self.end {
            // New memory that does not follow ours: the rest of ours is left unused.
            self.next = start;
        }
        self.end = end;
        // Either after what was left, or, when that left too little, from the new pages.
        self.carve(size).unwrap_or_else(|| {
            self.next = start;
            self.carve(size).expect("the new pages hold the block")
        })
    }

    /// A block of `size` from uncarved memory, aligned to its size up to a page.
    fn carve(&mut self, size: usize) -> Option<*mut u8> {
        let start = self.next.next_multiple_of(size.min(PAGE));
        let stop = start.checked_add(size).filter(|&stop| stop <= self.end)?;
        self.next = stop;
        Some(start as *mut u8)
    }

    /// `block`, or a copy of it, resized to `new_size`: the same block while its size class
    /// holds the new size.
    ///
    /// # Safety
    /// As for `alloc` and `dealloc`.
    pub unsafe fn realloc(
        &mut self,
        block: *mut u8,
        layout: Layout,
        new_size: usize,
        grow: &mut dyn FnMut(usize) -> Option<usize>,
    ) -> *mut u8 {
        let Ok(new) = Layout::from_size_align(new_size, layout.align()) else {
            return ptr::null_mut();
        };
        if class(new).is_some() && class(new) == class(layout) {
            return block;
        }
        let moved = self.alloc(new, grow);
        if !moved.is_null() {
            ptr::copy_nonoverlapping(block, moved, layout.size().min(new_size));
            self.dealloc(block, layout);
        }
        moved
    }

    /// Takes back a block `alloc` gave for `layout`.
    ///
    /// # Safety
    /// `block` came from `alloc` with the same `layout` and is not used again.
    pub unsafe fn dealloc(&mut self, block: *mut u8, layout: Layout) {
        if let Some(class) = class(layout) {
            let head = &mut self.free[class as usize];
            block.cast::<usize>().write(*head);
            *head = block as usize;
        }
    }
}

#[cfg(all(target_arch = "wasm32", not(feature = "std")))]
mod global {
    use core::alloc::{GlobalAlloc, Layout};
    use core::cell::UnsafeCell;

    use super::Heap;

    pub struct Global(UnsafeCell<Heap>);

    // The wasm runs on one thread (it is built without the atomics feature), so the heap is
    // never reached from two places at once; and alloc calls nothing that allocates.
    #[cfg(not(target_feature = "atomics"))]
    unsafe impl Sync for Global {}

    fn grow(pages: usize) -> Option<usize> {
        let before = core::arch::wasm32::memory_grow(0, pages);
        (before != usize::MAX).then_some(before)
    }

    unsafe impl GlobalAlloc for Global {
        unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
            (*self.0.get()).alloc(layout, &mut grow)
        }

        unsafe fn dealloc(&self, block: *mut u8, layout: Layout) {
            (*self.0.get()).dealloc(block, layout)
        }

        unsafe fn realloc(&self, block: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
            (*self.0.get()).realloc(block, layout, new_size, &mut grow)
        }
    }

    #[global_allocator]
    static HEAP: Global = Global(UnsafeCell::new(Heap::new()));
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec::Vec;

    /// A region of real memory standing in for the wasm's, grown page by page.
    struct Memory {
        base: *mut u8,
        pages: usize,
        used: usize,
    }

    impl Memory {
        fn new(pages: usize) -> Memory {
            let layout = Layout::from_size_align(pages * PAGE, PAGE).unwrap();
            let base = unsafe { std::alloc::alloc_zeroed(layout) };
            assert!(!base.is_null());
            Memory {
                base,
                pages,
                used: 0,
            }
        }

        /// Page numbers count from address 0, as the wasm's do.
        fn grow(&mut self, pages: usize) -> Option<usize> {
            if self.used + pages > self.pages {
                return None;
            }
            let before = self.base as usize / PAGE + self.used;
            self.used += pages;
            Some(before)
        }
    }

    impl Drop for Memory {
        fn drop(&mut self) {
            let layout = Layout::from_size_align(self.pages * PAGE, PAGE).unwrap();
            unsafe { std::alloc::dealloc(self.base, layout) };
        }
    }

    struct Live {
        block: *mut u8,
        layout: Layout,
        tag: u8,
    }

    fn check(live: &Live) {
        let bytes = unsafe { core::slice::from_raw_parts(live.block, live.layout.size()) };
        assert!(
            bytes.iter().all(|&b| b == live.tag),
            "a block was overwritten"
        );
    }

    /// Random allocations, releases and reallocations of many sizes and alignments: every
    /// block is aligned, no two live blocks overlap (each is filled with its own tag and
    /// checked before it goes), and a reallocated block keeps its bytes.
    #[test]
    fn blocks_are_aligned_disjoint_and_kept() {
        let mut memory = Memory::new(4096);
        let mut heap = Heap::new();
        let mut live: Vec<Live> = Vec::new();
        let mut next = crate::tests::xorshift(0x9E37_79B9_7F4A_7C15);
        let mut random = |below: u64| next() % below;
        let mut grow = |pages| memory.grow(pages);
        for step in 0..20_000u32 {
            let action = random(10);
            if action < 4 || live.is_empty() {
                let size = match random(4) {
                    0 => 1 + random(16),
                    1 => 1 + random(300),
                    2 => 1 + random(5000),
                    _ => 1 + random(200_000),
                } as usize;
                let align = 1 << random(13);
                let layout = Layout::from_size_align(size, align).unwrap();
                let block = unsafe { heap.alloc(layout, &mut grow) };
                assert!(!block.is_null(), "out of memory at step {step}");
                assert_eq!(block as usize % align, 0, "misaligned");
                let tag = step as u8;
                unsafe { block.write_bytes(tag, size) };
                live.push(Live { block, layout, tag });
            } else if action < 8 {
                let gone = live.swap_remove(random(live.len() as u64) as usize);
                check(&gone);
                unsafe { heap.dealloc(gone.block, gone.layout) };
            } else {
                let i = random(live.len() as u64) as usize;
                check(&live[i]);
                let new_size =
                    1 + random((3 * live[i].layout.size() as u64 + 10).min(400_000)) as usize;
                let old = live[i].layout;
                let block = unsafe { heap.realloc(live[i].block, old, new_size, &mut grow) };
                assert!(!block.is_null());
                let kept = old.size().min(new_size);
                let bytes = unsafe { core::slice::from_raw_parts(block, kept) };
                assert!(
                    bytes.iter().all(|&b| b == live[i].tag),
                    "realloc lost bytes"
                );
                live[i].block = block;
                live[i].layout = Layout::from_size_align(new_size, old.align()).unwrap();
                unsafe { block.write_bytes(live[i].tag, new_size) };
            }
        }
        live.iter().for_each(check);
    }

    #[test]
    fn freed_blocks_are_reused_and_exhaustion_is_null() {
        let mut memory = Memory::new(4);
        let mut heap = Heap::new();
        let mut grow = |pages| memory.grow(pages);
        let layout = Layout::from_size_align(100, 8).unwrap();
        let a = unsafe { heap.alloc(layout, &mut grow) };
        unsafe { heap.dealloc(a, layout) };
        assert_eq!(unsafe { heap.alloc(layout, &mut grow) }, a);
        let big = Layout::from_size_align(5 * PAGE, 8).unwrap();
        assert!(unsafe { heap.alloc(big, &mut grow) }.is_null());
        let huge_align = Layout::from_size_align(8, 2 * PAGE).unwrap();
        assert!(unsafe { heap.alloc(huge_align, &mut grow) }.is_null());
        // 100 bytes take a 128-byte block: growing within it keeps the block.
        let c = unsafe { heap.alloc(layout, &mut grow) };
        assert_eq!(unsafe { heap.realloc(c, layout, 128, &mut grow) }, c);
    }
}
