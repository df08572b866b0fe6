//! What a `#![no_std]` cdylib for wasm32-unknown-unknown needs and the
//! language leaves to the program: a global allocator, a panic handler and
//! an allocation-error handler (feature `runtime`, on by default). A panic
//! or a refused allocation traps, which the runtime reports as
//! `PLEX_ERR_ACTOR_TRAPPED`; only that actor is lost.

use core::alloc::{GlobalAlloc, Layout};
use core::arch::wasm32;
use core::ptr;

/// A small size-class allocator: blocks of 16 B to 64 KiB, rounded up to a
/// power of two, on one free list per size (a freed block is reused by the
/// next allocation of its class, so a message's temporaries do not pile
/// up); larger blocks come straight from `memory.grow`. Memory is only ever
/// obtained with `memory.grow`, which is also how the PlexSpaces runtime
/// adds its input pages, so the two never overlap.
struct SizeClassAllocator;

const MIN_CLASS: usize = 4; // 16 bytes
const MAX_CLASS: usize = 16; // 64 KiB
const PAGE: usize = 65536;

static mut FREE: [*mut u8; MAX_CLASS + 1] = [ptr::null_mut(); MAX_CLASS + 1];
static mut NEXT: usize = 0;
static mut END: usize = 0;

fn class_of(layout: &Layout) -> usize {
    let size = core::cmp::max(layout.size(), layout.align());
    let mut class = MIN_CLASS;
    while (1usize << class) < size {
        class += 1;
    }
    class
}

unsafe fn grow(bytes: usize) -> *mut u8 {
    let pages = (bytes + PAGE - 1) / PAGE;
    let previous = wasm32::memory_grow(0, pages);
    if previous == usize::MAX {
        return ptr::null_mut();
    }
    (previous * PAGE) as *mut u8
}

unsafe impl GlobalAlloc for SizeClassAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let class = class_of(&layout);
        if class > MAX_CLASS {
            return grow(layout.size());
        }
        let head = FREE[class];
        if !head.is_null() {
            FREE[class] = *(head as *mut *mut u8);
            return head;
        }
        let size = 1usize << class;
        // Blocks of a class are aligned to their size: round NEXT up.
        let start = (NEXT + size - 1) & !(size - 1);
        if start + size > END || END == 0 {
            let chunk = grow(PAGE);
            if chunk.is_null() {
                return ptr::null_mut();
            }
            NEXT = chunk as usize;
            END = NEXT + PAGE;
            return self.alloc(layout);
        }
        NEXT = start + size;
        start as *mut u8
    }

    unsafe fn dealloc(&self, block: *mut u8, layout: Layout) {
        let class = class_of(&layout);
        if class > MAX_CLASS {
            return; // whole pages: wasm memory cannot shrink
        }
        *(block as *mut *mut u8) = FREE[class];
        FREE[class] = block;
    }
}

#[global_allocator]
static ALLOCATOR: SizeClassAllocator = SizeClassAllocator;

#[panic_handler]
fn panic(_info: &core::panic::PanicInfo) -> ! {
    // The runtime reports the trap as PLEX_ERR_ACTOR_TRAPPED; only this actor is lost.
    wasm32::unreachable()
}

#[alloc_error_handler]
fn out_of_memory(_layout: Layout) -> ! {
    wasm32::unreachable()
}
