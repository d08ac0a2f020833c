//! The program's memory allocator: mimalloc for small blocks, the C library's `malloc` for the
//! rest.
//!
//! A build makes millions of small, short-lived allocations (words, front matter values,
//! template values, Markdown events), where glibc's `malloc` and `free` took about a tenth of
//! a 10,000-document build's CPU. mimalloc serves those much faster. Its large blocks, though,
//! stay with the thread that freed them: with mimalloc for everything the build's peak memory
//! went from ~250 to ~340 MiB, over the 300 MB a build may take. Blocks of up to [`SMALL`]
//! bytes go to mimalloc and larger ones (page bodies, postings, indexes) to glibc, which gives
//! them back when they are freed: most of the speed for ~14 MiB more at the peak (measured in
//! BENCHMARKS.md §11).
//!
//! Rust gives `dealloc` and `realloc` the layout the block was allocated with, so its size
//! alone tells which allocator owns a block; a `realloc` across [`SMALL`] moves the block
//! from one to the other.

use std::alloc::{GlobalAlloc, Layout, System};

/// The largest block mimalloc serves.
pub const SMALL: usize = 256;

/// mimalloc up to [`SMALL`] bytes, [`System`] above.
pub struct Split;

static MI: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn small(size: usize) -> bool {
    size <= SMALL
}

// SAFETY: each method hands the call to the allocator that owns blocks of the layout's size,
// with the caller's own guarantees; a block is only ever given back to the one that made it,
// since `dealloc` and `realloc` receive the size it was allocated with.
unsafe impl GlobalAlloc for Split {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if small(layout.size()) {
            unsafe { MI.alloc(layout) }
        } else {
            unsafe { System.alloc(layout) }
        }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        if small(layout.size()) {
            unsafe { MI.alloc_zeroed(layout) }
        } else {
            unsafe { System.alloc_zeroed(layout) }
        }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if small(layout.size()) {
            unsafe { MI.dealloc(ptr, layout) }
        } else {
            unsafe { System.dealloc(ptr, layout) }
        }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        match (small(layout.size()), small(new_size)) {
            (true, true) => unsafe { MI.realloc(ptr, layout, new_size) },
            (false, false) => unsafe { System.realloc(ptr, layout, new_size) },
            _ => {
                // SAFETY: the caller guarantees that `new_size`, rounded up to the alignment,
                // does not overflow `isize`, so the layout is valid.
                let new = unsafe { Layout::from_size_align_unchecked(new_size, layout.align()) };
                let moved = unsafe { self.alloc(new) };
                if !moved.is_null() {
                    // SAFETY: both blocks hold at least the smaller size and do not overlap.
                    unsafe {
                        std::ptr::copy_nonoverlapping(ptr, moved, layout.size().min(new_size));
                        self.dealloc(ptr, layout);
                    }
                }
                moved
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::SMALL;

    /// The bytes `0, 1, 2, ...` (mod 251) of a length.
    fn pattern(len: usize) -> Vec<u8> {
        (0..len).map(|i| (i % 251) as u8).collect()
    }

    #[test]
    fn a_block_keeps_its_bytes_when_it_grows_and_shrinks_across_the_boundary() {
        for start in [1, SMALL - 1, SMALL, SMALL + 1] {
            let mut v = pattern(start);
            for len in [SMALL + 1, 4 * SMALL, 100_000, SMALL, 3, 2 * SMALL, 1] {
                v.resize(len, 0);
                let kept = start.min(len);
                assert_eq!(v[..kept], pattern(start)[..kept], "{start} -> {len}");
                v.truncate(start.min(len));
                v.shrink_to_fit();
                v.extend(pattern(start)[v.len()..].iter().copied());
                assert_eq!(v, pattern(start), "{start} -> {len} -> {start}");
            }
        }
    }

    #[test]
    fn zeroed_and_aligned_blocks_of_both_allocators() {
        for len in [1, SMALL, SMALL + 1, 1 << 20] {
            let v = vec![0u64; len];
            assert!(v.iter().all(|&x| x == 0));
            assert_eq!(v.as_ptr() as usize % std::mem::align_of::<u64>(), 0);
        }
        #[repr(align(4096))]
        struct Page([u8; 64]);
        let pages: Vec<Box<Page>> = (0..8).map(|i| Box::new(Page([i; 64]))).collect();
        for (i, p) in pages.iter().enumerate() {
            assert_eq!(&**p as *const Page as usize % 4096, 0);
            assert!(p.0.iter().all(|&b| b == i as u8));
        }
    }

    #[test]
    fn blocks_freed_on_other_threads() {
        let made: Vec<Vec<String>> = (0..4)
            .map(|t| (0..10_000).map(|i| format!("{t}-{i}")).collect())
            .collect();
        let handles: Vec<_> = made
            .into_iter()
            .map(|words| std::thread::spawn(move || words.concat().len()))
            .collect();
        for h in handles {
            assert!(h.join().is_ok_and(|n| n > 10_000));
        }
    }
}
