//! Allocations the generated client must not make, counted by this test
//! binary's global allocator, per thread (the harness runs tests on several
//! threads at once).

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use upstox_login_sdk::generated::types::{IndieUserTokenRequest, TokenRequest};

struct Counting;

thread_local! {
    static ALLOCATIONS: Cell<usize> = const { Cell::new(0) };
}

// SAFETY: every call is passed on to `System` unchanged; the count is a
// const-initialised thread-local without a destructor, which never allocates.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.with(|n| n.set(n.get() + 1));
        // SAFETY: the caller's contract is `System`'s.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: as above.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.with(|n| n.set(n.get() + 1));
        // SAFETY: as above.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static COUNTING: Counting = Counting;

/// `f`'s result and how many allocations it made on this thread.
fn allocations<T>(f: impl FnOnce() -> T) -> (T, usize) {
    let before = ALLOCATIONS.with(Cell::get);
    let value = f();
    (value, ALLOCATIONS.with(Cell::get) - before)
}

/// typify's empty builders used to allocate a "no value supplied for .."
/// message per required field (five for a token request); the
/// `static-builder-defaults` code transform borrows them. Every call of the
/// facade makes one, through the operation builder's `new`.
#[test]
fn empty_request_builders_allocate_nothing() {
    let (_, n) = allocations(TokenRequest::builder);
    assert_eq!(n, 0, "TokenRequest::builder()");
    let (_, n) = allocations(IndieUserTokenRequest::builder);
    assert_eq!(n, 0, "IndieUserTokenRequest::builder()");

    let client = upstox_login_tests::generated_client("https://api.upstox.com");
    let (token, n) = allocations(|| client.token());
    assert_eq!(n, 0, "Client::token()");
    // The counter counts: a message that is formatted does allocate.
    let (_, n) = allocations(|| TokenRequest::try_from(TokenRequest::builder().grant_type("x")));
    assert!(n > 0);
    drop(token);
}
